import assert from "node:assert/strict";
import { request } from "node:http";
import { cli, startServer } from "../_helpers/server.ts";

Deno.test("SIGTERM lets an in-flight download finish, then closes the database cleanly", async () => {
  const site = await Deno.makeTempDir({ prefix: "fazt-site-" });
  const big = new Uint8Array(6 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
  await Deno.writeFile(`${site}/big.bin`, big);
  await Deno.writeTextFile(`${site}/index.html`, "hi");
  const server = await startServer();
  try {
    const add = await cli(["app", "add", site, "--name", "dl", "--data", server.dataDir]);
    assert.equal(add.code, 0, add.stderr);

    const received = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: server.port,
          path: "/big.bin",
          headers: { host: "dl.localhost" },
        },
        (res) => {
          let n = 0;
          let signalled = false;
          res.on("data", (c: Uint8Array) => {
            n += c.length;
            if (!signalled) {
              signalled = true;
              res.pause();
              server.process.kill("SIGTERM");
              setTimeout(() => res.resume(), 300);
            }
          });
          res.on("end", () => resolve(n));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
    assert.equal(received, big.length, "the in-flight download was cut short");
    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /stopped cleanly/);
    const wal = await Deno.stat(`${server.dataDir}/kernel.db-wal`).catch(() => undefined);
    assert.ok(!wal || wal.size === 0, "the WAL was not checkpointed at shutdown");
    await assert.rejects(Deno.stat(`${server.dataDir}/server.json`), Deno.errors.NotFound);
  } finally {
    await server.stop("SIGKILL");
    await Deno.remove(site, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("a second server on the same data folder is refused", async () => {
  const server = await startServer();
  try {
    const second = await cli(["serve", "--port", "0", "--data", server.dataDir]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already serves/);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
