/**
 * The adapter between fazt's listener (`server.ts`) and Deno's HTTP engine
 * (hyper): serves HTTP on one accepted connection, and gives the listener
 * the two things `Deno.serve` does not, a graceful close and a cut of that
 * one connection. The listener's limits (deadlines, stalled bodies, slow
 * readers: `connection_sweep.ts`) act only through those two verbs, so
 * another engine (a TLS listener) plugs in beside this file and drives the
 * same `(Request) => Response` core.
 *
 * It uses `serveHttpOnConnection`, the per-connection entry point behind
 * `Deno.serve`. It is internal to Deno (`Deno[Deno.internal]`), so
 * {@linkcode denoConnectionServer} checks that it exists and fails loudly
 * if a Deno upgrade removes it; `tests/kernel/http/server_test.ts` pins the
 * behaviour.
 *
 * @module
 */

/** Answers one request of a connection. */
export type ConnectionHandler = (req: Request) => Response | Promise<Response>;

/** One connection being served. */
export interface ServedConnection {
  /** Resolves when the connection has closed (whichever way). */
  finished: Promise<void>;
  /**
   * Closes the connection gracefully: at once when it is idle or still
   * reading a request's headers, after the response being written
   * otherwise. (Hyper first reads the rest of any request body.)
   */
  close(): void;
  /** Drops the connection at once, whatever it is doing. */
  cut(): void;
}

/** Serves HTTP on accepted connections; `onError` answers when `handler` throws. */
export type ConnectionServer = (
  conn: Deno.Conn,
  handler: ConnectionHandler,
  onError: (err: unknown) => Response | Promise<Response>,
) => ServedConnection;

/** What `serveHttpOnConnection` returns (the `Deno.serve` server, for one connection). */
interface DenoServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
}

type ServeHttpOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
  onError: (err: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => DenoServer;

function serveHttpOnConnection(): ServeHttpOnConnection {
  const deno = Deno as unknown as { internal?: symbol } & Record<symbol, unknown>;
  const internal = deno.internal === undefined ? undefined : deno[deno.internal] as {
    serveHttpOnConnection?: unknown;
  };
  const fn = internal?.serveHttpOnConnection;
  if (typeof fn !== "function" || fn.length !== 5) {
    throw new Error(
      `This Deno (${Deno.version.deno}) has no serveHttpOnConnection(conn, signal, handler, onError, onListen); ` +
        "fazt's listener (kernel/http/deno_connection.ts) needs it.",
    );
  }
  return fn as ServeHttpOnConnection;
}

/**
 * A stand-in for the `AbortSignal` that `serveHttpOnConnection` takes: Deno
 * only subscribes to its "abort" event, and cancels the connection from that
 * listener. Calling the listener directly lets a cancel that comes too late
 * (the connection already closed: `BadResource`) be caught; thrown from a
 * real signal's listener it would be an uncaught error that ends the process.
 */
function cancelHandle(): { signal: AbortSignal; cancel(): void } {
  let onAbort: (() => void) | undefined;
  const signal = {
    aborted: false,
    addEventListener: (_type: string, listener: () => void) => onAbort = listener,
    removeEventListener: () => {},
  } as unknown as AbortSignal;
  return {
    signal,
    cancel: () => {
      try {
        onAbort?.();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * Deno's engine, one connection at a time. Throws at once (when the
 * listener starts, not at its first connection) when this Deno lacks it.
 */
export function denoConnectionServer(): ConnectionServer {
  const serve = serveHttpOnConnection();
  return (conn, handler, onError) => {
    const { signal, cancel } = cancelHandle();
    const served = serve(conn, signal, (req) => handler(req), onError, () => {});
    return {
      finished: served.finished,
      close: () => void served.shutdown().catch(() => {}),
      cut: cancel,
    };
  };
}
