import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type AppData,
  type AppDataServiceOptions,
  createAppDataService,
} from "../../../../kernel/services/appdata/app_data_service.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { APP_A, APP_B, rejectsWith, withDataDir, withService } from "../../../_helpers/appdata.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Writes the same names with app-specific contents into every store. */
async function writeEverything(app: AppData, tag: string): Promise<void> {
  await app.kv.set("shared", tag);
  await app.kv.set(`only-${tag}`, true);
  await app.docs.insert("items", { _id: "same-id", owner: tag });
  await app.blobs.put("file.txt", new TextEncoder().encode(tag));
  await app.sql.exec("CREATE TABLE IF NOT EXISTS t (owner TEXT)");
  await app.sql.exec("INSERT INTO t VALUES (?)", [tag]);
}

async function readEverything(app: AppData) {
  return {
    kv: await app.kv.get("shared"),
    keys: (await app.kv.list()).keys.map((k) => k.key),
    docs: await app.docs.find("items"),
    blob: new TextDecoder().decode((await app.blobs.get("file.txt"))?.bytes),
    blobs: (await app.blobs.list()).map((b) => b.path),
    sql: await app.sql.query("SELECT owner FROM t"),
  };
}

Deno.test("two apps using the same names each read back only their own data", async () => {
  await withService(async (service) => {
    const a = service.forApp(APP_A);
    const b = service.forApp(APP_B);
    await Promise.all([writeEverything(a, "A"), writeEverything(b, "B")]);
    for (const [app, tag] of [[a, "A"], [b, "B"]] as const) {
      assert.deepEqual(await readEverything(app), {
        kv: tag,
        keys: [`only-${tag}`, "shared"],
        docs: [{ _id: "same-id", owner: tag }],
        blob: tag,
        blobs: ["file.txt"],
        sql: [{ owner: tag }],
      });
    }
  });
});

Deno.test("each app's data lives in its own folder: store.db, and sql.db only once SQL is used", async () => {
  await withService(async (service, dataDir) => {
    const a = service.forApp(APP_A);
    const dir = join(dataDir, "apps", APP_A);
    assert.equal(exists(dir), false, "forApp() opens nothing");
    await a.kv.set("k", 1);
    assert.equal(exists(join(dir, "store.db")), true);
    assert.equal(exists(join(dir, "sql.db")), false);
    await a.sql.query("SELECT 1");
    assert.equal(exists(join(dir, "sql.db")), true);
    assert.equal(exists(join(dataDir, "apps", APP_B)), false);
  });
});

Deno.test("an app's SQL cannot attach another app's database", async () => {
  await withService(async (service, dataDir) => {
    const a = service.forApp(APP_A);
    const b = service.forApp(APP_B);
    await writeEverything(b, "B");
    for (const file of ["sql.db", "store.db"]) {
      const path = join(dataDir, "apps", APP_B, file);
      await rejectsWith(a.sql.exec(`ATTACH DATABASE '${path}' AS other`), "forbidden", /ATTACH/);
      await rejectsWith(a.sql.queryReadOnly(`ATTACH '${path}' AS other`), "forbidden");
    }
    await rejectsWith(a.sql.query("SELECT * FROM other.t"), "invalid_input");
    assert.deepEqual(await b.sql.query("SELECT owner FROM t"), [{ owner: "B" }]);
  });
});

Deno.test("drop() deletes the app's folder and leaves other apps alone", async () => {
  await withService(async (service, dataDir) => {
    const a = service.forApp(APP_A);
    const b = service.forApp(APP_B);
    await writeEverything(a, "A");
    await writeEverything(b, "B");
    await service.drop(APP_A);
    assert.equal(exists(join(dataDir, "apps", APP_A)), false);
    assert.equal(await b.kv.get("shared"), "B");
    assert.deepEqual(await b.sql.query("SELECT owner FROM t"), [{ owner: "B" }]);
    assert.equal(await a.kv.get("shared"), null, "the dropped app starts empty if used again");
    await rejectsWith(a.sql.query("SELECT owner FROM t"), "invalid_input", /no such table/);
  });
});

Deno.test("drop() waits for writes in flight and of an app never used is a no-op", async () => {
  await withService(async (service, dataDir) => {
    const a = service.forApp(APP_A);
    const writes = Array.from({ length: 20 }, (_, i) => a.kv.set(`k${i}`, i));
    await service.drop(APP_A);
    await Promise.all(writes);
    assert.equal(exists(join(dataDir, "apps", APP_A)), false);
    await service.drop(APP_B);
  });
});

const BAD_APP_IDS: unknown[] = [
  "",
  "app_",
  "blog",
  "APP_aaaaaaaaaaaaaaaa",
  "app_aaaaaaaaaaaaaaa1",
  "app_aaaaaaaaaaaaaaaaa",
  "app_aaaaaaaaaaaaaaa",
  "../app_aaaaaaaaaaaaaaaa",
  "app_aaaaaaaaaaaaaaaa/../../etc",
  "app_aaaaaaaaaaaaaaaa\u0000",
  42,
];
for (const appId of BAD_APP_IDS) {
  Deno.test(`forApp() and drop() refuse ${JSON.stringify(appId)} before touching the disk`, async () => {
    await withService(async (service, dataDir) => {
      assert.throws(
        () => service.forApp(appId as string),
        (err: unknown) =>
          err instanceof FaztError && err.code === "invalid_input" &&
          /not an app ID/.test(err.message),
      );
      await rejectsWith(service.drop(appId as string), "invalid_input", /not an app ID/);
      assert.deepEqual([...Deno.readDirSync(dataDir)], []);
    });
  });
}

Deno.test("apps evicted from the open-file cache are closed, keep their data and reopen on use", async () => {
  await withService(async (service, dataDir) => {
    const ids = ["a", "b", "c", "d", "e"].map((c) => `app_${c.repeat(16)}`);
    for (const [i, id] of ids.entries()) {
      const app = service.forApp(id);
      await app.kv.set("n", i);
      await app.sql.exec("CREATE TABLE t (n)");
      await app.sql.exec("INSERT INTO t VALUES (?)", [i]);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const walOpen = ids.map((id) => exists(join(dataDir, "apps", id, "store.db-wal")));
    assert.deepEqual(walOpen, [false, false, false, true, true], "only the last 2 apps stay open");
    for (const [i, id] of ids.entries()) {
      const app = service.forApp(id);
      assert.equal(await app.kv.get("n"), i);
      assert.deepEqual(await app.sql.query("SELECT n FROM t"), [{ n: i }]);
    }
  }, { maxOpenApps: 2 });
});

Deno.test("concurrent work on more apps than the cache holds loses no increments", async () => {
  await withService(async (service) => {
    const ids = ["a", "b", "c", "d", "e", "f"].map((c) => `app_${c.repeat(16)}`);
    await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: 30 }, () => service.forApp(id).kv.increment("hits"))
      ),
    );
    for (const id of ids) assert.equal(await service.forApp(id).kv.get("hits"), 30);
  }, { maxOpenApps: 2 });
});

Deno.test("after close() every call is unavailable", async () => {
  await withDataDir(async (dataDir) => {
    const service = createAppDataService({ dataDir });
    const app = service.forApp(APP_A);
    await app.kv.set("k", 1);
    await service.close();
    await rejectsWith(app.kv.get("k"), "unavailable");
    await rejectsWith(app.sql.query("SELECT 1"), "unavailable");
    await rejectsWith(service.drop(APP_A), "unavailable");
    await service.close();
  });
});

Deno.test("data survives closing and reopening the service", async () => {
  await withDataDir(async (dataDir) => {
    const first = createAppDataService({ dataDir });
    await writeEverything(first.forApp(APP_A), "A");
    await first.close();
    const second = createAppDataService({ dataDir });
    try {
      assert.equal(await second.forApp(APP_A).kv.get("shared"), "A");
      assert.deepEqual(await second.forApp(APP_A).sql.query("SELECT owner FROM t"), [{
        owner: "A",
      }]);
    } finally {
      await second.close();
    }
  });
});

const BAD_OPTIONS: [string, Partial<AppDataServiceOptions>, RegExp][] = [
  ["a limit of 0", { limits: { maxBlobBytes: 0 } }, /positive integer/],
  ["a fractional limit", { limits: { maxKeyBytes: 1.5 } }, /positive integer/],
  ["an unknown limit", { limits: { maxEverything: 1 } as never }, /not an app data limit/],
  ["a cache of 0 apps", { maxOpenApps: 0 }, /maxOpenApps/],
];
for (const [name, options, message] of BAD_OPTIONS) {
  Deno.test(`createAppDataService() refuses ${name}`, () => {
    assert.throws(
      () => createAppDataService({ dataDir: "/nonexistent", ...options }),
      (err: unknown) =>
        err instanceof FaztError && err.code === "invalid_input" && message.test(err.message),
    );
  });
}

Deno.test("pages freed by an app's deletes go back to the disk by themselves", async () => {
  await withService(async (service, dataDir) => {
    const app = service.forApp(APP_A);
    const bytes = new Uint8Array(256 * 1024);
    for (let i = 0; i < 16; i++) await app.blobs.put(`big/${i}.bin`, bytes);
    for (let i = 0; i < 16; i++) await app.blobs.delete(`big/${i}.bin`);
    const path = join(dataDir, "apps", APP_A, "store.db");
    const freePages = () => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return Number(Object.values(db.prepare("PRAGMA freelist_count").get()!)[0]);
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 20_000;
    while (freePages() > 0) {
      if (Date.now() > deadline) throw new Error(`${freePages()} free pages left after 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Still usable afterwards.
    await app.blobs.put("again.bin", bytes);
    assert.equal((await app.blobs.get("again.bin"))?.bytes.length, bytes.length);
  }, { vacuumDelayMs: 10 });
});
