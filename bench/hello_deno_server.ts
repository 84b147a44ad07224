/**
 * The bare `Deno.serve` reference of the runtime suite: the hello handler
 * (`() => new Response("hello")`) served directly by `Deno.serve`, with no
 * kernel, sandbox or bridge in between. fazt's `/api` path runs the very
 * same handler in a sandbox process, so the difference is what the runtime
 * costs.
 *
 * Usage: `deno run --allow-net bench/hello_deno_server.ts` (prints
 * `listening on http://127.0.0.1:PORT`).
 *
 * @module
 */

/** The handler, exactly as the benchmark's `hello` app exports it. */
export const helloHandler = (): Response => new Response("hello");

/** Starts the reference server on a free port of 127.0.0.1. */
export function serveHello(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  }, helloHandler);
}

if (import.meta.main) {
  const server = serveHello();
  const stop = () => server.shutdown();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await server.finished;
}
