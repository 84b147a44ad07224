import assert from "node:assert/strict";
import { withKernel } from "../../../_helpers/kernel.ts";

function rows(t: { kernel: { db: { read: import("node:sqlite").DatabaseSync } } }): number {
  return (t.kernel.db.read.prepare("SELECT count(*) AS n FROM app_traffic").get() as { n: number })
    .n;
}

Deno.test("traffic is counted in memory per request and written only by a flush", async () => {
  await withKernel(async (t) => {
    const deployed = await (await t.deploy("blog", { "index.html": "hello", "a.txt": "1234" }))
      .json();
    const id = deployed.app.id;
    for (let i = 0; i < 5; i++) await (await t.get("blog.localhost", "/")).body?.cancel();
    await (await t.get("blog.localhost", "/a.txt")).body?.cancel();
    await (await t.get("blog.localhost", "/missing.txt")).body?.cancel();
    const notFound =
      (await (await t.get("blog.localhost", "/about.html")).arrayBuffer()).byteLength;
    assert.equal(rows(t), 0, "a request wrote to the database");
    const before = t.kernel.services.traffic.totals(id, 0);
    assert.equal(before.requests, 8);
    await t.kernel.flush();
    assert.equal(rows(t), 1, "one hourly bucket");
    const after = t.kernel.services.traffic.totals(id, 0);
    assert.deepEqual(after, before);
    assert.equal(after.s2xx, 6);
    assert.equal(after.s4xx, 2);
    assert.equal(after.bytesOut, 5 * 5 + 4 + 2 * notFound);
    const info = await (await t.api("GET", "/apps/blog")).json();
    assert.equal(info.traffic24h.requests, 8);
  }, { flushIntervalMs: 3_600_000 });
});

Deno.test("traffic buckets older than the retention are pruned at flush", async () => {
  await withKernel(async (t) => {
    const deployed = await (await t.deploy("old", { "index.html": "x" })).json();
    await t.kernel.db.write((w) => {
      w.prepare("INSERT INTO app_traffic (app_id, hour, requests) VALUES (?, ?, 7)").run(
        deployed.app.id,
        0,
      );
    });
    assert.equal(rows(t), 1);
    await t.kernel.flush();
    assert.equal(rows(t), 0);
  }, { flushIntervalMs: 3_600_000 });
});
