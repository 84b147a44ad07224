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
 * `ConnectionLimits` (`listener.ts`). Measured cost against `Deno.serve`: 5–13%
 * of static requests per second (2 KB file), ~5 µs per request.
 *
 * @module
 */
import type { ConnInfo } from "./request_info.ts";
import { isWatched, type SendProgress, watchedResponse } from "./send_watch.ts";
import { errorResponse } from "./error_response.ts";
import { refuseRequest } from "./request_gate.ts";
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  handlerSlot,
  type Listener,
  sweepIntervalMs,
} from "./listener.ts";
import { abandonBody, declaresBody, trackBody, unreadBody } from "./tracked_body.ts";
import { denoConnectionServer } from "./deno_connection.ts";
import {
  type Connection,
  cutConnection,
  sweepConnections,
  type TrackedBody,
} from "./connection_sweep.ts";

/** Where and how to listen. */
export interface ListenOptions {
  /** The address to bind. */
  hostname: string;
  /** The port to bind (0 picks a free one). */
  port: number;
  /** Overrides for `DEFAULT_CONNECTION_LIMITS` (`listener.ts`; tests use short timeouts). */
  limits?: Partial<ConnectionLimits>;
}

/**
 * `req` with its body tracked in `conn.bodies` (see `tracked_body.ts`).
 * Built from the parts, not `new Request(req, …)`: that reads `req.signal`,
 * which builds a signal per request (and, without the `fazt` task's
 * --unstable-no-legacy-abort, a warning). The wrapper hands out the original
 * `signal` when asked, so the kernel sees the same one.
 */
function trackedRequest(
  req: Request,
  source: ReadableStream<Uint8Array>,
  conn: Connection,
): { req: Request; body: TrackedBody } {
  const { stream, state } = trackBody(source, conn);
  const wrapped = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: stream,
    duplex: "half",
  } as RequestInit);
  Object.defineProperty(wrapped, "signal", { get: () => req.signal });
  return { req: wrapped, body: state };
}

/** Starts listening; the handler is attached once the kernel is ready. */
export function listen(options: ListenOptions): Listener {
  const serve = denoConnectionServer();
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const slot = handlerSlot();
  const dispatch = slot.dispatch;

  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const conns = new Set<Connection>();
  let stopping = false;
  const drained = Promise.withResolvers<void>();

  const sweep = () => sweepConnections(conns, performance.now(), stopping, limits);
  const sweeper = setInterval(sweep, sweepIntervalMs(limits));

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
          if (declaresBody(req.headers)) c.bodies.add(unreadBody(now));
          req.body?.cancel().catch(() => {});
          return refused;
        }
        if (req.method === "GET" || req.method === "HEAD") {
          if (declaresBody(req.headers)) c.bodies.add(unreadBody(now));
          return answered(dispatch(req, info));
        }
        const source = req.body;
        if (source === null) return answered(dispatch(req, info));
        const tracked = trackedRequest(req, source, c);
        const settled = () => {
          const after = performance.now();
          c.deadline = after + limits.idleTimeoutMs;
          abandonBody(tracked.body, after);
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
    setHandler: slot.set,
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
