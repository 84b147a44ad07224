import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openDatabase, STATEMENT_CACHE_SIZE } from "../../../kernel/store/database.ts";
import type { Migration } from "../../../kernel/store/migrations.ts";
import { KERNEL_MIGRATIONS } from "../../../kernel/store/schema.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

async function tempDb(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-db-" });
  return { dir, path: `${dir}/k.db` };
}

Deno.test("openDatabase() sets WAL, foreign keys, busy timeout and incremental auto-vacuum", async () => {
  const { dir, path } = await tempDb();
  const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS, busyTimeoutMs: 1234 });
  try {
    const pragma = (name: string) => Object.values(db.read.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma("journal_mode"), "wal");
    assert.equal(pragma("foreign_keys"), 1);
    assert.equal(pragma("busy_timeout"), 1234);
    assert.equal(pragma("auto_vacuum"), 2);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrations are recorded and applying them again changes nothing", async () => {
  const { dir, path } = await tempDb();
  try {
    const first = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
    assert.equal(first.schemaVersion, KERNEL_MIGRATIONS.length);
    await first.close();
    const again = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
    const rows = again.read.prepare("SELECT version, name FROM schema_migrations").all();
    assert.equal(rows.length, KERNEL_MIGRATIONS.length);
    assert.equal(again.schemaVersion, KERNEL_MIGRATIONS.length);
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing migration is rolled back whole and the version is not recorded", async () => {
  const { dir, path } = await tempDb();
  const broken: Migration[] = [
    { version: 1, name: "ok", sql: "CREATE TABLE a (x INTEGER);" },
    { version: 2, name: "broken", sql: "CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);" },
  ];
  try {
    assert.throws(() => openDatabase({ path, migrations: broken }), /no such table: nope/);
    const raw = new DatabaseSync(path);
    const tables = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all()
      .map((r) => r.name);
    assert.ok(tables.includes("a"));
    assert.ok(!tables.includes("b"), "the half-applied migration left table b behind");
    assert.deepEqual(
      raw.prepare("SELECT version FROM schema_migrations").all().map((r) => r.version),
      [1],
    );
    raw.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a database newer than this fazt is refused with a clear message", async () => {
  const { dir, path } = await tempDb();
  try {
    const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
    await db.write((w) => {
      w.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 0)").run();
    });
    await db.close();
    assert.throws(
      () => openDatabase({ path, migrations: KERNEL_MIGRATIONS }),
      (err: unknown) =>
        err instanceof FaztError && err.code === "conflict" && /Upgrade fazt/.test(err.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("write() serialises transactions that await, and rolls back a failing one", async () => {
  const { dir, path } = await tempDb();
  const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
  try {
    const order: string[] = [];
    const slow = db.write(async (w) => {
      w.prepare("INSERT INTO settings VALUES ('slow', '1')").run();
      order.push("slow:start");
      await new Promise((r) => setTimeout(r, 30));
      order.push("slow:end");
    });
    const fast = db.write((w) => {
      order.push("fast");
      w.prepare("INSERT INTO settings VALUES ('fast', '1')").run();
    });
    const failing = db.write((w) => {
      w.prepare("INSERT INTO settings VALUES ('doomed', '1')").run();
      throw new Error("boom");
    });
    await Promise.all([slow, fast, assert.rejects(failing, /boom/)]);
    assert.deepEqual(order, ["slow:start", "slow:end", "fast"]);
    const keys = db.read.prepare("SELECT key FROM settings ORDER BY key").all().map((r) => r.key);
    assert.deepEqual(keys, ["fast", "slow"]);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the read connection never sees a write transaction before it commits", async () => {
  const { dir, path } = await tempDb();
  const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
  try {
    let seenInside = -1;
    await db.write(async (w) => {
      w.prepare("INSERT INTO settings VALUES ('k', 'v')").run();
      await new Promise((r) => setTimeout(r, 5));
      seenInside = (db.read.prepare("SELECT count(*) AS n FROM settings").get() as { n: number }).n;
    });
    assert.equal(seenInside, 0);
    assert.equal(
      (db.read.prepare("SELECT count(*) AS n FROM settings").get() as { n: number }).n,
      1,
    );
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("each connection compiles a statement text once and keeps a bounded number", async () => {
  const { dir, path } = await tempDb();
  const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
  try {
    const sql = "SELECT count(*) AS n FROM apps";
    const first = db.read.prepare(sql);
    assert.equal(db.read.prepare(sql), first);
    await db.write((w) => assert.notEqual(w.prepare(sql), first));
    for (let i = 0; i < STATEMENT_CACHE_SIZE; i++) db.read.prepare(`SELECT ${i} AS n`);
    assert.notEqual(db.read.prepare(sql), first, "the least recently used statement was evicted");
    assert.deepEqual({ ...db.read.prepare(sql).get() }, { n: 0 });
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
