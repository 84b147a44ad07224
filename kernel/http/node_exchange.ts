/**
 * The HTTPS listener's adapter between `node:https` and the kernel's
 * `(Request) => Response` handler: a node request becomes a web `Request`
 * (its body a stream pulled one chunk at a time, so the handler's
 * backpressure reaches the client), and a `Response` is written back with
 * node's backpressure (a piece at a time, waiting for `drain`).
 *
 * A body of one chunk (every response built from a string or bytes) goes
 * out with a `Content-Length`; streamed bodies without one go out chunked,
 * each chunk as it comes.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { SEND_PIECE_BYTES, type SendProgress } from "./send_watch.ts";

/**
 * The body of `incoming` as a web stream: each pull reads what node has
 * buffered, or waits for more. `discard` throws the rest away (once nobody
 * will read it), which node must do before it parses the next request.
 */
export function incomingBody(
  incoming: IncomingMessage,
): { stream: ReadableStream<Uint8Array>; discard(): void } {
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onError = (err: Error) => {
    failure = err;
    wakeUp();
  };
  incoming.on("readable", wakeUp);
  incoming.on("end", wakeUp);
  incoming.on("close", wakeUp);
  incoming.on("error", onError);
  const discard = () => {
    incoming.off("readable", wakeUp);
    incoming.resume();
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (failure !== null) return controller.error(failure);
        const chunk: Uint8Array | null = incoming.read();
        if (chunk !== null) {
          return controller.enqueue(
            new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
          );
        }
        if (incoming.readableEnded) return controller.close();
        if (incoming.destroyed) {
          return controller.error(
            new Error("The client closed the connection before it sent the whole body."),
          );
        }
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    cancel() {
      discard();
    },
  }, { highWaterMark: 0 });
  return { stream, discard };
}

/**
 * The headers of a node request as web `Headers`, from its raw list (so
 * repeated fields are kept as sent; `Headers` joins them).
 */
export function incomingHeaders(incoming: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
}

/**
 * The path and query of a request target: itself in origin form (`/a?b`),
 * the part after the authority in absolute form (`https://host/a?b`), null
 * for anything else (`*`, an authority alone).
 */
export function targetPath(target: string): string | null {
  if (target.startsWith("/")) return target;
  const scheme = target.indexOf("://");
  if (scheme <= 0) return null;
  const path = target.indexOf("/", scheme + 3);
  return path === -1 ? "/" : target.slice(path);
}

/** What {@linkcode sendResponse} reports to the listener while it waits for the client. */
export interface SendWatch {
  /** Called with the progress of a write that waits for the client to read, then with null. */
  waiting(progress: SendProgress | null): void;
}

const PENDING = Symbol("pending");

/**
 * Writes `res` to `out`: status, headers (`extra` added, for HSTS), then
 * the body with node's backpressure, in pieces of at most
 * {@linkcode SEND_PIECE_BYTES}, each wait for the client reported to
 * `watch`. Resolves when the response is done, the client has gone or the
 * watch failed the wait (the listener then cuts the connection); rejects
 * when the body's producer failed (the caller cuts the connection: the
 * client must see an error, never a response that looks complete).
 */
export async function sendResponse(
  res: Response,
  out: ServerResponse,
  head: boolean,
  extra: readonly string[],
  watch: SendWatch,
): Promise<void> {
  const headers: string[] = [];
  let length: string | null = null;
  for (const [name, value] of res.headers) {
    headers.push(name, value);
    if (name === "content-length") length = value;
  }
  for (const field of extra) headers.push(field);
  const status = res.status;
  const reason = res.statusText || undefined;
  // A write after the client left must not become an uncaught error.
  out.on("error", () => {});
  if (head) {
    res.body?.cancel().catch(() => {});
    out.writeHead(status, reason, headers).end();
    return;
  }
  if (length !== null && Number(length) <= SEND_PIECE_BYTES && !res.bodyUsed) {
    // Small and of known length (fazt's static files): taken whole, which
    // for a body built from bytes or a string skips building a stream.
    const bytes = await res.bytes();
    if (bytes.byteLength !== Number(length)) {
      throw new Error(`The response declared ${length} bytes but has ${bytes.byteLength}.`);
    }
    out.writeHead(status, reason, headers).end(bytes);
    return;
  }
  const hasLength = length !== null;
  const body = res.body;
  if (body === null) {
    out.writeHead(status, reason, headers).end();
    return;
  }
  const reader = body.getReader();
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    const w = wake;
    wake = null;
    w?.();
  };
  out.once("close", () => {
    stop();
    if (!out.writableFinished) reader.cancel().catch(() => {});
  });
  out.on("drain", () => {
    const w = wake;
    wake = null;
    w?.();
  });
  const first = await reader.read();
  if (first.done) {
    if (!hasLength) headers.push("content-length", "0");
    out.writeHead(status, reason, headers).end();
    return;
  }
  let chunk: Uint8Array = first.value;
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | null = reader.read();
  next.catch(() => {}); // awaited below, unless the client is gone by then
  if (!hasLength) {
    // A body that has already ended after one chunk goes out with its length.
    // An already settled `next` wins the race (its reaction is queued first);
    // a streamed body's first chunk never waits for its second.
    const peek = await Promise.race([next, Promise.resolve(PENDING)]);
    if (peek !== PENDING && peek.done) {
      headers.push("content-length", String(chunk.byteLength));
      out.writeHead(status, reason, headers).end(chunk);
      return;
    }
  }
  out.writeHead(status, reason, headers);
  for (;;) {
    for (let at = 0; at < chunk.byteLength && !stopped; at += SEND_PIECE_BYTES) {
      const piece = at === 0 && chunk.byteLength <= SEND_PIECE_BYTES
        ? chunk
        : chunk.subarray(at, at + SEND_PIECE_BYTES);
      if (out.write(piece) || stopped) continue;
      const waited = new Promise<void>((resolve) => wake = resolve);
      watch.waiting({ idleSince: performance.now(), fail: stop });
      await waited;
      watch.waiting(null);
    }
    if (stopped) return;
    const r = await (next ?? reader.read());
    next = null;
    if (r.done) break;
    chunk = r.value;
  }
  if (!stopped) out.end();
}
