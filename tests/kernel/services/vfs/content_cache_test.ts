import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { createContentCache } from "../../../../kernel/services/vfs/content_cache.ts";
import { putBlob } from "../../../../kernel/services/vfs/content_store.ts";

/**
 * A kernel database holding blobs `a`, `b` and `c` (100 bytes each) and
 * `big` (1,000 bytes).
 */
async function withBlobs(fn: (db: ReturnType<typeof openDatabase>) => void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-cache-" });
  const db = openDatabase({ path: join(dir, "kernel.db"), migrations: KERNEL_MIGRATIONS });
  try {
    await db.write(async (w) => {
      for (const [hash, size] of [["a", 100], ["b", 100], ["c", 100], ["big", 1000]] as const) {
        await putBlob(w, { hash, size, body: [new Uint8Array(size).fill(1)] }, 0);
      }
    });
    fn(db);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("derived() builds once per key, shares what it kept, and forgets it with the entry", async () => {
  await withBlobs((db) => {
    const cache = createContentCache(db.read, { budgetBytes: 150, maxEntryBytes: 500 });
    const built: string[] = [];
    const shared: string[] = [];
    const key1 = {};
    const key2 = {};
    const derive = (hash: string, key: object, tag: string) =>
      cache.derived(hash, "identity", key, (bytes) => {
        built.push(tag);
        return `${tag}:${bytes.length}`;
      }, (kept) => {
        shared.push(kept);
        return kept;
      });

    assert.equal(derive("a", key1, "a1"), "a1:100");
    assert.equal(derive("a", key1, "a1"), "a1:100");
    assert.equal(derive("a", key2, "a2"), "a2:100", "another key, another value");
    assert.deepEqual(built, ["a1", "a2"]);
    assert.deepEqual(shared, ["a1:100", "a1:100", "a2:100"], "callers get shared values");

    // `b` does not fit beside `a` in 150 bytes: `a` and what was kept with it go.
    derive("b", key1, "b1");
    assert.equal(cache.stats().entries, 1);
    derive("a", key1, "a1-again");
    assert.deepEqual(built, ["a1", "a2", "b1", "a1-again"]);

    // A body too large to cache is built every time and never shared.
    shared.length = 0;
    derive("big", key1, "big");
    derive("big", key1, "big");
    assert.deepEqual(built.slice(-2), ["big", "big"]);
    assert.deepEqual(shared, []);

    assert.equal(derive("missing", key1, "x"), undefined);
  });
});

Deno.test("the least recently used entry goes first, also after repeated hits on the newest", async () => {
  await withBlobs((db) => {
    const cache = createContentCache(db.read, { budgetBytes: 250, maxEntryBytes: 500 });
    cache.get("a", "identity");
    cache.get("b", "identity");
    cache.get("b", "identity");
    cache.get("a", "identity");
    cache.get("a", "identity");
    // Order now: b, a. Loading c must drop b, the least recently used.
    cache.get("c", "identity");
    const { misses } = cache.stats();
    cache.get("a", "identity");
    assert.equal(cache.stats().misses, misses, "a was used last before c: still cached");
    cache.get("b", "identity");
    assert.equal(cache.stats().misses, misses + 1, "b was the least recently used: dropped");
  });
});
