import assert from "node:assert/strict";
import { withKernel } from "../../../_helpers/kernel.ts";
import { createTrafficMeter } from "../../../../kernel/services/metering/traffic_meter.ts";

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

Deno.test("counts go to the hour they happen in, for each app, before and after a flush", async () => {
  await withKernel(async (t) => {
    const a = (await (await t.deploy("a", { "index.html": "x" })).json()).app.id;
    const b = (await (await t.deploy("b", { "index.html": "x" })).json()).app.id;
    const hour = 3_600_000;
    let clock = 10 * hour + hour - 1;
    const meter = createTrafficMeter({
      db: t.kernel.db,
      retentionMs: 1000 * hour,
      now: () => clock,
    });
    meter.record(a, 200, 1);
    meter.record(b, 200, 10);
    meter.record(a, 404, 100);
    clock += 1; // the next hour
    meter.record(a, 200, 1000);
    await meter.flush();
    meter.record(a, 500, 10_000);
    assert.deepEqual(meter.totals(a, 10 * hour), {
      requests: 4,
      bytesOut: 11_101,
      s2xx: 2,
      s3xx: 0,
      s4xx: 1,
      s5xx: 1,
    });
    assert.equal(meter.totals(a, 11 * hour).bytesOut, 11_000, "the later hour holds its own");
    assert.equal(meter.totals(b, 0).bytesOut, 10);
    const stored = t.kernel.db.read.prepare(
      "SELECT hour, bytes_out AS bytes FROM app_traffic WHERE app_id = ? ORDER BY hour",
    ).all(a);
    assert.deepEqual(stored.map((r) => [r.hour, r.bytes]), [[10 * hour, 101], [11 * hour, 1000]]);
  }, { flushIntervalMs: 3_600_000 });
});
