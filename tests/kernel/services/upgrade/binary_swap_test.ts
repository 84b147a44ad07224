import assert from "node:assert/strict";
import { join } from "node:path";
import { binaryPaths, swapBack, swapIn } from "../../../../kernel/services/upgrade/binary_swap.ts";

Deno.test("swapIn puts the new binary in place and keeps the old as .prev; swapBack undoes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = binaryPaths(join(dir, "fazt"));
    await Deno.writeTextFile(paths.binary, "old", { mode: 0o755 });
    await Deno.writeTextFile(paths.next, "new", { mode: 0o755 });
    await swapIn(paths);
    assert.equal(await Deno.readTextFile(paths.binary), "new");
    assert.equal(await Deno.readTextFile(paths.prev), "old");
    await assert.rejects(Deno.lstat(paths.next), Deno.errors.NotFound);
    assert.equal((await Deno.stat(paths.binary)).mode! & 0o777, 0o755);
    await swapBack(paths);
    assert.equal(await Deno.readTextFile(paths.binary), "old");
    await assert.rejects(Deno.lstat(paths.prev), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("swapIn replaces a stale .prev from an earlier upgrade", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = binaryPaths(join(dir, "fazt"));
    await Deno.writeTextFile(paths.prev, "older");
    await Deno.writeTextFile(`${paths.prev}.tmp`, "partial");
    await Deno.writeTextFile(paths.binary, "old");
    await Deno.writeTextFile(paths.next, "new");
    await swapIn(paths);
    assert.equal(await Deno.readTextFile(paths.prev), "old");
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "fazt",
      "fazt.prev",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
