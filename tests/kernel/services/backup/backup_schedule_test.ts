import assert from "node:assert/strict";
import { join } from "node:path";
import { createKernel } from "../../../../kernel/boot/kernel.ts";
import { parseBackupName } from "../../../../kernel/services/backup/manifest.ts";

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("scheduled backups run in the background and keep the newest", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const kernel = await createKernel({ dataDir, backupEveryMs: 1000, backupKeep: 2 });
    try {
      const seen = new Set<string>();
      await until("three scheduled backups", () => {
        const name = kernel.services.backups.status().last?.name;
        if (name) seen.add(name);
        return seen.size >= 3;
      });
      await until(
        "the prune after the third",
        async () => (await kernel.services.backups.list()).length === 2,
      );
      const list = await kernel.services.backups.list();
      const names = list.map((b) => b.name);
      assert.deepEqual(names, names.toSorted().reverse(), "newest first");
      assert.ok(!names.includes([...seen].sort()[0]), "the oldest was pruned");
      const schedule = kernel.services.backupSchedule();
      assert.equal(schedule?.everyMs, 1000);
      assert.equal(schedule?.keep, 2);
      assert.equal(schedule?.location, join(dataDir, "backups"));
      assert.ok(schedule!.nextAt! > Date.now() - 5000, "a next run is planned");
      assert.equal(kernel.services.backups.status().last?.ok, true);
    } finally {
      await kernel.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a schedule to a folder that is not there fails the boot with a clear error", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => createKernel({ dataDir, backupEveryMs: 60_000, backupTo: join(dataDir, "nope") }),
      /No folder at .*nope\. Create it first/,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the first scheduled backup is due one interval after the newest one there", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const first = await createKernel({ dataDir });
    const made = await first.services.backups.create();
    await first.close();
    const kernel = await createKernel({ dataDir, backupEveryMs: 3_600_000, backupKeep: 3 });
    try {
      await until("the schedule to start", () => kernel.services.backupSchedule()?.nextAt != null);
      assert.equal(
        kernel.services.backupSchedule()!.nextAt,
        parseBackupName(made.name)!.startedAt + 3_600_000,
      );
    } finally {
      await kernel.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a failing scheduled backup is shown in the status and the kernel keeps going", async () => {
  const dataDir = await Deno.makeTempDir();
  const folder = join(dataDir, "elsewhere");
  await Deno.mkdir(folder);
  const errors: unknown[] = [];
  const log = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    const kernel = await createKernel({
      dataDir,
      backupEveryMs: 1000,
      backupKeep: 2,
      backupTo: folder,
    });
    try {
      await Deno.remove(folder); // the disk went away after the server started
      await until("a failed run", () => kernel.services.backups.status().last?.ok === false);
      const last = kernel.services.backups.status().last!;
      assert.equal(last.name, null);
      assert.match(last.error!, /No folder at .*elsewhere/);
      assert.ok(errors.length >= 1, "the failure was logged");
      assert.ok(kernel.services.backupSchedule()!.nextAt !== null, "and retried later");
      const res = await kernel.handler(
        new Request("http://127.0.0.1/_fazt/api/system/status", {
          headers: { authorization: `Bearer ${kernel.ownerToken}` },
        }),
      );
      const status = await res.json();
      assert.equal(status.backups.last.ok, false);
      assert.equal(status.backups.schedule.everyMs, 1000);
    } finally {
      await kernel.close();
    }
  } finally {
    console.error = log;
    await Deno.remove(dataDir, { recursive: true });
  }
});
