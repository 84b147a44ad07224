/**
 * Request bodies a listener watches for a client that stops sending: the
 * body the handler reads is a stream over the engine's own, pulled one chunk
 * at a time (no read-ahead, so the handler's backpressure reaches the
 * client), that records in a {@linkcode TrackedBody} when a read waits for
 * the client. The connection sweep (`connection_sweep.ts`) fails a read that
 * waited too long, and cuts a connection whose abandoned body (one the
 * handler returned without reading, or cancelled) does not arrive in time.
 * Both listeners use it: `server.ts` over Deno's request bodies,
 * `tls_server.ts` over `node:https`'s.
 *
 * @module
 */
import type { Connection, TrackedBody } from "./connection_sweep.ts";

/**
 * A stream over `source` whose state is kept in `conn.bodies` until it is
 * read to its end (or the connection breaks).
 */
export function trackBody(
  source: ReadableStream<Uint8Array>,
  conn: Connection,
): { stream: ReadableStream<Uint8Array>; state: TrackedBody } {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let failed = false;
  let fail: (err: Error) => void = () => {};
  const state: TrackedBody = {
    since: performance.now(),
    reading: false,
    abandoned: false,
    fail: (err) => fail(err),
  };
  conn.bodies.add(state);
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= source.getReader();
      const r = reader;
      fail = (err) => {
        failed = true;
        controller.error(err);
        r.cancel(err).catch(() => {});
      };
      state.since = performance.now();
      state.reading = true;
      try {
        const { done, value } = await r.read();
        if (failed) return;
        if (done) {
          conn.bodies.delete(state);
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        conn.bodies.delete(state); // the connection broke
        if (!failed) controller.error(err);
      } finally {
        state.reading = false;
        state.since = performance.now();
        fail = () => {};
      }
    },
    cancel(reason) {
      state.abandoned = true;
      state.since = performance.now();
      return (reader ?? source).cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/**
 * Marks `body` abandoned (the handler has returned): from now on every
 * moment the client does not send counts against it.
 */
export function abandonBody(body: TrackedBody, now: number): void {
  if (body.abandoned) return;
  body.abandoned = true;
  if (!body.reading) body.since = now;
}

/**
 * A body nobody will read that must still arrive (a GET's hidden body, or
 * the body of a refused request): abandoned from the start.
 */
export function unreadBody(now: number): TrackedBody {
  return { since: now, reading: false, abandoned: true, fail: () => {} };
}

/** Whether a request's headers announce body bytes (a length other than 0, or chunks). */
export function declaresBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return (length !== null && length !== "0") || headers.has("transfer-encoding");
}
