/**
 * Newline-delimited text over byte streams and sockets, for fazt's own
 * child processes (sandboxes speak JSON lines over their bridge socket; the
 * app SQL process and the /proc reader over pipes): a synchronous line
 * splitter with a length cap, pumps from a stream or a connection, and a
 * writer that batches what is queued while a write is under way.
 *
 * @module
 */

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
 * When a {@linkcode LineWriter} writes what was queued:
 *
 * - `"turn"`: after the event loop's current turn (its check phase, via
 *   `setImmediate`), so every request the turn's I/O brought in is queued
 *   first and all go out in one write. A microtask would flush after each
 *   one: `Deno.serve` hands JS one request per promise, so lines went out
 *   one write (one wakeup of the peer) per request. For the kernel's side
 *   of the bridge.
 * - `"microtask"`: as soon as the current job's microtasks ran. For a
 *   sandbox: app code can fill the rest of the turn (a timer that spins),
 *   and an answer must not wait behind it, where it would also count the
 *   app's background CPU as a request's.
 */
export type FlushTiming = "turn" | "microtask";

/**
 * `setImmediate`, taken by the first `"turn"` writer: reading the global
 * loads Deno's Node timers (tens of ms), which a sandbox, whose writers
 * never use it, must not pay at start.
 */
let afterTurn: ((run: () => void) => void) | undefined;

/**
 * Writes messages to a connection as text lines, in order: messages queued
 * before the flush (see {@linkcode FlushTiming}), or while a write is under
 * way, go out together in one write, so a busy bridge batches itself.
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
  #later: (run: () => void) => void;
  #soon = false;

  /**
   * `onError` hears of a failed write (the peer is gone); later lines are
   * dropped. `flush` says when queued lines are written (default `"microtask"`).
   */
  constructor(onError: (err: unknown) => void = () => {}, flush: FlushTiming = "microtask") {
    this.#onError = onError;
    this.#later = flush === "turn" ? (afterTurn ??= globalThis.setImmediate) : queueMicrotask;
  }

  /** Starts writing to `conn` (lines queued before go out first). */
  attach(conn: Deno.Conn): void {
    this.#conn = conn;
    this.#kick();
  }

  /**
   * Queues one line (without its newline). `now`: flush after the current
   * job's microtasks, whatever the writer's {@linkcode FlushTiming}.
   */
  push(line: string, now = false): void {
    if (this.#closed) return;
    this.#backlog += line.length;
    const first = this.#outbox.push(line) === 1;
    if (this.#writing) return;
    if (now && !this.#soon) {
      this.#soon = true;
      queueMicrotask(() => {
        this.#soon = false;
        this.#kick();
      });
    } else if (first) this.#later(() => this.#kick());
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
