/**
 * The child of `bench/bridge_floor_server.ts`: connects to the parent's
 * Unix socket (its path is the first argument), runs the hello handler for
 * every request line and answers with one line each.
 *
 * @module
 */
import { LineWriter, pumpConnLines } from "../runtime/process/lines.ts";
import { helloHandler } from "./hello_deno_server.ts";
import type { FloorAnswer, FloorRequest } from "./bridge_floor_server.ts";

const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const out = new LineWriter(() => Deno.exit(0));
out.attach(conn);

async function answer(m: FloorRequest): Promise<void> {
  const req = new Request(m.url, { method: m.method, headers: m.headers });
  // Called the way an app's handler is: with the request.
  const handler = helloHandler as (req: Request) => Response | Promise<Response>;
  const res = await handler(req);
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => headers.push([name, value]));
  const a: FloorAnswer = { id: m.id, status: res.status, headers, text: await res.text() };
  out.push(JSON.stringify(a));
}

await pumpConnLines(conn, (line) => answer(JSON.parse(line) as FloorRequest));
Deno.exit(0);
