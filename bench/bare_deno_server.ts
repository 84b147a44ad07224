/**
 * The "bare Deno" reference for the benchmark: a minimal `Deno.serve` that
 * answers the benchmark files from memory, with the same bodies as the
 * benchmark site. It measures what Deno's HTTP stack costs on this machine,
 * so fazt's own overhead can be read as the difference.
 *
 * It serves every file two ways, so both can be measured in one process:
 *
 * - `/NAME` (the floor): one `Response` per file is built at startup and
 *   each request gets `proto.clone()`. This is the fastest way Deno allows
 *   to answer with a fixed body, and what fazt itself does for cached files,
 *   so it is the fair reference.
 * - `/new/NAME`: a `new Response(bytes, { headers })` per request, the
 *   naive way, which costs about twice as much for large bodies.
 *
 * Usage: `deno run --allow-read --allow-net bench/bare_deno_server.ts SITE_DIR`
 * (prints `listening on http://127.0.0.1:PORT`).
 *
 * @module
 */
import { join } from "node:path";

/** The files served, with their content types. */
export const BARE_FILES: Record<string, string> = {
  "2k.html": "text/html; charset=utf-8",
  "100k.bin": "application/octet-stream",
};

/** The path prefix of the per-request `new Response` variant. */
export const NEW_RESPONSE_PREFIX = "/new";

/** Starts the reference server for the files of `siteDir`. */
export async function serveBare(siteDir: string): Promise<Deno.HttpServer<Deno.NetAddr>> {
  const routes = new Map<string, () => Response>();
  for (const [name, type] of Object.entries(BARE_FILES)) {
    const bytes = await Deno.readFile(join(siteDir, name));
    const headers: [string, string][] = [
      ["content-type", type],
      ["content-length", String(bytes.length)],
    ];
    const proto = new Response(bytes, { headers });
    routes.set(`/${name}`, () => proto.clone());
    routes.set(`${NEW_RESPONSE_PREFIX}/${name}`, () => new Response(bytes, { headers }));
  }
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  }, (req) => {
    const start = req.url.indexOf("/", req.url.indexOf("//") + 2);
    const q = req.url.indexOf("?", start);
    const route = routes.get(q === -1 ? req.url.slice(start) : req.url.slice(start, q));
    return route ? route() : new Response("not found", { status: 404 });
  });
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) {
    console.error("usage: bare_deno_server.ts SITE_DIR");
    Deno.exit(2);
  }
  const server = await serveBare(dir);
  const stop = () => server.shutdown();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await server.finished;
}
