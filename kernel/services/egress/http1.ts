/**
 * HTTP/1.1 on a connection the egress transport has opened: write one
 * request, read the response head, frame the body (RFC 9112). No I/O policy
 * lives here (which address, TLS, pooling, decoding: see
 * `pinned_transport.ts`); this is the wire format only, strict where a
 * lenient reading could be abused:
 *
 * - the head is limited in size; header names must be tokens, values may
 *   not hold control characters; folded (obs-fold) lines are refused;
 * - `transfer-encoding` ending in `chunked` wins over `content-length` (as
 *   Deno's `fetch` does); differing `content-length` values are refused;
 * - a body shorter than announced, or a chunked body without its last
 *   chunk, is an error, never a short success; without framing the body
 *   runs to the end of the connection;
 * - header bytes are kept as they are (one character per byte), as `fetch`
 *   keeps them.
 *
 * @module
 */

/** Largest chunk-size or trailer line accepted. */
const MAX_LINE = 8 * 1024;
/** Largest trailer section accepted. */
const MAX_TRAILERS = 64 * 1024;
/** Largest piece handed out at once. */
const PIECE = 64 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters, which no header value or reason phrase may hold (HTAB aside). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A protocol error: the server's answer is not valid HTTP/1.1. */
export class HttpProtocolError extends Error {}

/** Bytes as a string, one character per byte (Latin-1), as `fetch` exposes header bytes. */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** A string of characters up to U+00FF as bytes, one byte per character. */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Writes all of `bytes`, however many writes it takes. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Buffered reading from a connection. */
export class ConnReader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;
  #eof = false;

  /** Reads from `conn`. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Bytes received but not consumed yet. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Reads more into the buffer, growing it up to `limit` bytes; false at the end of the stream. */
  async #fill(limit: number): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      if (this.#buf.length >= limit) throw new HttpProtocolError("response line too long");
      const grown = new Uint8Array(Math.min(limit, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#end));
      this.#buf = grown;
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#end));
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }

  /**
   * The response head up to its blank line (CRLF or bare LF line ends), or
   * `null` when the connection ends before any byte of it.
   */
  async readHead(limit: number): Promise<string | null> {
    let scanned = 0;
    while (true) {
      const view = this.#buf.subarray(this.#start, this.#end);
      for (let i = Math.max(scanned, 1); i < view.length; i++) {
        if (i >= limit) throw new HttpProtocolError(`response head over ${limit} bytes`);
        if (view[i] !== 0x0a) continue;
        const blank = view[i - 1] === 0x0a ||
          (view[i - 1] === 0x0d && i >= 2 && view[i - 2] === 0x0a);
        if (blank) {
          const head = latin1(view.subarray(0, i + 1));
          this.#start += i + 1;
          return head;
        }
      }
      scanned = view.length;
      if (scanned > limit) throw new HttpProtocolError(`response head over ${limit} bytes`);
      const before = this.buffered;
      if (!(await this.#fill(limit + 4))) {
        if (before === 0) return null;
        throw new HttpProtocolError("connection closed in the middle of the response head");
      }
    }
  }

  /** Reads more into the buffer; false at the end of the stream. */
  more(): Promise<boolean> {
    return this.#fill(2 * MAX_LINE);
  }

  /**
   * Decodes chunked data that is already buffered into `out` from `at`,
   * advancing `state`, without waiting for the network; returns the new end
   * of `out`. It stops when `out` is full, the last chunk and its trailers
   * are read (`state.phase === "done"`), or the buffer lacks the rest of a
   * line: then {@linkcode more} is needed. Works on bytes, without a string
   * or an allocation per chunk, so a body sent in tiny chunks stays cheap.
   */
  decodeChunked(state: ChunkState, out: Uint8Array, at: number): number {
    const buf = this.#buf;
    let pos = this.#start;
    const end = this.#end;
    let n = at;
    while (n < out.length && state.phase !== "done") {
      if (state.phase === "data") {
        const take = Math.min(state.remaining, end - pos, out.length - n);
        if (take === 0) break;
        out.set(buf.subarray(pos, pos + take), n);
        n += take;
        pos += take;
        state.remaining -= take;
        if (state.remaining === 0) state.phase = "crlf";
      } else if (state.phase === "crlf") {
        if (pos === end || (buf[pos] === 0x0d && pos + 1 === end)) break;
        if (buf[pos] === 0x0d) pos++;
        if (buf[pos] !== 0x0a) throw new HttpProtocolError("chunk longer than its size");
        pos++;
        state.phase = "size";
      } else {
        const nl = buf.subarray(pos, end).indexOf(0x0a);
        if (nl === -1) {
          if (end - pos > MAX_LINE) throw new HttpProtocolError("chunk line too long");
          break;
        }
        const lineEnd = nl > 0 && buf[pos + nl - 1] === 0x0d ? pos + nl - 1 : pos + nl;
        if (state.phase === "size") {
          state.remaining = chunkSize(buf, pos, lineEnd);
          state.phase = state.remaining === 0 ? "trailers" : "data";
        } else {
          state.trailerBytes += nl + 1;
          if (state.trailerBytes > MAX_TRAILERS) throw new HttpProtocolError("trailers too long");
          if (lineEnd === pos) state.phase = "done"; // trailer fields are dropped, as fetch does
        }
        pos += nl + 1;
      }
    }
    this.#start = pos;
    return n;
  }

  /** Up to `max` bytes (at least one), or `null` at the end of the stream. */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.buffered === 0) {
      this.#start = this.#end = 0;
      if (!(await this.#fill(PIECE))) return null;
    }
    const take = Math.min(max, this.buffered);
    const piece = this.#buf.slice(this.#start, this.#start + take);
    this.#start += take;
    return piece;
  }
}

/** Where a chunked body's decoding stands (see {@linkcode ConnReader.decodeChunked}). */
export interface ChunkState {
  /** Expecting a size line, chunk data, the CRLF after it, trailer lines, or finished. */
  phase: "size" | "data" | "crlf" | "trailers" | "done";
  /** Data bytes left in the current chunk. */
  remaining: number;
  /** Trailer bytes read so far. */
  trailerBytes: number;
}

/**
 * The size in a chunk-size line `buf[from, to)`: 1 to 12 hex digits, then
 * optional blanks and a `;` extension (ignored).
 */
function chunkSize(buf: Uint8Array, from: number, to: number): number {
  let size = 0;
  let pos = from;
  for (; pos < to && pos - from < 13; pos++) {
    const c = buf[pos];
    const digit = c >= 0x30 && c <= 0x39
      ? c - 0x30
      : c >= 0x61 && c <= 0x66
      ? c - 0x57
      : c >= 0x41 && c <= 0x46
      ? c - 0x37
      : -1;
    if (digit === -1) break;
    size = size * 16 + digit;
  }
  const digits = pos - from;
  while (pos < to && (buf[pos] === 0x20 || buf[pos] === 0x09)) pos++;
  if (digits === 0 || digits > 12 || (pos < to && buf[pos] !== 0x3b)) {
    throw new HttpProtocolError("invalid chunk size");
  }
  return size;
}

/** A parsed response head. */
export interface ResponseHead {
  /** `1.0` or `1.1`. */
  version: "1.0" | "1.1";
  /** Status code, 100–999. */
  status: number;
  /** Header name/value pairs as received, names as the server wrote them. */
  headers: [string, string][];
}

/** Parses a response head read by {@linkcode ConnReader.readHead}. */
export function parseHead(head: string): ResponseHead {
  const lines = head.split(/\r?\n/);
  const statusLine = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: (.*))?$/.exec(lines[0]);
  if (!statusLine || BAD_VALUE.test(statusLine[3] ?? "")) {
    throw new HttpProtocolError("invalid HTTP status line");
  }
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    if (line[0] === " " || line[0] === "\t") {
      throw new HttpProtocolError("folded header line");
    }
    const colon = line.indexOf(":");
    const name = colon === -1 ? "" : line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) {
      throw new HttpProtocolError("invalid HTTP header");
    }
    headers.push([name, value]);
  }
  return {
    version: statusLine[1] === "1" ? "1.1" : "1.0",
    status: Number(statusLine[2]),
    headers,
  };
}

/** How the body of a response is delimited. */
export type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** The framing of a response to `method` (RFC 9112 section 6.3). */
export function framingOf(method: string, head: ResponseHead): Framing {
  if (method === "HEAD" || head.status === 204 || head.status === 304 || head.status < 200) {
    return { kind: "none" };
  }
  const values = (name: string) =>
    head.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  const codings = values("transfer-encoding").join(",").split(",").map((c) => c.trim())
    .filter((c) => c !== "");
  if (codings.length > 0) {
    return codings[codings.length - 1].toLowerCase() === "chunked"
      ? { kind: "chunked" }
      : { kind: "close" };
  }
  const lengths = new Set(
    values("content-length").flatMap((v) => v.split(",")).map((v) => v.trim()),
  );
  if (lengths.size === 0) return { kind: "close" };
  const [only] = lengths;
  if (lengths.size > 1 || !/^[0-9]{1,15}$/.test(only)) {
    throw new HttpProtocolError("invalid content-length");
  }
  return { kind: "length", length: Number(only) };
}

/** A framed body: pieces in order, then `null`. */
export interface BodyReader {
  /** The next piece, or `null` once the body is complete. */
  next(): Promise<Uint8Array | null>;
  /** True when the body ended by its framing, so the connection may carry another request. */
  ended(): boolean;
}

/**
 * Reads a body delimited by `framing` from `reader`. Chunks already received
 * are joined into one piece (up to 64 KiB), so a body sent as many tiny
 * chunks costs one piece per read, not one per chunk.
 */
export function bodyReader(reader: ConnReader, framing: Framing): BodyReader {
  let remaining = framing.kind === "length" ? framing.length : 0;
  let done = framing.kind === "none" || (framing.kind === "length" && remaining === 0);

  const chunks: ChunkState = { phase: "size", remaining: 0, trailerBytes: 0 };

  return {
    ended: () => done && framing.kind !== "close",
    async next() {
      if (done) return null;
      if (framing.kind === "close") {
        const piece = await reader.readSome(PIECE);
        if (piece === null) done = true;
        return piece;
      }
      if (framing.kind === "length") {
        const piece = await reader.readSome(Math.min(remaining, PIECE));
        if (piece === null) throw truncated();
        remaining -= piece.length;
        if (remaining === 0) done = true;
        return piece;
      }
      const out = new Uint8Array(PIECE);
      let n = 0;
      while (true) {
        n = reader.decodeChunked(chunks, out, n);
        if (chunks.phase === "done") done = true;
        if (done || n === out.length) break;
        if (n > 0) break; // hand over what came; the rest of the body comes with the next read
        if (!(await reader.more())) throw truncated();
      }
      return n === 0 ? null : out.subarray(0, n);
    },
  };
}

/** The connection ended before the response was complete. */
export function truncated(): Error {
  return new HttpProtocolError("the connection closed before the response body was complete");
}
