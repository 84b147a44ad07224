import assert from "node:assert/strict";
import { type Database, openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { createEgressMeter, monthOf } from "../../../../kernel/services/metering/egress_meter.ts";

const A = "app_aaaaaaaaaaaaaaaa";
const B = "app_bbbbbbbbbbbbbbbb";
const JAN_31 = Date.UTC(2026, 0, 31, 23, 59, 0);
const FEB_1 = Date.UTC(2026, 1, 1, 0, 0, 1);

async function withDb(fn: (db: Database) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-egress-" });
  const db = openDatabase({ path: `${dir}/kernel.db`, migrations: KERNEL_MIGRATIONS });
  try {
    await db.write((w) => {
      const add = w.prepare(
        "INSERT INTO apps (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)",
      );
      add.run(A, "alpha");
      add.run(B, "beta");
    });
    await fn(db);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function storedRows(db: Database) {
  return db.read.prepare(
    "SELECT app_id AS app, month, served_bytes AS served, fetched_bytes AS fetched FROM app_egress ORDER BY app_id, month",
  ).all().map((r) => ({ ...r }));
}

Deno.test("monthOf() gives the UTC calendar month and its bounds", () => {
  assert.deepEqual(monthOf(JAN_31), {
    month: "2026-01",
    start: Date.UTC(2026, 0, 1),
    end: Date.UTC(2026, 1, 1),
  });
  assert.equal(monthOf(Date.UTC(2025, 11, 31, 23, 59, 59, 999)).month, "2025-12");
  assert.equal(monthOf(Date.UTC(2026, 0, 1)).month, "2026-01");
});

Deno.test("served and fetched bytes are counted in memory and written only by flush", async () => {
  await withDb(async (db) => {
    const meter = createEgressMeter({ db, now: () => JAN_31 });
    meter.served(A, 100);
    meter.served(A, 50);
    meter.fetched(A, 7);
    meter.served(B, 1);
    meter.served(A, 0);
    meter.served(A, -5);
    meter.fetched(A, Number.NaN);
    assert.deepEqual(meter.usage(A), {
      month: "2026-01",
      servedBytes: 150,
      fetchedBytes: 7,
      limitBytes: null,
    });
    assert.deepEqual(storedRows(db), [], "counting wrote to the database");
    await meter.flush();
    assert.deepEqual(storedRows(db), [
      { app: A, month: "2026-01", served: 150, fetched: 7 },
      { app: B, month: "2026-01", served: 1, fetched: 0 },
    ]);
    meter.served(A, 10);
    await meter.flush();
    await meter.flush(); // nothing pending: no change
    assert.equal(storedRows(db)[0].served, 160);
    assert.equal(meter.usage(A).servedBytes, 160, "flushing does not double count");
  });
});

Deno.test("a new meter on the same database sees the flushed totals", async () => {
  await withDb(async (db) => {
    const first = createEgressMeter({ db, now: () => JAN_31 });
    first.served(A, 1000);
    first.fetched(A, 234);
    await first.flush();
    first.served(A, 5); // never flushed: lost with the process, by design

    const second = createEgressMeter({ db, now: () => JAN_31 });
    assert.deepEqual(second.usage(A), {
      month: "2026-01",
      servedBytes: 1000,
      fetchedBytes: 234,
      limitBytes: null,
    });
    second.served(A, 6);
    assert.equal(second.usage(A).servedBytes, 1006);
    assert.deepEqual(second.usageAll().map((u) => [u.appId, u.servedBytes, u.fetchedBytes]), [
      [A, 1006, 234],
    ]);
  });
});

Deno.test("limits are set, read back after a restart and cleared", async () => {
  await withDb(async (db) => {
    const meter = createEgressMeter({ db, now: () => JAN_31 });
    assert.equal(meter.limit(A), null);
    await meter.setLimit(A, 5000);
    assert.equal(meter.limit(A), 5000);
    assert.equal(meter.usage(A).limitBytes, 5000);
    assert.equal(createEgressMeter({ db }).limit(A), 5000, "the limit is stored");
    await meter.setLimit(A, 6000);
    assert.equal(createEgressMeter({ db }).limit(A), 6000, "setting again replaces it");
    await meter.setLimit(A, null);
    assert.equal(meter.limit(A), null);
    assert.equal(createEgressMeter({ db }).limit(A), null);
    assert.equal(
      (db.read.prepare("SELECT count(*) AS n FROM app_limits").get() as { n: number }).n,
      0,
    );
  });
});

Deno.test("setLimit() refuses unknown apps and bad numbers", async () => {
  await withDb(async (db) => {
    const meter = createEgressMeter({ db });
    await assert.rejects(
      meter.setLimit("app_zzzzzzzzzzzzzzzz", 10),
      (err: unknown) => err instanceof FaztError && err.code === "not_found",
    );
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(
        meter.setLimit(A, bad),
        (err: unknown) =>
          err instanceof FaztError && err.code === "invalid_input" &&
          /whole number of bytes/.test(err.message),
      );
    }
    assert.equal(meter.limit(A), null);
  });
});

Deno.test("overLimit() flips exactly when served + fetched exceed the limit", async () => {
  await withDb(async (db) => {
    const meter = createEgressMeter({ db, now: () => JAN_31 });
    meter.served(A, 10_000);
    assert.equal(meter.overLimit(A), false, "no limit, never over");
    await meter.setLimit(A, 10_100);
    assert.equal(meter.overLimit(A), false);
    meter.fetched(A, 100);
    assert.equal(meter.overLimit(A), false, "exactly at the limit is allowed");
    meter.served(A, 1);
    assert.equal(meter.overLimit(A), true);
    assert.equal(meter.overLimit(B), false, "other apps are unaffected");

    const err = meter.limitError(A);
    assert.equal(err.code, "rate_limited");
    assert.equal(err.status, 429);
    assert.match(err.message, /monthly traffic limit/);
    assert.match(err.message, /until 2026-02-01/);
    assert.equal(err.headers["retry-after"], "60");
    assert.deepEqual(err.details, {
      app: A,
      month: "2026-01",
      servedBytes: 10_001,
      fetchedBytes: 100,
      limitBytes: 10_100,
      resetsAt: "2026-02-01T00:00:00.000Z",
    });
    assert.throws(() => meter.assertWithinLimit(A), FaztError);
    meter.assertWithinLimit(B);

    await meter.setLimit(A, 20_000);
    assert.equal(meter.overLimit(A), false, "raising the limit lets traffic through again");
    await meter.setLimit(A, 0);
    assert.equal(meter.overLimit(A), true);
    await meter.setLimit(A, null);
    assert.equal(meter.overLimit(A), false);

    await meter.setLimit(A, 10_100);
    await meter.flush();
    const restarted = createEgressMeter({ db, now: () => JAN_31 });
    assert.equal(restarted.overLimit(A), true, "an app over its limit stays over after a restart");
  });
});

Deno.test("a new month starts from zero and the old month's bytes land in the old month", async () => {
  await withDb(async (db) => {
    let clock = JAN_31;
    const meter = createEgressMeter({ db, now: () => clock });
    await meter.setLimit(A, 100);
    meter.served(A, 150);
    assert.equal(meter.overLimit(A), true);

    clock = FEB_1;
    assert.equal(meter.overLimit(A), false, "the limit resets with the month");
    assert.deepEqual(meter.usage(A), {
      month: "2026-02",
      servedBytes: 0,
      fetchedBytes: 0,
      limitBytes: 100,
    });
    meter.fetched(A, 30);
    await meter.flush();
    assert.deepEqual(storedRows(db), [
      { app: A, month: "2026-01", served: 150, fetched: 0 },
      { app: A, month: "2026-02", served: 0, fetched: 30 },
    ]);
    assert.deepEqual(meter.usageAll().map((u) => [u.appId, u.month, u.fetchedBytes]), [
      [A, "2026-02", 30],
    ]);
  });
});

Deno.test("months past retention are pruned at flush", async () => {
  await withDb(async (db) => {
    await db.write((w) => {
      const put = w.prepare(
        "INSERT INTO app_egress (app_id, month, served_bytes, fetched_bytes) VALUES (?, ?, 1, 1)",
      );
      put.run(A, "2024-12");
      put.run(A, "2025-01");
      put.run(A, "2025-02");
    });
    const meter = createEgressMeter({ db, now: () => JAN_31, keepMonths: 12 });
    await meter.flush();
    assert.deepEqual(storedRows(db).map((r) => r.month), ["2025-02"]);
  });
});

Deno.test("deleting an app deletes its traffic and limit rows", async () => {
  await withDb(async (db) => {
    const meter = createEgressMeter({ db, now: () => JAN_31 });
    meter.served(A, 10);
    meter.served(B, 20);
    await meter.setLimit(A, 1000);
    await meter.flush();
    meter.served(A, 5); // pending for an app about to vanish
    await db.write((w) => w.prepare("DELETE FROM apps WHERE id = ?").run(A));
    await meter.flush(); // must not fail on the vanished app
    assert.deepEqual(storedRows(db), [{ app: B, month: "2026-01", served: 20, fetched: 0 }]);
    assert.equal(
      (db.read.prepare("SELECT count(*) AS n FROM app_limits").get() as { n: number }).n,
      0,
    );
    assert.deepEqual(meter.usageAll().map((u) => u.appId), [B]);
    meter.forget(A);
    assert.equal(meter.limit(A), null);
  });
});

Deno.test("a failed flush keeps the bytes for the next one", async () => {
  await withDb(async (db) => {
    let fail = true;
    const flaky: Database = {
      ...db,
      read: db.read,
      write: (fn) => fail ? Promise.reject(new Error("disk full")) : db.write(fn),
    };
    const meter = createEgressMeter({ db: flaky, now: () => JAN_31 });
    meter.served(A, 40);
    await assert.rejects(meter.flush(), /disk full/);
    meter.served(A, 2);
    fail = false;
    await meter.flush();
    assert.deepEqual(storedRows(db), [{ app: A, month: "2026-01", served: 42, fetched: 0 }]);
    assert.equal(meter.usage(A).servedBytes, 42);
  });
});

Deno.test("the hot path is cheap: a million served() + overLimit() calls", async () => {
  await withDb(async (db) => {
    const meter = createEgressMeter({ db });
    await meter.setLimit(A, 1e15);
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      meter.served(A, 1000);
      if (meter.overLimit(A)) throw new Error("unexpectedly over");
    }
    const ms = performance.now() - started;
    assert.equal(meter.usage(A).servedBytes, 1e9);
    assert.ok(ms < 5000, `a million calls took ${ms.toFixed(0)} ms`);
  });
});
