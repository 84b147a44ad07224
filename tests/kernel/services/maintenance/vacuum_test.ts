import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type Database, openDatabase } from "../../../../kernel/store/database.ts";
import type { Migration } from "../../../../kernel/store/migrations.ts";
import { createVacuum } from "../../../../kernel/services/maintenance/vacuum.ts";

const TABLE: Migration[] = [{ version: 1, name: "t", sql: "CREATE TABLE t (data BLOB)" }];

async function withDb(fn: (db: Database, path: string) => Promise<void>, path?: string) {
  const dir = await Deno.makeTempDir({ prefix: "fazt-vacuum-" });
  const file = path ?? `${dir}/v.db`;
  const db = openDatabase({ path: file, migrations: TABLE });
  try {
    await fn(db, file);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Fills the table with `mb` MB and deletes it all again. */
async function fillAndDelete(db: Database, mb: number): Promise<void> {
  const row = new Uint8Array(64 * 1024);
  await db.write((w) => {
    const insert = w.prepare("INSERT INTO t (data) VALUES (?)");
    for (let i = 0; i < mb * 16; i++) insert.run(row);
  });
  await db.write((w) => w.exec("DELETE FROM t"));
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("a request gives every free page back in steps and the file shrinks", async () => {
  await withDb(async (db) => {
    const vacuum = createVacuum({ db, pagesPerStep: 128, delayMs: 10 });
    try {
      await fillAndDelete(db, 8);
      const before = vacuum.space();
      assert.equal(before.autoVacuum, "incremental");
      assert.ok(before.freePages > 1500, `free pages: ${before.freePages}`);
      assert.equal(before.freeBytes, before.freePages * before.pageSize);
      vacuum.request();
      await until("free pages given back", () => vacuum.space().freePages === 0);
      await until("run ended", () => !vacuum.stats().running);
      const stats = vacuum.stats();
      assert.ok(stats.steps >= Math.ceil(before.freePages / 128), `steps: ${stats.steps}`);
      assert.equal(stats.pagesFreed, before.freePages);
      assert.ok(stats.maxStepMs > 0);
      // The checkpoint at the end cut the main file to the pages still in use.
      const main = Deno.statSync(db.path).size;
      assert.ok(main < 1024 * 1024, `main file: ${main} bytes`);
    } finally {
      await vacuum.stop();
    }
  });
});

Deno.test("the periodic check finds free pages nobody asked about", async () => {
  await withDb(async (db) => {
    const vacuum = createVacuum({ db, checkEveryMs: 50 });
    try {
      await fillAndDelete(db, 2);
      assert.ok(vacuum.space().freePages > 0);
      vacuum.start();
      await until("free pages given back", () => vacuum.space().freePages === 0);
    } finally {
      await vacuum.stop();
    }
  });
});

Deno.test("writes and reads run between steps of a long run", async () => {
  await withDb(async (db) => {
    const vacuum = createVacuum({ db, pagesPerStep: 64, pauseMs: 1 });
    try {
      await fillAndDelete(db, 32);
      const running = vacuum.run();
      const waits: number[] = [];
      let duringRun = 0;
      while (vacuum.stats().running) {
        const t0 = performance.now();
        await db.write((w) => w.prepare("INSERT INTO t (data) VALUES (?)").run(new Uint8Array(8)));
        db.read.prepare("SELECT count(*) FROM t").get();
        waits.push(performance.now() - t0);
        if (vacuum.stats().running) duringRun++;
        // Like requests arriving from the network: work starts from the event loop.
        await new Promise((r) => setTimeout(r, 0));
      }
      await running;
      assert.ok(duringRun >= 3, `writes that finished while the vacuum ran: ${duringRun}`);
      // Generous: one small step plus the write itself, on a loaded machine.
      const worst = Math.max(...waits);
      assert.ok(worst < 2000, `the slowest write waited ${worst.toFixed(1)} ms`);
    } finally {
      await vacuum.stop();
    }
  });
});

Deno.test("a database made without auto-vacuum says so and keeps its free pages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-vacuum-" });
  const path = `${dir}/old.db`;
  const old = new DatabaseSync(path);
  old.exec("CREATE TABLE filler (x)"); // any table: auto_vacuum can no longer be set
  old.close();
  try {
    await withDb(async (db) => {
      const vacuum = createVacuum({ db });
      await fillAndDelete(db, 4);
      const before = vacuum.space();
      assert.equal(before.autoVacuum, "none");
      assert.ok(before.freePages > 0);
      assert.equal(await vacuum.run(), 0, "steps cannot give pages back in mode none");
      assert.equal(vacuum.space().freePages, before.freePages);
      await vacuum.stop();
    }, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
