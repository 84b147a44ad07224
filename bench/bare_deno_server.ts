/**
 * The "bare Deno" reference for the benchmark: a minimal `Deno.serve` that
 * answers `/2k.html` and `/100k.bin` from memory, with the same bodies as
 * the benchmark site. It measures what Deno's HTTP stack costs on this
 * machine, so fazt's own overhead can be read as the difference.
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

/** Starts the reference server for the files of `siteDir`. */
export async function serveBare(siteDir: string): Promise<Deno.HttpServer<Deno.NetAddr>> {
  const bodies = new Map<string, { bytes: Uint8Array<ArrayBuffer>; headers: [string, string][] }>();
  for (const [name, type] of Object.entries(BARE_FILES)) {
    const bytes = await Deno.readFile(join(siteDir, name));
    bodies.set(`/${name}`, {
      bytes,
      headers: [["content-type", type], ["content-length", String(bytes.length)]],
    });
  }
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  }, (req) => {
    const start = req.url.indexOf("/", req.url.indexOf("//") + 2);
    const q = req.url.indexOf("?", start);
    const file = bodies.get(q === -1 ? req.url.slice(start) : req.url.slice(start, q));
    return file
      ? new Response(file.bytes, { headers: file.headers })
      : new Response("not found", { status: 404 });
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
