import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fileChunks,
  memberChunks,
  readTarIndex,
  TarWriter,
} from "../../../../kernel/services/backup/tar.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes an archive of `members` (name → bytes) into `dir`. */
async function archive(dir: string, members: Record<string, Uint8Array>): Promise<string> {
  const path = join(dir, "a.tar");
  using file = await Deno.open(path, { write: true, createNew: true });
  const tar = new TarWriter(file);
  for (const [name, data] of Object.entries(members)) await tar.addBytes(name, data);
  await tar.finish();
  return path;
}

const MEMBERS = {
  "kernel.db": new Uint8Array(70_000).map((_, i) => (i * 7919) % 251),
  "apps/app_aaaaaaaaaaaaaaaa/store.db": new Uint8Array(0),
  "secrets.key": crypto.getRandomValues(new Uint8Array(32)),
  "exact.bin": new Uint8Array(1024).fill(7),
};

Deno.test("tar: members round-trip through the index and streaming reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await archive(dir, MEMBERS);
    const index = await readTarIndex(path);
    assert.deepEqual(index.map((m) => [m.name, m.size]), [
      ["kernel.db", 70_000],
      ["apps/app_aaaaaaaaaaaaaaaa/store.db", 0],
      ["secrets.key", 32],
      ["exact.bin", 1024],
    ]);
    for (const m of index) {
      assert.deepEqual(
        await collect(memberChunks(path, m)),
        MEMBERS[m.name as keyof typeof MEMBERS],
      );
    }
    assert.deepEqual(await collect(fileChunks(path)), await Deno.readFile(path));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tar: the system's tar reads our archives", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await archive(dir, MEMBERS);
    const out = await new Deno.Command("tar", { args: ["-xf", path, "-C", dir] }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    for (const [name, data] of Object.entries(MEMBERS)) {
      assert.deepEqual(await Deno.readFile(join(dir, name)), data, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tar: a flipped byte in a header, the padding or the end marker is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await archive(dir, MEMBERS);
    const good = await Deno.readFile(path);
    // kernel.db: header at 0, data at 512 (70,000 bytes), padding to 70,656.
    const cases: [string, number][] = [
      ["header name", 3],
      ["header size", 130],
      ["second header", 512 + 70_144 + 10],
      ["padding", 512 + 70_000 + 5],
      ["end marker", good.length - 700],
      ["trailing zeros", good.length - 1],
    ];
    for (const [what, at] of cases) {
      const bad = good.slice();
      bad[at] ^= 0x41;
      await Deno.writeFile(path, bad);
      await assert.rejects(
        async () => {
          for (const m of await readTarIndex(path)) await collect(memberChunks(path, m));
        },
        (err) => err instanceof FaztError && err.code === "invalid_archive",
        what,
      );
    }
    await Deno.writeFile(path, good.subarray(0, good.length - 1024 - 100));
    await assert.rejects(() => readTarIndex(path), FaztError, "a cut archive");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tar: a member that changes size while archived is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using file = await Deno.open(join(dir, "b.tar"), { write: true, createNew: true });
    const tar = new TarWriter(file);
    const source = async function* () {
      yield new Uint8Array(10);
    };
    await assert.rejects(() => tar.add("x", 5, source()), /grew/);
    await assert.rejects(() => tar.add("y", 50, source()), /shrank/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
