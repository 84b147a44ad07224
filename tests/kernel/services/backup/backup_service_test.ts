import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createKernel } from "../../../../kernel/boot/kernel.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { folderBytes } from "../../../../kernel/services/cockpit/disk_guard.ts";
import { restoreBackup } from "../../../../kernel/services/backup/restore.ts";
import { readTarIndex } from "../../../../kernel/services/backup/tar.ts";
import { withKernel } from "../../../_helpers/kernel.ts";

const APP = { "index.html": "<h1>hi</h1>" };

function integrity(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string })
      .integrity_check;
  } finally {
    db.close();
  }
}

Deno.test("a backup under a write load holds every write acknowledged before it began", async () => {
  const restored = await Deno.makeTempDir({ prefix: "fazt-restored-" });
  try {
    await withKernel(async (t) => {
      assert.equal((await t.deploy("notes", APP)).status, 200);
      const { services } = t.kernel;
      const id = services.apps.resolve("notes").id;
      const data = services.appData.forApp(id);
      await data.sql.exec("CREATE TABLE n (i INTEGER)");
      await services.secrets.set(id, "API_KEY", "s3cret-value");
      const acked: { i: number; at: number }[] = [];
      const sqlAcked: { i: number; at: number }[] = [];
      let stop = false;
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          await data.kv.set(`k${i}`, { i, pad: "x".repeat(200) });
          acked.push({ i, at: Date.now() });
          if (i % 5 === 0) {
            await data.sql.exec("INSERT INTO n VALUES (?)", [i]);
            sqlAcked.push({ i, at: Date.now() });
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      const record = await services.backups.create();
      await new Promise((r) => setTimeout(r, 100));
      stop = true;
      await load;

      assert.equal(record.files, 4, "kernel.db, secrets.key, store.db, sql.db");
      assert.match(record.name, /^fazt-backup-\d{8}T\d{6}Z-\d+\.\d+\.\d+.*\.tar$/);
      const archive = join(t.dataDir, "backups", record.name);
      assert.deepEqual((await readTarIndex(archive)).map((m) => m.name), [
        "kernel.db",
        "secrets.key",
        `apps/${id}/store.db`,
        `apps/${id}/sql.db`,
        "manifest.json",
        "manifest.sha256",
      ]);
      const before = acked.filter((a) => a.at < record.startedAt);
      const sqlBefore = sqlAcked.filter((a) => a.at < record.startedAt);
      assert.ok(before.length > 10, `the load ran before the backup (${before.length} writes)`);
      assert.ok(acked.length > before.length, "and while it ran");

      const dir = join(restored, "data");
      await restoreBackup({ file: archive, dataDir: dir });
      for (const f of ["kernel.db", `apps/${id}/store.db`, `apps/${id}/sql.db`]) {
        assert.equal(integrity(join(dir, f)), "ok", f);
      }
      const kernel = await createKernel({ dataDir: dir });
      try {
        const back = kernel.services.appData.forApp(id);
        for (const { i } of before) {
          assert.deepEqual(await back.kv.get(`k${i}`), { i, pad: "x".repeat(200) }, `k${i}`);
        }
        const rows = await back.sql.query("SELECT i FROM n");
        const have = new Set(rows.map((r) => r.i));
        for (const { i } of sqlBefore) assert.ok(have.has(i), `sql row ${i}`);
        assert.equal(kernel.services.secrets.reveal(id, "API_KEY"), "s3cret-value");
        assert.equal(kernel.services.apps.resolve("notes").id, id);
      } finally {
        await kernel.close();
      }
    });
  } finally {
    await Deno.remove(restored, { recursive: true });
  }
});

Deno.test("backups: list newest first, prune keeps the newest, names never collide", async () => {
  await withKernel(async (t) => {
    const b = t.kernel.services.backups;
    const made = await Promise.all([b.create(), b.create(), b.create()]);
    assert.equal(new Set(made.map((r) => r.name)).size, 3, "three distinct names");
    const listed = await b.list();
    assert.deepEqual(listed.map((x) => x.name), made.map((r) => r.name).toReversed());
    const pruned = await b.prune(1);
    assert.deepEqual(pruned.map((x) => x.name), listed.slice(1).map((x) => x.name));
    assert.deepEqual((await b.list()).map((x) => x.name), [made[2].name]);
    await assert.rejects(
      () => b.prune(0),
      (e) => e instanceof FaztError && e.code === "invalid_input",
    );
    assert.equal(b.status().last?.ok, true);
    assert.equal(b.status().runningSince, null);

    const res = await t.api("GET", "/system/status");
    const status = await res.json();
    assert.equal(status.backups.last.name, made[2].name);
    assert.equal(status.backups.schedule, null);
  });
});

Deno.test("backups: another folder, and locations that cannot be used", async () => {
  const other = await Deno.makeTempDir();
  try {
    await withKernel(async (t) => {
      const res = await t.api("POST", "/backups", { body: { to: other } });
      assert.equal(res.status, 201);
      const made = await res.json();
      assert.equal(made.location, other);
      const list = await (await t.api("GET", `/backups?to=${encodeURIComponent(other)}`)).json();
      assert.deepEqual(list.map((b: { name: string }) => b.name), [made.name]);
      assert.deepEqual(await (await t.api("GET", "/backups")).json(), []);
      const missing = await t.api("POST", "/backups", { body: { to: join(other, "nope") } });
      assert.equal(missing.status, 404);
      const relative = await t.api("POST", "/backups", { body: { to: "backups" } });
      assert.equal(relative.status, 400);
      assert.match((await relative.json()).error.message, /absolute path/);
      const s3 = await t.api("POST", "/backups", { body: { to: "s3://bucket/fazt" } });
      // An s3:// location with no saved credentials names the command that saves them.
      assert.equal(s3.status, 404);
      assert.match((await s3.json()).error.message, /fazt backup target set/);
    });
  } finally {
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("a backup that would go past the disk quota is refused and leaves nothing", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await (await createKernel({ dataDir })).close();
    const bytes = await folderBytes(dataDir);
    const kernel = await createKernel({ dataDir, diskQuotaBytes: bytes + 512 * 1024 });
    try {
      await kernel.services.guards.disk.refresh();
      await assert.rejects(
        () => kernel.services.backups.create(),
        (e) =>
          e instanceof FaztError && e.code === "insufficient_storage" &&
          /quota/.test(e.message) && /prune/.test(e.message),
      );
      assert.deepEqual(await kernel.services.backups.list(), []);
      const left = await Array.fromAsync(Deno.readDir(join(dataDir, "backups")));
      assert.deepEqual(left, [], "no archive or leftover in the backup folder");
      assert.equal(kernel.services.backups.status().last?.ok, false);
    } finally {
      await kernel.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
