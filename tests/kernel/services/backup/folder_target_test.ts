import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createFolderTarget,
  STALE_PARTIAL_MS,
} from "../../../../kernel/services/backup/folder_target.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";

const A = "fazt-backup-20260101T000000Z-0.1.0.tar";
const B = "fazt-backup-20260102T000000Z-0.1.0.tar";

Deno.test("folder target: put moves the file in, list is newest first, fetch and remove", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = createFolderTarget(join(dir, "backups"), true);
    assert.deepEqual(await target.list(), [], "a folder that does not exist yet lists nothing");
    await assert.rejects(
      () => createFolderTarget(join(dir, "elsewhere")).list(),
      (e) => e instanceof FaztError && e.code === "not_found" && /Create it first/.test(e.message),
      "a folder given by the owner must exist",
    );
    for (const [name, text] of [[A, "a"], [B, "bb"]]) {
      const file = join(dir, `${name}.src`);
      await Deno.writeTextFile(file, text);
      await target.put(name, file);
    }
    const list = await target.list();
    assert.deepEqual(list.map((b) => [b.name, b.bytes]), [[B, 2], [A, 1]]);
    assert.equal((await Deno.stat(join(dir, "backups"))).mode! & 0o777, 0o700);
    await target.fetch(A, join(dir, "copy"));
    assert.equal(await Deno.readTextFile(join(dir, "copy")), "a");
    await target.remove(A);
    assert.deepEqual((await target.list()).map((b) => b.name), [B]);
    await assert.rejects(
      () => target.fetch(A, join(dir, "again")),
      (e) => e instanceof FaztError && e.code === "not_found",
    );
    await assert.rejects(() => target.remove("../kernel.db"), FaztError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("folder target: archives in progress never list; stale leftovers are cleaned", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = createFolderTarget(dir);
    await Deno.writeTextFile(join(dir, `.fazt-backup-x.partial`), "half");
    await Deno.mkdir(join(dir, ".fazt-backup-work"));
    await Deno.writeTextFile(join(dir, "notes.txt"), "mine");
    assert.deepEqual(await target.list(), []);
    await target.cleanStale();
    assert.equal((await Array.fromAsync(Deno.readDir(dir))).length, 3, "fresh leftovers stay");
    await target.cleanStale(Date.now() + STALE_PARTIAL_MS + 60_000);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["notes.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
