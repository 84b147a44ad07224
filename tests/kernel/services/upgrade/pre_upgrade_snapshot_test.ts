import assert from "node:assert/strict";
import { join } from "node:path";
import { folderSnapshot } from "../../../../kernel/services/upgrade/pre_upgrade_snapshot.ts";

async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await tree(p, `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}=${await Deno.readTextFile(p)}`);
  }
  return out.sort();
}

Deno.test("a snapshot holds the data folder but upgrade/, tmp/, backups/ and server.json; restore puts it back", async () => {
  const data = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(data, "kernel.db"), "v1");
    await Deno.mkdir(join(data, "apps", "a1"), { recursive: true });
    await Deno.writeTextFile(join(data, "apps", "a1", "data.db"), "rows");
    await Deno.mkdir(join(data, "tmp"));
    await Deno.writeTextFile(join(data, "tmp", "upload"), "x");
    await Deno.writeTextFile(join(data, "server.json"), "{}");
    const snap = folderSnapshot(data);
    const path = await snap.take();
    assert.deepEqual(await tree(path), ["apps/a1/data.db=rows", "kernel.db=v1"]);

    await Deno.writeTextFile(join(data, "kernel.db"), "v2");
    await Deno.writeTextFile(join(data, "new.db"), "later");
    await snap.restore(path);
    assert.deepEqual(
      (await tree(data)).filter((f) => !f.startsWith("upgrade/")),
      ["apps/a1/data.db=rows", "kernel.db=v1", "server.json={}", "tmp/upload=x"],
    );
    // Restoring again changes nothing.
    await snap.restore(path);
    assert.equal(await Deno.readTextFile(join(data, "kernel.db")), "v1");
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("restore can keep the replaced data aside", async () => {
  const data = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(data, "kernel.db"), "v1");
    const snap = folderSnapshot(data);
    const path = await snap.take();
    await Deno.writeTextFile(join(data, "kernel.db"), "v2");
    const aside = join(data, "upgrade", "data-2");
    await snap.restore(path, aside);
    assert.equal(await Deno.readTextFile(join(data, "kernel.db")), "v1");
    assert.equal(await Deno.readTextFile(join(aside, "kernel.db")), "v2");
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test({
  name: "snapshot and restore keep each file's owner and mode (as root, for a service user's data)",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const data = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(data, "apps"), { mode: 0o750 });
      await Deno.writeTextFile(join(data, "apps", "x.db"), "x", { mode: 0o600 });
      await Deno.writeTextFile(join(data, "kernel.db"), "v1", { mode: 0o640 });
      for (const p of ["apps", "apps/x.db", "kernel.db"]) {
        await Deno.chown(join(data, p), 4321, 4321);
      }
      const snap = folderSnapshot(data);
      const path = await snap.take();
      await snap.restore(path);
      for (
        const [p, mode] of [["apps", 0o750], ["apps/x.db", 0o600], ["kernel.db", 0o640]] as const
      ) {
        for (const root of [path, data]) {
          const info = await Deno.stat(join(root, p));
          assert.equal(info.uid, 4321, `${root}/${p}`);
          assert.equal(info.gid, 4321, `${root}/${p}`);
          assert.equal(info.mode! & 0o777, mode, `${root}/${p}`);
        }
      }
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  },
});
