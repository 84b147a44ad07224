/**
 * The binary "bridge floor" reference of the runtime suite: the same
 * minimal process-isolated runtime as `bench/bridge_floor_server.ts`, over
 * the sandbox bridge's binary frames (`runtime/process/frames.ts`) instead
 * of JSON lines: each request is one frame whose head is its method, URL
 * and header pairs as newline-separated text, and each answer one frame
 * with the status and header pairs as its head and the raw body bytes.
 * Frames are batched as on fazt's bridge: the parent's per event-loop
 * turn, the child's per job. The child
 * is `bench/bridge_floor_binary_child.ts`.
 *
 * Usage: `deno run -A bench/bridge_floor_binary_server.ts` (prints
 * `listening on http://127.0.0.1:PORT`).
 *
 * @module
 */
import { FrameWriter, pumpFrames } from "./bridge_frames.ts";

/** Frame kind of a request (parent → child). */
export const FLOOR_REQ = 1;
/** Frame kind of an answer (child → parent). */
export const FLOOR_RES = 2;

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "fazt-floor-" });
  const path = `${dir}/bridge.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./bridge_floor_binary_child.ts", import.meta.url).href, path],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const conn = await listener.accept();
  listener.close();
  const out = new FrameWriter(() => {}, "turn");
  out.attach(conn);
  const pending = new Map<number, (res: Response) => void>();
  pumpFrames(conn, ({ id, head, body }) => {
    const fields = head.split("\n");
    const headers: [string, string][] = [];
    for (let i = 1; i + 1 < fields.length; i += 2) headers.push([fields[i], fields[i + 1]]);
    pending.get(id)?.(new Response(body, { status: Number(fields[0]), headers }));
    pending.delete(id);
  }, 1 << 30);
  let nextId = 1;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  }, (req) => {
    const id = nextId++;
    let head = req.method + "\n" + req.url;
    req.headers.forEach((value, name) => head += "\n" + name + "\n" + value);
    out.push(FLOOR_REQ, id, head);
    return new Promise<Response>((resolve) => pending.set(id, resolve));
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
