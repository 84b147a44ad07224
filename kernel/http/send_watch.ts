/**
 * Large responses the listener watches for a client that stopped reading
 * (a slow-read attack): such a client keeps its connection, and one of the
 * listener's connection slots, for as long as it likes, since the response
 * is never done. The handler marks a response with {@linkcode watchSend}
 * (static files of {@linkcode WATCH_SEND_FROM} bytes or more, streamed
 * `/api` answers); the listener then hands its body to Deno in pieces of at
 * most {@linkcode SEND_PIECE_BYTES} and cuts the connection when Deno has
 * not asked for the next piece for `sendTimeoutMs` (see
 * `ConnectionLimits.sendTimeoutMs` in `listener.ts`). Time the body's own
 * producer takes (an app still computing its next chunk) never counts.
 *
 * Small responses need no watch: they fit in the socket's send buffer, the
 * response is done at once and the idle timeout closes the connection.
 *
 * A watched body whose producer fails (an app's stream cut at the request
 * time limit, a sandbox that died) is reported as failed, and the listener
 * cuts the connection: the client must see an error, never a response that
 * looks complete.
 *
 * @module
 */

/** Responses at least this large (bytes) are watched. */
export const WATCH_SEND_FROM = 256 * 1024;

/** Largest piece of a watched body handed to Deno at once. */
export const SEND_PIECE_BYTES = 64 * 1024;

const WATCHED: unique symbol = Symbol("fazt.watchSend");

type Marked = Response & { [WATCHED]?: true };

/** Marks `res` so that the listener watches its body for a stalled client; returns it. */
export function watchSend(res: Response): Response {
  if (res.body !== null) (res as Marked)[WATCHED] = true;
  return res;
}

/** Whether `res` was marked by {@linkcode watchSend}. */
export function isWatched(res: Response): boolean {
  return (res as Marked)[WATCHED] === true;
}

/** What the listener learns about a watched body. */
export interface SendProgress {
  /** Since when Deno has all it asked for (or when it last asked); -1 while it waits for the producer. */
  idleSince: number;
  /** Errors the body (the client stalled): Deno drops the connection. */
  fail(err: Error): void;
}

/**
 * `res` with its body handed out in pieces of at most
 * {@linkcode SEND_PIECE_BYTES}, reporting to `progress` (and `done` once the
 * body ended, failed or was cancelled; `failed` is true when its producer
 * failed).
 */
export function watchedResponse(
  res: Response,
  onStart: (progress: SendProgress) => void,
  done: (failed: boolean) => void,
): Response {
  const reader = res.body!.getReader();
  let rest: Uint8Array | null = null;
  let finished = false;
  const finish = (failed = false) => {
    if (finished) return;
    finished = true;
    done(failed);
  };
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  const progress: SendProgress = {
    idleSince: performance.now(),
    fail(err) {
      finish();
      try {
        controllerRef?.error(err);
      } catch {
        // already closed
      }
      reader.cancel(err).catch(() => {});
    },
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
    },
    async pull(controller) {
      let chunk = rest;
      rest = null;
      if (chunk === null) {
        progress.idleSince = -1;
        try {
          const next = await reader.read();
          if (finished) return;
          if (next.done) {
            finish();
            controller.close();
            return;
          }
          chunk = next.value;
        } catch (err) {
          finish(true);
          controller.error(err);
          return;
        }
      }
      if (chunk.byteLength > SEND_PIECE_BYTES) {
        rest = chunk.subarray(SEND_PIECE_BYTES);
        chunk = chunk.subarray(0, SEND_PIECE_BYTES);
      }
      controller.enqueue(chunk);
      progress.idleSince = performance.now();
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  onStart(progress);
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
