/**
 * The HTTP listener around the kernel's handler: connection caps, header,
 * idle and request-body timeouts (slowloris), slow readers of large
 * responses, and graceful shutdown (stop accepting, let in-flight requests
 * finish, then close the kernel).
 *
 * `Deno.serve` has no header or idle timeout and no connection cap, and
 * `node:http` (which has them) served 30–45% of its requests per second in
 * the same run. So fazt accepts TCP connections itself (`Deno.listen`) and
 * hands each one to Deno's own HTTP engine (hyper) through the adapter in
 * `deno_connection.ts`: the request path stays Deno's, and owning the
 * socket lets the listener count connections and close or cut one whose
 * deadline passed. Hyper reads the header bytes, so the listener cannot see
 * them arrive: it sees a request when its headers are complete. Each
 * connection has one deadline, reset by every request; one sweep
 * (`connection_sweep.ts`) closes connections past it with hyper's graceful
 * close, which drops a connection that is idle or still reading headers at
 * once and lets a response being written finish first. Request bodies are
 * tracked until read to their end, since hyper must read a body (even one
 * nobody wants) before the next request or a graceful close; a client that
 * stops sending one gets its connection cut. See
 * {@linkcode ConnectionLimits}. Measured cost against `Deno.serve`: 5–13%
 * of static requests per second (2 KB file), ~5 µs per request.
 *
 * @module
 */
import type { HttpHandler } from "./handler.ts";
import type { ConnInfo } from "./request_info.ts";
import { isWatched, type SendProgress, watchedResponse } from "./send_watch.ts";
import { errorResponse } from "./error_response.ts";
import { FaztError } from "../core/errors.ts";
import { refuseRequest } from "./request_gate.ts";
import { denoConnectionServer } from "./deno_connection.ts";
import {
  type Connection,
  cutConnection,
  sweepConnections,
  type TrackedBody,
} from "./connection_sweep.ts";

/** Connection limits the listener enforces. */
export interface ConnectionLimits {
  /** Most open connections; a connection beyond it is closed as soon as it is accepted. */
  maxConnections: number;
  /**
   * Milliseconds from a connection's opening until its first request's
   * headers are complete; then the connection is closed (slowloris, and
   * connections that never send anything).
   */
  headerTimeoutMs: number;
  /**
   * Milliseconds from the start of a connection's latest request until the
   * next request's headers are complete; then the connection is closed once
   * any response still being written has finished. (Deno reports a response
   * done when hyper has it, before a slow client has read it, so the clock
   * starts at the request.) The listener cannot tell an idle connection from
   * one trickling its next request's headers, so this is also the header
   * timeout of every request after the first.
   */
  idleTimeoutMs: number;
  /**
   * Milliseconds a read of a request body may wait for bytes from the client
   * (a body that stalls); then the read fails and the connection is closed.
   * Also how long after its handler returned a body nobody read may take to
   * arrive (hyper must read it before the next request or a graceful close).
   */
  bodyTimeoutMs: number;
  /**
   * Milliseconds a large response (marked with `watchSend`, see
   * `send_watch.ts`) may wait for the client to take its next piece; then
   * the connection is cut (a slow-read attack, or a client gone silent).
   * Time the response's own producer takes never counts.
   */
  sendTimeoutMs: number;
}

/**
 * The defaults for {@linkcode ConnectionLimits}, in one place:
 *
 * - 1024 connections: far below the process's file limit (20,000 here; fazt
 *   also needs descriptors for SQLite files and sandbox pipes), and far above
 *   what one small server's real clients keep open (a browser opens ~6 per
 *   host). A flood beyond it costs one accept and one close each.
 * - 10 s header timeout: real clients send a request's headers in one packet
 *   within one round trip; 10 s leaves room for a very slow mobile link while
 *   making a slowloris hold a connection slot for at most 10 s.
 * - 5 s idle timeout: long enough for a browser to reuse the connection for
 *   the requests a page makes in a burst (Node's `keepAliveTimeout` default
 *   is also 5 s); idle connections are what fills the connection cap, so it
 *   stays short. A client whose next request races the close retries it on a
 *   new connection (idempotent requests), as with any keep-alive timeout.
 * - 10 s body timeout: only counts time the handler waits for bytes that the
 *   client does not send (never slow handlers or slow disks); an upload that
 *   moves at all restarts it with every chunk.
 * - 30 s send timeout: a client that takes not one 64 KiB piece of a large
 *   response in 30 s (2 KB/s) has stopped reading; nginx's `send_timeout`
 *   is 60 s between two writes of any size.
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  maxConnections: 1024,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  bodyTimeoutMs: 10_000,
  sendTimeoutMs: 30_000,
});

/** Where and how to listen. */
export interface ListenOptions {
  /** The address to bind. */
  hostname: string;
  /** The port to bind (0 picks a free one). */
  port: number;
  /** Overrides for {@linkcode DEFAULT_CONNECTION_LIMITS} (tests use short timeouts). */
  limits?: Partial<ConnectionLimits>;
}

/** A running listener. */
export interface Listener {
  /** The bound address. */
  hostname: string;
  /** The bound port (resolved when 0 was asked for). */
  port: number;
  /** Sets the handler (requests before that get 503). */
  setHandler(handler: HttpHandler): void;
  /** Stops accepting and waits for in-flight requests. */
  shutdown(): Promise<void>;
  /** Resolves when the listener has stopped. */
  finished: Promise<void>;
}

/**
 * `req` with a body tracked in `conn.bodies`, so that a client that stops
 * sending it is found. Reads pull from the original body one chunk at a
 * time (no read-ahead), so the handler's backpressure reaches the client.
 */
function trackedBody(
  req: Request,
  source: ReadableStream<Uint8Array>,
  conn: Connection,
): { req: Request; body: TrackedBody } {
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
  const body = new ReadableStream<Uint8Array>({
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
  // Built from the parts, not `new Request(req, …)`: that reads `req.signal`,
  // which builds a signal per request (and, without the `fazt` task's
  // --unstable-no-legacy-abort, a warning). The wrapper hands out the
  // original `signal` when asked, so the kernel sees the same one.
  const wrapped = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body,
    duplex: "half",
  } as RequestInit);
  Object.defineProperty(wrapped, "signal", { get: () => req.signal });
  return { req: wrapped, body: state };
}

/** Whether a GET or HEAD (whose body Deno hides) came with body bytes anyway. */
function hasHiddenBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  return (length !== null && length !== "0") || req.headers.has("transfer-encoding");
}

/** Starts listening; the handler is attached once the kernel is ready. */
export function listen(options: ListenOptions): Listener {
  const serve = denoConnectionServer();
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  let handler: HttpHandler | undefined;
  const dispatch: HttpHandler = (req, info) =>
    handler ? handler(req, info) : errorResponse(
      new FaztError("unavailable", "fazt is starting. Try again in a moment.", {
        headers: { "retry-after": "1" },
      }),
    );

  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const conns = new Set<Connection>();
  let stopping = false;
  const drained = Promise.withResolvers<void>();

  const sweep = () => sweepConnections(conns, performance.now(), stopping, limits);
  // Often enough to hold each timeout within a tenth (at least every second).
  const sweepMs = Math.min(
    1000,
    Math.max(
      10,
      Math.min(
        limits.headerTimeoutMs,
        limits.idleTimeoutMs,
        limits.bodyTimeoutMs,
        limits.sendTimeoutMs,
      ) / 10,
    ),
  );
  const sweeper = setInterval(sweep, sweepMs);

  function release(c: Connection): void {
    conns.delete(c);
    if (stopping && conns.size === 0) drained.resolve();
  }

  function accepted(tcp: Deno.TcpConn): void {
    if (stopping || conns.size >= limits.maxConnections) {
      tcp.close();
      return;
    }
    // Streamed bodies go out as they are written, not held back by Nagle.
    tcp.setNoDelay(true);
    const c: Connection = {
      deadline: performance.now() + limits.headerTimeoutMs,
      closing: false,
      bodies: new Set(),
      sending: null,
    };
    /** Watches a marked response's body (see send_watch.ts). */
    const answer = (res: Response): Response => {
      if (!isWatched(res)) return res;
      let progress: SendProgress | undefined;
      return watchedResponse(res, (p) => c.sending = progress = p, (failed) => {
        if (c.sending === progress) c.sending = null;
        // The body could not be finished: a cut connection is the one way
        // the client learns that what it got is incomplete.
        if (failed) cutConnection(c);
      });
    };
    const answered = (res: Response | Promise<Response>) =>
      res instanceof Promise ? res.then(answer) : answer(res);
    const info: ConnInfo = { remoteAddr: tcp.remoteAddr };
    conns.add(c);
    const served = serve(
      tcp,
      (req) => {
        const now = performance.now();
        // From the request's start (see ConnectionLimits.idleTimeoutMs).
        c.deadline = now + limits.idleTimeoutMs;
        // Hyper reads a request only after the previous one's body (HTTP/1.1).
        c.bodies.clear();
        // An unservable method or Host: refused before anything (a Request with
        // such a method cannot even be rebuilt). A body nobody reads must still
        // arrive, as for a GET with a body.
        const refused = refuseRequest(req);
        if (refused) {
          if (hasHiddenBody(req)) {
            c.bodies.add({ since: now, reading: false, abandoned: true, fail: () => {} });
          }
          req.body?.cancel().catch(() => {});
          return refused;
        }
        if (req.method === "GET" || req.method === "HEAD") {
          if (hasHiddenBody(req)) {
            c.bodies.add({ since: now, reading: false, abandoned: true, fail: () => {} });
          }
          return answered(dispatch(req, info));
        }
        const source = req.body;
        if (source === null) return answered(dispatch(req, info));
        const tracked = trackedBody(req, source, c);
        const settled = () => {
          const after = performance.now();
          c.deadline = after + limits.idleTimeoutMs;
          const body = tracked.body;
          if (!body.abandoned) {
            body.abandoned = true;
            if (!body.reading) body.since = after;
          }
        };
        let res: Promise<Response>;
        try {
          res = Promise.resolve(dispatch(tracked.req, info));
        } catch (err) {
          res = Promise.reject(err);
        }
        res.then(settled, settled);
        return res.then(answer);
      },
      (err) => errorResponse(err),
    );
    c.engine = served;
    served.finished.catch(() => {}).finally(() => release(c));
  }

  const accepting = (async () => {
    while (true) {
      let tcp: Deno.TcpConn;
      try {
        tcp = await listener.accept();
      } catch (err) {
        if (stopping || err instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: let connections end, then retry.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      accepted(tcp);
    }
  })();

  const finished = (async () => {
    await accepting;
    await drained.promise;
    clearInterval(sweeper);
  })();

  let stopped: Promise<void> | undefined;
  const addr = listener.addr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    setHandler: (h) => handler = h,
    shutdown: () =>
      stopped ??= (async () => {
        stopping = true;
        listener.close();
        if (conns.size === 0) drained.resolve();
        sweep(); // closes idle connections now; the rest once their bodies are read
        await finished;
      })(),
    finished,
  };
}
