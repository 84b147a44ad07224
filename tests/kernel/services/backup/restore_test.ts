import assert from "node:assert/strict";
import { join } from "node:path";
import { createKernel, type Kernel } from "../../../../kernel/boot/kernel.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { VERSION } from "../../../../kernel/core/version.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import {
  finishInterruptedRestore,
  restoreBackup,
  type RestoreStep,
} from "../../../../kernel/services/backup/restore.ts";
import { readTarIndex } from "../../../../kernel/services/backup/tar.ts";
import { fingerprint, flipByte, rewriteManifest } from "../../../_helpers/backup.ts";
import { zipFiles } from "../../../_helpers/kernel.ts";

/**
 * A data folder `<root>/data` whose backup holds kv `state` = "backup" and
 * app "first"; after the backup, `state` became "current" and app "second"
 * was added. Returns the archive's path (outside the data folder).
 */
async function scene(root: string): Promise<{ dataDir: string; archive: string }> {
  const dataDir = join(root, "data");
  const kernel = await createKernel({ dataDir });
  let archive: string;
  try {
    await deploy(kernel, "first");
    await kv(kernel, "first").set("state", "backup");
    const record = await kernel.services.backups.create();
    archive = join(root, record.name);
    await Deno.copyFile(join(dataDir, "backups", record.name), archive);
    await kv(kernel, "first").set("state", "current");
    await deploy(kernel, "second");
  } finally {
    await kernel.close();
  }
  return { dataDir, archive };
}

async function deploy(kernel: Kernel, app: string): Promise<void> {
  const res = await kernel.handler(
    new Request(`http://127.0.0.1/_fazt/api/deploy?app=${app}`, {
      method: "POST",
      headers: { authorization: `Bearer ${kernel.ownerToken}`, "content-type": "application/zip" },
      body: zipFiles({ "index.html": app }) as Uint8Array<ArrayBuffer>,
    }),
  );
  assert.equal(res.status, 200, await res.text());
}

function kv(kernel: Kernel, app: string) {
  return kernel.services.appData.forApp(kernel.services.apps.resolve(app).id).kv;
}

/** Boots a kernel on `dataDir` (which finishes any interrupted restore) and says which state it serves. */
async function served(dataDir: string): Promise<{ state: unknown; apps: string[] }> {
  const kernel = await createKernel({ dataDir });
  try {
    return {
      state: await kv(kernel, "first").get("state"),
      apps: kernel.services.apps.list().map((a) => a.name).sort(),
    };
  } finally {
    await kernel.close();
  }
}

const OLD = { state: "current", apps: ["first", "second"] };
const NEW = { state: "backup", apps: ["first"] };

Deno.test("restore: the current data is kept aside, backups and settings come along", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { dataDir, archive } = await scene(root);
    const steps: RestoreStep[] = [];
    const result = await restoreBackup({ file: archive, dataDir, onStep: (s) => steps.push(s) });
    assert.deepEqual(steps, [
      "checked",
      "unpacked",
      "verified",
      "committed",
      "moved-aside",
      "swapped",
      "done",
    ]);
    assert.deepEqual(await served(dataDir), NEW);
    assert.ok(result.aside?.startsWith(`${dataDir}.before-restore-`), result.aside ?? "");
    assert.deepEqual(await served(result.aside!), OLD);
    const names = (await Array.fromAsync(Deno.readDir(join(dataDir, "backups")))).map((e) =>
      e.name
    );
    assert.equal(names.length, 1, "the backup made before is still listed");
    assert.ok((await Deno.stat(join(dataDir, "backups", names[0]))).nlink! >= 2, "hard-linked");
    const left = (await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).filter((n) =>
      n.startsWith(".")
    );
    assert.deepEqual(left, [], "no staging folder or journal left");

    const sameSecond = () => 1_800_000_000_000;
    const again = await restoreBackup({ file: archive, dataDir, now: sameSecond });
    const third = await restoreBackup({ file: archive, dataDir, now: sameSecond });
    assert.equal(new Set([result.aside, again.aside, third.aside]).size, 3, "each keeps its own");
    assert.deepEqual(await served(dataDir), NEW);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("restore: a damaged archive is refused and nothing changes", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { dataDir, archive } = await scene(root);
    const work = join(root, "work");
    await Deno.mkdir(work);
    const before = await fingerprint(dataDir);
    const kernelDb = (await readTarIndex(archive)).find((m) => m.name === "kernel.db")!;
    const cases: [string, number, RegExp][] = [
      ["a byte inside kernel.db", kernelDb.offset + Math.floor(kernelDb.size / 2), /checksum/],
      ["a byte of a header", 20, /checksum/],
      ["a byte of the manifest", (await Deno.stat(archive)).size - 2048 + 40, /./],
    ];
    for (const [what, at, message] of cases) {
      const bad = join(work, `bad-${at}.tar`);
      await Deno.copyFile(archive, bad);
      await flipByte(bad, at);
      await assert.rejects(
        () => restoreBackup({ file: bad, dataDir }),
        (e) => e instanceof FaztError && e.code === "invalid_archive" && message.test(e.message),
        what,
      );
      assert.deepEqual(await fingerprint(dataDir), before, `${what}: nothing changed`);
    }
    await assert.rejects(
      () => restoreBackup({ file: join(root, "nope.tar"), dataDir }),
      (e) => e instanceof FaztError && e.code === "not_found",
    );
    assert.deepEqual(await served(dataDir), OLD);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("restore: a backup from a newer fazt or schema is refused and nothing changes", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { dataDir, archive } = await scene(root);
    const work = join(root, "work");
    await Deno.mkdir(work);
    const before = await fingerprint(dataDir);
    const edits: [string, (m: Parameters<Parameters<typeof rewriteManifest>[2]>[0]) => void][] = [
      ["version", (m) => m.version = "999.0.0"],
      ["schema", (m) => m.schemaVersion = KERNEL_MIGRATIONS.length + 1],
      ["format", (m) => m.formatVersion = 2],
    ];
    for (const [what, edit] of edits) {
      const newer = join(work, `newer-${what}.tar`);
      await rewriteManifest(archive, newer, edit);
      await assert.rejects(
        () => restoreBackup({ file: newer, dataDir }),
        (e) =>
          e instanceof FaztError && e.code === "conflict" && e.message.includes(VERSION) &&
          /newer than this fazt/.test(e.message),
        what,
      );
      assert.deepEqual(await fingerprint(dataDir), before, `${what}: nothing changed`);
    }
    const same = join(work, "same.tar");
    await rewriteManifest(archive, same, () => {});
    await restoreBackup({ file: same, dataDir });
    assert.deepEqual(await served(dataDir), NEW, "the rewritten archive itself is fine");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("restore: a kill -9 after any step leaves the old or the new data, whole", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { dataDir, archive } = await scene(root);
    const snapshot = join(root, "pristine");
    await Deno.mkdir(snapshot);
    const copy = async (from: string, to: string) => {
      const out = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
      assert.equal(out.code, 0);
    };
    await copy(dataDir, join(snapshot, "data"));
    const expected: [RestoreStep, typeof OLD][] = [
      ["checked", OLD],
      ["unpacked", OLD],
      ["verified", OLD],
      ["committed", NEW],
      ["moved-aside", NEW],
      ["swapped", NEW],
    ];
    for (const [step, state] of expected) {
      await Deno.remove(dataDir, { recursive: true });
      for await (const e of Deno.readDir(root)) {
        if (e.name.startsWith("data.before-restore-")) {
          await Deno.remove(join(root, e.name), { recursive: true });
        }
      }
      await copy(join(snapshot, "data"), dataDir);
      const child = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("../../../_helpers/restore_child.ts", import.meta.url).pathname,
          archive,
          dataDir,
          step,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(child.signal, "SIGKILL", `${step}: ${new TextDecoder().decode(child.stderr)}`);
      assert.deepEqual(await served(dataDir), state, `killed after "${step}"`);
      const left = (await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).filter((n) =>
        n.startsWith(".")
      );
      assert.deepEqual(left, [], `${step}: the next start cleaned up`);
      assert.equal(await finishInterruptedRestore(dataDir), false, "nothing left to finish");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
