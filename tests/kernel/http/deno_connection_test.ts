import assert from "node:assert/strict";
import { denoConnectionServer } from "../../../kernel/http/deno_connection.ts";

/** Accepts one connection on a free port and serves it with Deno's engine. */
async function serveOne(handler: (req: Request) => Response | Promise<Response>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const conn = await listener.accept();
  listener.close();
  const served = denoConnectionServer()(
    conn,
    handler,
    () => new Response("error", { status: 500 }),
  );
  return { client, served };
}

async function readAll(client: Deno.Conn): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(4096);
  while (true) {
    const n = await client.read(buf).catch(() => null);
    if (n === null) return text;
    text += dec.decode(buf.subarray(0, n));
  }
}

const GET = new TextEncoder().encode("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");

Deno.test("Deno's engine serves requests on one accepted connection", async () => {
  const { client, served } = await serveOne((req) => new Response(new URL(req.url).pathname));
  await client.write(GET);
  const buf = new Uint8Array(4096);
  const n = await client.read(buf);
  assert.match(new TextDecoder().decode(buf.subarray(0, n!)), /^HTTP\/1\.1 200 OK[\s\S]*\/x$/);
  served.close();
  assert.equal(await readAll(client), "", "an idle connection closes at once, gracefully");
  await served.finished;
  client.close();
});

Deno.test("close() lets the response being written finish; cut() drops it", async () => {
  for (const verb of ["close", "cut"] as const) {
    let release = () => {};
    const slow = new Promise<void>((resolve) => release = resolve);
    const { client, served } = await serveOne(() =>
      new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(new TextEncoder().encode("first "));
            await slow;
            c.enqueue(new TextEncoder().encode("last"));
            c.close();
          },
        }),
      )
    );
    await client.write(GET);
    const reading = readAll(client);
    await new Promise((r) => setTimeout(r, 50));
    served[verb]();
    release();
    const text = await reading;
    if (verb === "close") assert.match(text, /first [\s\S]*last/);
    else assert.doesNotMatch(text, /last/);
    await served.finished.catch(() => {});
    client.close();
  }
});

Deno.test("a late cut of a closed connection is harmless", async () => {
  const { client, served } = await serveOne(() => new Response("ok"));
  client.close();
  await served.finished.catch(() => {});
  served.cut();
  served.close();
});
