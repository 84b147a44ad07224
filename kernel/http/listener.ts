/**
 * What fazt's two listeners share: the connection limits they enforce, the
 * shape of a running listener, and the handler slot that answers 503 until
 * the kernel is ready. The plain one (`server.ts`) drives Deno's HTTP
 * engine on TCP; the HTTPS one (`tls_server.ts`) drives `node:https` with a
 * certificate per server name. Both hand every request to the same
 * `HttpHandler` (`handler.ts`).
 *
 * @module
 */
import type { HttpHandler } from "./handler.ts";
import { errorResponse } from "./error_response.ts";
import { FaztError } from "../core/errors.ts";

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
 * How often a listener sweeps its connections: often enough to hold each
 * of `limits`' timeouts within a tenth, at least every second and at most
 * every 10 ms.
 */
export function sweepIntervalMs(limits: ConnectionLimits): number {
  const shortest = Math.min(
    limits.headerTimeoutMs,
    limits.idleTimeoutMs,
    limits.bodyTimeoutMs,
    limits.sendTimeoutMs,
  );
  return Math.min(1000, Math.max(10, shortest / 10));
}

/** Where a listener keeps its handler until the kernel is ready. */
export interface HandlerSlot {
  /** The handler to call: the kernel's once set, a 503 "starting" before. */
  dispatch: HttpHandler;
  /** Sets the kernel's handler. */
  set(handler: HttpHandler): void;
}

/** A slot whose `dispatch` answers 503 with `Retry-After: 1` until a handler is set. */
export function handlerSlot(): HandlerSlot {
  let handler: HttpHandler | undefined;
  return {
    dispatch: (req, info) =>
      handler ? handler(req, info) : errorResponse(
        new FaztError("unavailable", "fazt is starting. Try again in a moment.", {
          headers: { "retry-after": "1" },
        }),
      ),
    set: (h) => handler = h,
  };
}
