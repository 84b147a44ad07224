/**
 * The listener's connection limits in action: the state it keeps per open
 * connection (a deadline, the request bodies not yet read, the watched
 * response being sent) and the sweep that runs a few times a second and
 * closes or cuts the connections past a limit. It acts only through a
 * connection's two verbs, a graceful close and a cut (`deno_connection.ts`
 * supplies them for Deno's engine), so it holds for any engine that has
 * them. The limits themselves are `ConnectionLimits` in `listener.ts`.
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import type { SendProgress } from "./send_watch.ts";

/** A request body not yet read to its end. */
export interface TrackedBody {
  /** Since when the client owes bytes (or when it last sent some). */
  since: number;
  /** A read waits for the client. */
  reading: boolean;
  /**
   * The handler has returned or cancelled the body: from now on every moment
   * without bytes counts, as hyper must read the body to its end anyway.
   */
  abandoned: boolean;
  /** Fails the pending read, if any. */
  fail(err: Error): void;
}

/** One open connection, as the sweep sees it. */
export interface Connection {
  /** When the connection is closed (gracefully) unless another request arrives first. */
  deadline: number;
  /** Set once its close began (graceful or cut). */
  closing: boolean;
  /**
   * Request bodies not read to their end. While there are any the connection
   * is never closed gracefully: hyper would wait for the rest of the body.
   */
  readonly bodies: Set<TrackedBody>;
  /** The watched response body being sent, if any. */
  sending: SendProgress | null;
  /** The engine's verbs for this connection (set once it is being served). */
  engine?: { close(): void; cut(): void };
}

/** The limits the sweep applies (see `ConnectionLimits` in `listener.ts`). */
export interface SweepLimits {
  /** Milliseconds a body read may wait for bytes, or an abandoned body may take to arrive. */
  bodyTimeoutMs: number;
  /** Milliseconds a watched response may wait for the client to take its next piece. */
  sendTimeoutMs: number;
}

/**
 * Why a watched response body was failed. Deno logs a response body's error
 * as an internal error: one line, without a stack of fazt's timers.
 */
const STALLED_SEND = Object.assign(
  new Error("fazt cut a connection: the client stopped reading a large response."),
  { stack: "fazt cut a connection: the client stopped reading a large response." },
);

/** Cuts `c` at once, unless a close already began (a graceful close cannot be cut short). */
export function cutConnection(c: Connection): void {
  if (c.closing) return;
  c.closing = true;
  c.engine?.cut();
}

/**
 * Closes every connection past its deadline (all of them when `stopping`)
 * gracefully: the engine closes one that is idle or reading headers at
 * once and lets a response being written finish first. Cuts a connection
 * whose client stopped reading a watched response, or stopped sending a
 * body someone waits for or hyper must read.
 */
export function sweepConnections(
  conns: Iterable<Connection>,
  now: number,
  stopping: boolean,
  limits: SweepLimits,
): void {
  for (const c of conns) {
    const sending = c.sending;
    if (
      sending !== null && sending.idleSince >= 0 &&
      now - sending.idleSince >= limits.sendTimeoutMs
    ) {
      // Erroring the body ends the response, and with it the connection,
      // even when a graceful close already began.
      c.sending = null;
      sending.fail(STALLED_SEND);
      cutConnection(c);
      continue;
    }
    if (c.closing) continue;
    if (c.bodies.size === 0) {
      if (stopping || c.deadline <= now) {
        c.closing = true;
        c.engine?.close();
      }
      continue;
    }
    for (const b of c.bodies) {
      if (!(b.reading || b.abandoned) || now - b.since < limits.bodyTimeoutMs) continue;
      b.fail(new FaztError("bad_request", "The request body stalled."));
      cutConnection(c);
      break;
    }
  }
}
