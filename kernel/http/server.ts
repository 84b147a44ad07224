/**
 * The HTTP listener around the kernel's handler, with graceful shutdown:
 * stop accepting, let in-flight requests finish, then close the kernel.
 *
 * @module
 */
import type { HttpHandler } from "./handler.ts";
import { errorResponse } from "./error_response.ts";
import { FaztError } from "../errors.ts";

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

/** Starts listening; the handler is attached once the kernel is ready. */
export function listen(options: { hostname: string; port: number }): Listener {
  let handler: HttpHandler | undefined;
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
    onError: (err) => errorResponse(err),
  }, (req, info) =>
    handler ? handler(req, info) : errorResponse(
      new FaztError("unavailable", "fazt is starting. Try again in a moment.", {
        headers: { "retry-after": "1" },
      }),
    ));
  const addr = server.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    setHandler: (h) => handler = h,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}
