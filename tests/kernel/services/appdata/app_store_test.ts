import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type AppStore,
  createAppStore,
  MAX_WRITES_PER_COMMIT,
  StatementCache,
} from "../../../../kernel/services/appdata/app_store.ts";
import { APPDATA_MIGRATIONS } from "../../../../kernel/services/appdata/store_schema.ts";
import { openDatabase } from "../../../../kernel/store/database.ts";

async function withStore(fn: (store: AppStore, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-appdata-store-" });
  const path = join(dir, "store.db");
  const store = createAppStore(openDatabase({ path, migrations: APPDATA_MIGRATIONS }));
  try {
    await fn(store, path);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const SET = "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, 0)";

function keys(store: AppStore): string[] {
  return store.read("SELECT key FROM kv ORDER BY key").all().map((r) => r.key as string);
}

Deno.test("StatementCache prepares each SQL text once and evicts the least recently used", () => {
  const conn = new DatabaseSync(":memory:");
  try {
    const cache = new StatementCache(conn, 2);
    const one = cache.prepare("SELECT 1");
    assert.equal(cache.prepare("SELECT 1"), one, "the same statement is reused");
    const two = cache.prepare("SELECT 2");
    cache.prepare("SELECT 1"); // now SELECT 2 is the least recently used
    cache.prepare("SELECT 3");
    assert.equal(cache.size, 2);
    assert.equal(cache.prepare("SELECT 1"), one, "kept");
    assert.notEqual(cache.prepare("SELECT 2"), two, "evicted, so prepared again");
    cache.clear();
    assert.equal(cache.size, 0);
    assert.notEqual(cache.prepare("SELECT 1"), one);
  } finally {
    conn.close();
  }
});

Deno.test("app store reads see every committed write through their cached statements", async () => {
  await withStore(async (store) => {
    const get = () => store.read("SELECT value FROM kv WHERE key = ?").get("k")?.value;
    assert.equal(get(), undefined);
    await store.write((w) => w.prepare(SET).run("k", "1"));
    assert.equal(get(), "1");
    await store.write((w) => w.prepare("UPDATE kv SET value = ? WHERE key = ?").run("2", "k"));
    assert.equal(get(), "2");
  });
});

Deno.test("app store writes queued together share a commit, and a failing one changes nothing", async () => {
  await withStore(async (store) => {
    const results = await Promise.allSettled([
      store.write((w) => {
        w.prepare(SET).run("a", "1");
        return "a";
      }),
      store.write((w) => {
        w.prepare(SET).run("b", "1");
        w.prepare(SET).run("a", "duplicate"); // fails: rolls back b too
        return "b";
      }),
      store.write((w) => {
        w.prepare(SET).run("c", "1");
        throw new Error("changed my mind");
      }),
      store.write((w) => {
        w.prepare(SET).run("d", "1");
        return "d";
      }),
    ]);
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    assert.equal((results[0] as PromiseFulfilledResult<string>).value, "a");
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.match(String((results[2] as PromiseRejectedResult).reason), /changed my mind/);
    assert.deepEqual(keys(store), ["a", "d"]);
  });
});

Deno.test("app store group commits hold a bounded number of writes and keep their order", async () => {
  await withStore(async (store, path) => {
    const count = MAX_WRITES_PER_COMMIT * 2 + 3;
    const seen: number[] = [];
    const raw = new DatabaseSync(path, { readOnly: true });
    let commits = 0;
    let last = -1;
    try {
      await Promise.all(Array.from({ length: count }, (_, i) =>
        store.write((w) => {
          // A new transaction starts whenever the previous one is visible.
          const visible = Number(raw.prepare("SELECT count(*) AS n FROM kv").get()!.n);
          if (visible !== last) {
            commits++;
            last = visible;
          }
          w.prepare(SET).run(`k${String(i).padStart(4, "0")}`, String(i));
          seen.push(i);
        })));
    } finally {
      raw.close();
    }
    assert.deepEqual(seen, Array.from({ length: count }, (_, i) => i), "in call order");
    assert.equal(keys(store).length, count);
    assert.ok(commits >= 3 && commits <= 4, `${count} writes in ${commits} commits`);
  });
});

Deno.test("app store writes after close are refused and do not wedge the queue", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-appdata-store-" });
  try {
    const db = openDatabase({ path: join(dir, "store.db"), migrations: APPDATA_MIGRATIONS });
    const store = createAppStore(db);
    await store.write((w) => w.prepare(SET).run("a", "1"));
    await store.close();
    await assert.rejects(store.write(() => 1), /closed/);
    await assert.rejects(store.write(() => 2), /closed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("app store single-change writes run without savepoints; a failing one changes nothing", async () => {
  await withStore(async (store) => {
    const single = { single: true };
    const results = await Promise.allSettled([
      store.write((w) => w.prepare(SET).run("a", "1"), single),
      store.write((w) => w.prepare(SET).run("a", "duplicate"), single),
      store.write((w) => {
        w.prepare(SET).run("b", "1");
        throw new Error("changed my mind");
      }),
      store.write(() => {
        throw new Error("before any change");
      }, single),
      store.write((w) => w.prepare(SET).run("c", "1"), single),
    ]);
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "rejected",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.deepEqual(keys(store), ["a", "c"]);
    assert.equal(store.read("SELECT value FROM kv WHERE key = 'a'").get()?.value, "1");
  });
});
