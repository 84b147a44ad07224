/**
 * The bridge protocol between the kernel and a sandbox process: one JSON
 * object per line on the child's stdin (kernel → child) and stdout
 * (child → kernel). Bodies travel base64-encoded; the values of capability
 * calls and their answers are encoded by `bridge_values.ts` (bytes tagged)
 * when they need it. The child never names an app: the kernel knows which
 * app a process serves and attaches that ID to every capability call itself.
 *
 * @module
 */

/** The app a sandbox serves, as the app's code sees it. */
export interface SandboxApp {
  /** Stable app ID. */
  id: string;
  /** Current name. */
  name: string;
}

/** Kernel → child messages. */
export type ToChild =
  | {
    t: "init";
    app: SandboxApp;
    /** The app's code files (path → source). */
    files: Record<string, string>;
    /** The entry file, e.g. `api/main.js`. */
    entry: string;
    /**
     * The dotted names of the capabilities offered as `fazt.*` (`kv.get`, …):
     * the child builds its `fazt` object from them.
     */
    capabilities: readonly string[];
  }
  | {
    t: "req";
    id: number;
    requestId: string;
    method: string;
    url: string;
    headers: [string, string][];
    body: string | null;
  }
  | { t: "abort"; id: number }
  /** Stop sending a response body: the client is not reading it fast enough. */
  | { t: "pause"; id: number }
  /** Carry on sending a paused response body. */
  | { t: "resume"; id: number }
  /**
   * A capability call's answer. `tagged`: `value` holds bytes or escaped
   * objects (`bridge_values.ts`) and must be decoded; without it, it is
   * plain JSON.
   */
  | { t: "ret"; id: number; ok: true; value: unknown; tagged?: true }
  | { t: "ret"; id: number; ok: false; error: { code: string; message: string } }
  | { t: "ping"; id: number };

/** Child → kernel messages. */
export type FromChild =
  | { t: "ready" }
  | { t: "loaded" }
  | { t: "load_error"; message: string }
  | { t: "head"; id: number; status: number; headers: [string, string][] }
  | {
    t: "res";
    id: number;
    status: number;
    headers: [string, string][];
    /** The whole body (base64), for responses that are complete at once. */
    body: string | null;
    /**
     * Or the whole body as text, when it is UTF-8 and the response names
     * its content type: a string crosses the bridge and becomes a response
     * body far more cheaply than bytes.
     */
    text?: string;
  }
  | { t: "chunk"; id: number; data: string }
  | { t: "end"; id: number }
  | { t: "fail"; id: number; message: string }
  /**
   * A capability call. `tagged`: `args` hold bytes or escaped objects
   * (`bridge_values.ts`) and must be decoded; without it, they are plain JSON.
   */
  | { t: "call"; id: number; op: string; args: unknown[]; tagged?: true }
  | {
    t: "log";
    level: "debug" | "info" | "warn" | "error";
    message: string;
    requestId: string | null;
  }
  | { t: "pong"; id: number };

/**
 * The longest message line a sandbox may send (characters): a 50 MiB blob
 * (the largest `blobs.put`) is about 67 MiB of base64.
 */
export const MAX_MESSAGE_CHARS = 80 * 1024 * 1024;

/**
 * Encodes bytes as base64 (natively: building a binary string first costs
 * about 150 ms per MiB, long enough to stall the kernel on one large body).
 */
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Decodes base64 into bytes. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromBase64(text);
}

/**
 * Splits bytes into text lines as they arrive, synchronously: each `push`
 * hands every complete line to `onLine` before it returns, so a batch of
 * messages read at once is handled in one go, with no promise per line.
 * Only each new chunk is searched and a long line's pieces are joined once,
 * so a multi-megabyte message costs linear, not quadratic, time. A line
 * longer than `maxLineChars` throws a `RangeError` instead of being
 * buffered without end (a sandbox writing bytes with no newline).
 */
export class LineSplitter {
  #decoder = new TextDecoder();
  #pieces: string[] = [];
  #pending = 0;
  #max: number;
  #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void, maxLineChars = Infinity) {
    this.#onLine = onLine;
    this.#max = maxLineChars;
  }

  /** Adds bytes; calls `onLine` for each line they complete. */
  push(chunk: Uint8Array): void {
    const text = this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) !== -1) {
      let line = text.slice(start, nl);
      if (this.#pieces.length > 0) {
        this.#pieces.push(line);
        line = this.#pieces.join("");
        this.#pieces = [];
        this.#pending = 0;
      }
      start = nl + 1;
      if (line) this.#onLine(line);
    }
    if (start < text.length) {
      this.#pending += text.length - start;
      if (this.#pending > this.#max) {
        throw new RangeError(`A message is longer than ${this.#max} characters.`);
      }
      this.#pieces.push(text.slice(start));
    }
  }

  /** Hands over a last line that had no newline. */
  end(): void {
    const rest = this.#pieces.join("") + this.#decoder.decode();
    this.#pieces = [];
    if (rest) this.#onLine(rest);
  }
}

/**
 * Reads a byte stream to its end, calling `onLine` for each text line (see
 * {@linkcode LineSplitter}).
 */
export async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  maxLineChars = Infinity,
): Promise<void> {
  const lines = new LineSplitter(onLine, maxLineChars);
  const reader = stream.getReader();
  try {
    while (true) {
      const next = await reader.read();
      if (next.done) break;
      lines.push(next.value);
    }
  } finally {
    reader.releaseLock();
  }
  lines.end();
}

/**
 * Reads a byte stream as text lines, one at a time (for slow, sequential
 * readers; hot paths use {@linkcode pumpLines}).
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxLineChars = Infinity,
): AsyncGenerator<string> {
  let ready: string[] = [];
  const lines = new LineSplitter((line) => ready.push(line), maxLineChars);
  for await (const chunk of stream) {
    lines.push(chunk);
    if (ready.length > 0) {
      const batch = ready;
      ready = [];
      yield* batch;
    }
  }
  lines.end();
  yield* ready;
}

/** Bytes read from the bridge socket at a time (one buffer, reused). */
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * Reads a connection to its end into one reused buffer, calling `onLine`
 * for each text line (see {@linkcode LineSplitter}): no stream objects and
 * no allocation per read on the bridge's hot path.
 */
export async function pumpConnLines(
  conn: Deno.Conn,
  onLine: (line: string) => void,
  maxLineChars = Infinity,
): Promise<void> {
  const lines = new LineSplitter(onLine, maxLineChars);
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    lines.push(buffer.subarray(0, n));
  }
  lines.end();
}

/**
 * Writes messages to a connection as text lines, in order: messages queued
 * while a write is under way go out together in the next one, so a busy
 * bridge batches itself.
 */
export class LineWriter {
  #conn: Deno.Conn | null = null;
  #outbox: string[] = [];
  #writing = false;
  #closed = false;
  #encoder = new TextEncoder();
  #onError: (err: unknown) => void;
  #backlog = 0;
  #waiters: (() => void)[] = [];

  /** `onError` hears of a failed write (the peer is gone); later lines are dropped. */
  constructor(onError: (err: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  /** Starts writing to `conn` (lines queued before go out first). */
  attach(conn: Deno.Conn): void {
    this.#conn = conn;
    this.#kick();
  }

  /** Queues one line (without its newline). */
  push(line: string): void {
    if (this.#closed) return;
    this.#backlog += line.length;
    if (this.#outbox.push(line) === 1 && !this.#writing) queueMicrotask(() => this.#kick());
  }

  /** Characters queued or being written: a sender of much data waits for {@linkcode drained} past a limit. */
  get backlog(): number {
    return this.#backlog;
  }

  /** Resolves once everything queued so far is written (or the writer closed). */
  drained(): Promise<void> {
    if (this.#backlog === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drops every queued and later line. */
  close(): void {
    this.#closed = true;
    this.#outbox = [];
    this.#settle();
  }

  #settle(): void {
    this.#backlog = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #kick(): void {
    if (this.#writing || !this.#conn || this.#outbox.length === 0 || this.#closed) return;
    this.#writing = true;
    this.#drain(this.#conn).then(() => {
      this.#writing = false;
      this.#kick();
    }, (err) => {
      this.#writing = false;
      this.close();
      this.#onError(err);
    });
  }

  async #drain(conn: Deno.Conn): Promise<void> {
    while (this.#outbox.length > 0 && !this.#closed) {
      const bytes = this.#encoder.encode(this.#outbox.join("\n") + "\n");
      this.#outbox = [];
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    }
    if (this.#outbox.length === 0) this.#settle();
  }
}
