import assert from "node:assert/strict";
import { join } from "node:path";
import { runningServer, SERVER_FILE } from "../../../kernel/cli/target.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

async function folderFor(url: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, SERVER_FILE),
    JSON.stringify({ url, pid: 1, version: "0.0.0" }),
  );
  return dir;
}

Deno.test("a server.json whose address has nothing listening means no server (a crash left it)", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const dir = await folderFor(`http://127.0.0.1:${port}`);
  try {
    assert.equal(await runningServer(dir, 2000), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that takes the connection but does not answer is live and busy: an error, never 'no server'", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const dir = await folderFor(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  try {
    await assert.rejects(
      runningServer(dir, 300),
      (err) =>
        err instanceof FaztError && err.code === "unavailable" &&
        /did not answer/.test(err.message),
    );
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that answers its health check is returned", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ status: "ok" }),
  );
  const dir = await folderFor(`http://127.0.0.1:${server.addr.port}`);
  try {
    assert.equal((await runningServer(dir, 2000))?.pid, 1);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
