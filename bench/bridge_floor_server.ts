/**
 * The "bridge floor" reference of the runtime suite: the least a
 * process-isolated runtime can do per request. A `Deno.serve` parent
 * forwards each request (id, method, URL, headers) as one JSON line over a
 * Unix socket to a child process (`bench/bridge_floor_child.ts`), which
 * builds a `Request`, runs the same hello handler, and answers with one
 * JSON line (status, headers, body text); the parent turns it into a
 * `Response`. The parent's messages queued in one event-loop turn go out in
 * one write (as fazt's kernel side does); the child's after each job. No
 * routing, limits, timeouts, metering or error handling: what is left is
 * the cost of crossing a process boundary, which fazt's sandboxes must pay
 * (docs/RUNTIME.md).
 *
 * Usage: `deno run -A bench/bridge_floor_server.ts` (prints
 * `listening on http://127.0.0.1:PORT`).
 *
 * @module
 */
import { LineWriter, pumpConnLines } from "../runtime/process/lines.ts";

/** A request as the parent sends it. */
export interface FloorRequest {
  /** Matches the answer to the request. */
  id: number;
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: string;
  /** Header pairs. */
  headers: [string, string][];
}

/** An answer as the child sends it. */
export interface FloorAnswer {
  /** The request's ID. */
  id: number;
  /** HTTP status. */
  status: number;
  /** Header pairs. */
  headers: [string, string][];
  /** The body as text. */
  text: string;
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "fazt-floor-" });
  const path = `${dir}/bridge.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./bridge_floor_child.ts", import.meta.url).href, path],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const conn = await listener.accept();
  listener.close();
  const out = new LineWriter(() => {}, "turn");
  out.attach(conn);
  const pending = new Map<number, (a: FloorAnswer) => void>();
  pumpConnLines(conn, (line) => {
    const a = JSON.parse(line) as FloorAnswer;
    pending.get(a.id)?.(a);
    pending.delete(a.id);
  });
  let nextId = 1;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  }, (req) => {
    const id = nextId++;
    const answer = new Promise<FloorAnswer>((resolve) => pending.set(id, resolve));
    const headers: [string, string][] = [];
    req.headers.forEach((value, name) => headers.push([name, value]));
    const msg: FloorRequest = { id, method: req.method, url: req.url, headers };
    out.push(JSON.stringify(msg));
    return answer.then((a) => new Response(a.text, { status: a.status, headers: a.headers }));
  });
  const stop = () => {
    server.shutdown();
    child.kill();
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await server.finished;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
