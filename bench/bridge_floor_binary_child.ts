/**
 * The child of `bench/bridge_floor_binary_server.ts`: connects to the
 * parent's Unix socket (its path is the first argument), runs the hello
 * handler for every request frame and answers with one frame each.
 *
 * @module
 */
import { FrameWriter, pumpFrames } from "./bridge_frames.ts";
import { helloHandler } from "./hello_deno_server.ts";
import { FLOOR_RES } from "./bridge_floor_binary_server.ts";

const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const out = new FrameWriter(() => Deno.exit(0));
out.attach(conn);

async function answer(id: number, head: string): Promise<void> {
  const fields = head.split("\n");
  const headers: [string, string][] = [];
  for (let i = 2; i + 1 < fields.length; i += 2) headers.push([fields[i], fields[i + 1]]);
  const req = new Request(fields[1], { method: fields[0], headers });
  // Called the way an app's handler is: with the request.
  const handler = helloHandler as (req: Request) => Response | Promise<Response>;
  const res = await handler(req);
  let text = String(res.status);
  res.headers.forEach((value, name) => text += "\n" + name + "\n" + value);
  out.push(FLOOR_RES, id, text, await res.bytes());
}

await pumpFrames(conn, ({ id, head }) => answer(id, head), 1 << 30);
Deno.exit(0);
