/**
 * The egress guard's transport: one HTTP/1.1 exchange with a host, connected
 * ONLY to the addresses the guard has just checked. The host name is never
 * resolved again (`Deno.connect` is given the IP address), so a DNS answer
 * that changes between the check and the connection (DNS rebinding) cannot
 * send the request anywhere else. TLS still uses the name:
 * `Deno.startTls(conn, { hostname: name })` sends it as SNI and verifies the
 * certificate against it, never against the IP address, with the same trust
 * store as `fetch` (Deno's roots, plus `DENO_CERT`).
 *
 * Why not something else (measured on Deno 2.9.6): `fetch` always resolves
 * the name itself, and no `Deno.createHttpClient` option pins an address
 * while keeping the name for TLS (`proxy: { transport: "tcp" }` pins the
 * socket but speaks plain HTTP on it, even for `https:`). `node:https`
 * `request()` with a `lookup` option does pin, but under the kernel's
 * permissions its default root certificates are refused (`--allow-sys` for
 * "ca", then `NODE_USE_SYSTEM_CA` from the environment), and with roots it
 * rebuilds the store per connection: ~23 ms of CPU per new TLS connection
 * against ~1.5 ms for `Deno.startTls`. The wire format is in `http1.ts`.
 *
 * It behaves as Deno's `fetch` does where the guard relied on it (measured on
 * Deno 2.9.6 `fetch`):
 *
 * - it adds `accept: *\/*` and `accept-language: *` when the request has
 *   none, and `accept-encoding: gzip,br` (`identity` for a `Range` request)
 *   when it has no `accept-encoding`; `content-length` is set from the body
 *   (`0` for a bodyless POST or PUT);
 * - it decodes a `gzip` or `br` response body (a `content-encoding` of exactly
 *   one of them, in any case) unless the request asked for
 *   `accept-encoding: identity`; the `content-encoding` and `content-length`
 *   headers are left as the server sent them, other codings are not decoded,
 *   and a corrupt or truncated gzip body is an error;
 * - `statusText` is the standard reason phrase of the status, repeated
 *   headers are joined with `, ` (`set-cookie` excepted), HEAD, 204 and 304
 *   answers have no body, and redirects are returned, not followed;
 * - the body is a stream read on demand: nothing more is read from the
 *   connection than the reader asks for, and cancelling the stream closes it;
 * - with several checked addresses it tries them in turn, families
 *   interleaved, starting the next attempt when one has not connected within
 *   {@linkcode ATTEMPT_DELAY_MS} (happy eyeballs, RFC 8305);
 * - connections are kept alive and reused for the same address, port and TLS
 *   name (idle ones close after {@linkcode IDLE_SOCKET_MS}); when a reused
 *   connection closes before any answer (the server timed it out just then),
 *   the request is sent once more on a new connection, as browsers do.
 *
 * Differences from `fetch`: HTTP/1.1 only (no HTTP/2); `HTTP_PROXY` and
 * `HTTPS_PROXY` are not used; response heads are limited to
 * {@linkcode MAX_HEADER_BYTES}; a gzip body made of several members is
 * decoded whole (fetch stops after the first) and bytes after the gzip data
 * are an error (fetch ignores them); a brotli body cut short inside a
 * complete HTTP message is not detected (Deno's `node:zlib` brotli decoder
 * does not report it) while gzip and every HTTP-level truncation are.
 *
 * @module
 */
import http from "node:http";
import zlib from "node:zlib";
import { ipLiteral } from "./ip_ranges.ts";
import {
  bodyReader,
  bytesOf,
  ConnReader,
  framingOf,
  HttpProtocolError,
  parseHead,
  type ResponseHead,
  writeAll,
} from "./http1.ts";

/** What the guard hands its transport for one hop. */
export interface TransportRequest {
  /** HTTP method, already validated. */
  method: string;
  /** Request headers, already cleaned of hop-by-hop and routing headers. */
  headers: Headers;
  /** Request body, or `null`. */
  body: Uint8Array<ArrayBuffer> | null;
  /** Always `"manual"`: the guard follows redirects itself. */
  redirect: "manual";
  /** Aborts the exchange, body included. */
  signal: AbortSignal;
}

/** The part of a response the guard reads; a `fetch` `Response` has this shape. */
export interface TransportResponse {
  /** HTTP status code. */
  status: number;
  /** HTTP status text. */
  statusText: string;
  /** Response headers. */
  headers: Headers;
  /** The body, read on demand, or `null` when the response has none. */
  body: ReadableStream<Uint8Array> | null;
}

/**
 * Sends one request to `url` over a connection to one of `addresses`, the
 * addresses the guard checked for the URL's host. `fetch` itself fits this
 * type (it ignores `addresses`); tests inject such fakes.
 */
export type EgressTransport = (
  url: string,
  init: TransportRequest,
  addresses: readonly string[],
) => Promise<TransportResponse>;

/** The default transport, with a way to close its idle connections. */
export interface PinnedTransport extends EgressTransport {
  /** Closes the kept-alive idle connections (tests; the kernel lets the process end). */
  close(): void;
}

/** Options of {@linkcode createPinnedTransport}. */
export interface PinnedTransportOptions {
  /** Root certificates (PEM) trusted for `https:` besides the default ones (tests use a private CA). */
  caCerts?: readonly string[];
}

/** Largest response head accepted, in bytes. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** How long an idle kept-alive connection stays open, in milliseconds. */
export const IDLE_SOCKET_MS = 4_000;
/** How long a connection attempt runs alone before the next address is tried too. */
export const ATTEMPT_DELAY_MS = 250;
/** Most idle connections kept per address, port and TLS name. */
const IDLE_PER_KEY = 4;
/** Most informational (1xx) answers skipped before the real one. */
const MAX_INTERIM = 8;

const NULL_BODY_STATUSES = new Set([204, 304]);
/** Where fetch's reason phrases (Rust's `http` crate) differ from `node:http`'s. */
const REASON_PHRASES: Record<number, string> = {
  203: "Non Authoritative Information",
  418: "I'm a teapot",
  509: "",
};

/** An open connection and what is known about it. */
interface Lease {
  conn: Deno.Conn;
  reader: ConnReader;
  key: string;
  reused: boolean;
}

/** The reused connection closed before any byte of an answer: send again on a new one. */
class StaleConnection extends Error {}

/**
 * Creates the transport the egress guard uses by default. Each transport has
 * its own pool of kept-alive connections.
 *
 * @example
 * ```ts
 * const send = createPinnedTransport();
 * const res = await send("https://example.com/", {
 *   method: "GET",
 *   headers: new Headers(),
 *   body: null,
 *   redirect: "manual",
 *   signal: AbortSignal.timeout(5_000),
 * }, ["93.184.216.34"]);
 * ```
 */
export function createPinnedTransport(options: PinnedTransportOptions = {}): PinnedTransport {
  const caCerts = options.caCerts?.length ? [...options.caCerts] : undefined;
  const idle = new Map<string, { lease: Lease; timer: ReturnType<typeof setTimeout> }[]>();

  function take(keys: string[]): Lease | null {
    for (const key of keys) {
      const entry = idle.get(key)?.pop();
      if (entry) {
        clearTimeout(entry.timer);
        return { ...entry.lease, reused: true };
      }
    }
    return null;
  }

  function putBack(lease: Lease): void {
    const list = idle.get(lease.key) ?? [];
    if (list.length >= IDLE_PER_KEY) return closeQuietly(lease.conn);
    const timer = setTimeout(() => {
      const at = list.findIndex((e) => e.lease === lease);
      if (at !== -1) list.splice(at, 1);
      closeQuietly(lease.conn);
    }, IDLE_SOCKET_MS);
    Deno.unrefTimer(timer);
    list.push({ lease, timer });
    idle.set(lease.key, list);
  }

  async function open(target: Target, signal: AbortSignal): Promise<Lease> {
    const { address, conn: tcp } = await connectFirst(target.addresses, target.port, signal);
    let conn: Deno.Conn = tcp;
    if (target.tlsName !== null) {
      const onAbort = () => closeQuietly(conn);
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const tls = await Deno.startTls(tcp, {
          hostname: target.tlsName,
          alpnProtocols: ["http/1.1"],
          ...(caCerts ? { caCerts } : {}),
        });
        conn = tls;
        await tls.handshake();
      } catch (err) {
        closeQuietly(conn);
        throw err;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    }
    return { conn, reader: new ConnReader(conn), key: target.keyFor(address), reused: false };
  }

  const send = async (url: string, init: TransportRequest, addresses: readonly string[]) => {
    const target = targetOf(new URL(url), addresses);
    const head = requestHead(target.url, init);
    const decode = (head.headers.get("accept-encoding") ?? "").trim().toLowerCase() !==
      "identity";
    const pooled = take(target.addresses.map((a) => target.keyFor(a)));
    if (pooled !== null) {
      try {
        return await roundTrip(pooled, head.bytes, init, decode, putBack);
      } catch (err) {
        if (!(err instanceof StaleConnection)) throw err;
        // closed by the server as it was reused: once more, on a new connection
      }
    }
    return await roundTrip(await open(target, init.signal), head.bytes, init, decode, putBack);
  };
  return Object.assign(send, {
    close() {
      for (const list of idle.values()) {
        for (const { lease, timer } of list) {
          clearTimeout(timer);
          closeQuietly(lease.conn);
        }
      }
      idle.clear();
    },
  });
}

/** Where a request goes: the checked addresses, the port, the TLS name. */
interface Target {
  url: URL;
  addresses: string[];
  port: number;
  /** The name TLS verifies (the host, or the IP literal), `null` over plain HTTP. */
  tlsName: string | null;
  keyFor(address: string): string;
}

function targetOf(url: URL, checked: readonly string[]): Target {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`unsupported URL scheme ${url.protocol}`);
  }
  const literal = ipLiteral(url.hostname);
  const addresses = literal !== null
    ? (checked.includes(literal) ? [literal] : [])
    : [...new Set(checked)];
  if (addresses.length === 0) {
    throw new TypeError(`no checked address to connect to for ${url.host}`);
  }
  const secure = url.protocol === "https:";
  const port = Number(url.port) || (secure ? 443 : 80);
  const tlsName = secure ? (literal ?? url.hostname.replace(/\.+$/, "")) : null;
  return {
    url,
    addresses,
    port,
    tlsName,
    keyFor: (address) => `${url.protocol}//${address}|${port}|${tlsName ?? ""}`,
  };
}

/** The request head as sent: the app's headers, plus what `fetch` would add. */
function requestHead(url: URL, init: TransportRequest): { bytes: Uint8Array; headers: Headers } {
  const headers = new Headers(init.headers);
  if (!headers.has("accept")) headers.set("accept", "*/*");
  if (!headers.has("accept-language")) headers.set("accept-language", "*");
  if (!headers.has("accept-encoding")) {
    headers.set("accept-encoding", headers.has("range") ? "identity" : "gzip,br");
  }
  if (init.body !== null) headers.set("content-length", String(init.body.byteLength));
  else if (init.method === "POST" || init.method === "PUT") headers.set("content-length", "0");
  let text = `${init.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  const head = bytesOf(`${text}\r\n`);
  if (init.body === null || init.body.byteLength === 0) return { bytes: head, headers };
  const bytes = new Uint8Array(head.length + init.body.byteLength);
  bytes.set(head);
  bytes.set(init.body, head.length);
  return { bytes, headers };
}

/**
 * Connects to the first of `addresses` that answers: families interleaved,
 * the next attempt started after {@linkcode ATTEMPT_DELAY_MS} or as soon as
 * one fails, losers closed.
 */
function connectFirst(
  addresses: string[],
  port: number,
  signal: AbortSignal,
): Promise<{ address: string; conn: Deno.TcpConn }> {
  const v6 = addresses.filter((a) => a.includes(":"));
  const v4 = addresses.filter((a) => !a.includes(":"));
  const [first, second] = addresses[0].includes(":") ? [v6, v4] : [v4, v6];
  const order: string[] = [];
  for (let i = 0; i < Math.max(first.length, second.length); i++) {
    if (i < first.length) order.push(first[i]);
    if (i < second.length) order.push(second[i]);
  }
  return new Promise((resolve, reject) => {
    let next = 0;
    let running = 0;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const errors: unknown[] = [];
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      if (settled) return;
      finish();
      reject(signal.reason);
    };
    const attempt = () => {
      clearTimeout(timer);
      if (settled || next >= order.length) return;
      const address = order[next++];
      running++;
      Deno.connect({ hostname: address, port, signal }).then((conn) => {
        running--;
        if (settled) return closeQuietly(conn);
        finish();
        conn.setNoDelay(true);
        resolve({ address, conn });
      }, (err) => {
        running--;
        errors.push(err);
        if (settled) return;
        if (next < order.length) attempt();
        else if (running === 0) {
          finish();
          reject(errors[0]);
        }
      });
      if (next < order.length) timer = setTimeout(attempt, ATTEMPT_DELAY_MS);
    };
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    attempt();
  });
}

/** Sends the request on `lease` and reads the answer's head; the body follows on demand. */
async function roundTrip(
  lease: Lease,
  request: Uint8Array,
  init: TransportRequest,
  decode: boolean,
  putBack: (lease: Lease) => void,
): Promise<TransportResponse> {
  const { signal } = init;
  if (signal.aborted) {
    closeQuietly(lease.conn);
    throw signal.reason;
  }
  const onAbort = () => closeQuietly(lease.conn);
  signal.addEventListener("abort", onAbort, { once: true });
  const release = () => signal.removeEventListener("abort", onAbort);
  let head: ResponseHead;
  try {
    try {
      await writeAll(lease.conn, request);
    } catch (err) {
      if (lease.reused && !signal.aborted) throw new StaleConnection("stale", { cause: err });
      throw err;
    }
    head = await readFinalHead(lease, signal);
  } catch (err) {
    release();
    closeQuietly(lease.conn);
    throw signal.aborted ? signal.reason : err;
  }
  const headers = new Headers();
  try {
    for (const [name, value] of head.headers) headers.append(name, value);
  } catch (err) {
    release();
    closeQuietly(lease.conn);
    throw new HttpProtocolError("invalid HTTP header", { cause: err });
  }
  const statusText = REASON_PHRASES[head.status] ?? http.STATUS_CODES[head.status] ?? "";
  const framing = framingOf(init.method, head);
  const keepAlive = head.version === "1.1" &&
    !/(^|,)\s*close\s*(,|$)/i.test(headers.get("connection") ?? "");
  const source = bodyReader(lease.reader, framing);
  const done = (completed: boolean) => {
    release();
    if (completed && keepAlive && source.ended() && lease.reader.buffered === 0) putBack(lease);
    else closeQuietly(lease.conn);
  };
  const base = { status: head.status, statusText, headers };
  if (framing.kind === "none" || init.method === "HEAD" || NULL_BODY_STATUSES.has(head.status)) {
    done(true);
    return { ...base, body: null };
  }
  const coding = (headers.get("content-encoding") ?? "").trim().toLowerCase();
  const decoding = decode && (coding === "gzip" || coding === "br") ? coding : null;
  return { ...base, body: bodyStream(source, decoding, done, signal) };
}

/** The first answer that is not informational (1xx); a switch of protocols is an error. */
async function readFinalHead(lease: Lease, signal: AbortSignal): Promise<ResponseHead> {
  for (let interim = 0; interim <= MAX_INTERIM; interim++) {
    let text: string | null;
    try {
      text = await lease.reader.readHead(MAX_HEADER_BYTES);
    } catch (err) {
      if (lease.reused && interim === 0 && lease.reader.buffered === 0 && !signal.aborted) {
        throw new StaleConnection("stale", { cause: err });
      }
      throw err;
    }
    if (text === null) {
      if (lease.reused && interim === 0) throw new StaleConnection("closed before answering");
      throw new HttpProtocolError("the server closed the connection without answering");
    }
    const head = parseHead(text);
    if (head.status === 101) {
      throw new HttpProtocolError(
        "the server switched protocols (101), which fetch does not support",
      );
    }
    if (head.status >= 200) return head;
  }
  throw new HttpProtocolError("too many informational (1xx) answers");
}

/**
 * The response body as a stream read on demand. With a coding, the bytes go
 * through a `node:zlib` decoder, which honours back-pressure (16 KiB pieces),
 * so a compression bomb is stopped by the reader's limit, not by memory. The
 * decoder is created with the first byte: an empty body stays empty.
 */
function bodyStream(
  source: { next(): Promise<Uint8Array | null> },
  coding: "gzip" | "br" | null,
  done: (completed: boolean) => void,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  let finished = false;
  const finish = (completed: boolean) => {
    if (finished) return;
    finished = true;
    done(completed);
  };
  const strategy = new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 });
  if (coding === null) {
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const piece = await source.next();
          if (piece === null) {
            finish(true);
            controller.close();
          } else controller.enqueue(piece);
        } catch (err) {
          finish(false);
          controller.error(signal.aborted ? signal.reason : err);
        }
      },
      cancel() {
        finish(false);
      },
    }, strategy);
  }
  let decoder: zlib.Gunzip | zlib.BrotliDecompress | null = null;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (err: unknown) => {
        if (finished) return;
        finish(false);
        decoder?.destroy();
        controller.error(signal.aborted ? signal.reason : err);
      };
      (async () => {
        for (let piece = await source.next(); piece !== null; piece = await source.next()) {
          if (finished) return;
          if (decoder === null) {
            const created = coding === "gzip" ? zlib.createGunzip() : zlib.createBrotliDecompress();
            decoder = created;
            created.on("data", (chunk: Uint8Array) => {
              if (finished) return;
              controller.enqueue(chunk);
              if ((controller.desiredSize ?? 1) <= 0) created.pause();
            });
            created.on("end", () => {
              if (finished) return;
              finish(true);
              controller.close();
            });
            created.on("error", fail);
          }
          if (!decoder.write(piece)) {
            const current = decoder;
            await new Promise<void>((resolve) => {
              current.once("drain", resolve);
              current.once("close", resolve);
            });
          }
        }
        if (decoder === null) {
          finish(true);
          controller.close();
        } else decoder.end();
      })().catch(fail);
    },
    pull() {
      decoder?.resume();
    },
    cancel() {
      finish(false);
      decoder?.destroy();
    },
  }, strategy);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
