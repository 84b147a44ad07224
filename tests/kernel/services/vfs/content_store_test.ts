import assert from "node:assert/strict";
import { openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { CHUNK_SIZE, putBlob, readBlob } from "../../../../kernel/services/vfs/content_store.ts";

function bytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

function pieces(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let k = 0; at < data.length; k++) {
    const n = sizes[k % sizes.length];
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

Deno.test("putBlob() stores bodies in any piece sizes as 1 MiB chunks; readBlob() gives them back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-blob-" });
  const db = openDatabase({ path: `${dir}/k.db`, migrations: KERNEL_MIGRATIONS });
  try {
    const cases: [size: number, pieceSizes: number[]][] = [
      [0, [1]],
      [10, [10]],
      [10, [3]],
      [CHUNK_SIZE, [CHUNK_SIZE]],
      [CHUNK_SIZE * 2 + 5, [CHUNK_SIZE * 3]],
      [CHUNK_SIZE * 2 + 5, [65536]],
      [CHUNK_SIZE * 2 + 5, [1000, CHUNK_SIZE, 7]],
    ];
    for (const [i, [size, sizes]] of cases.entries()) {
      const data = bytes(size).map((b) => b ^ i);
      const hash = `h${i}`;
      await db.write((w) => putBlob(w, { hash, size, body: pieces(data, sizes) }, 1));
      assert.deepEqual(readBlob(db.read, hash), data, `${size} in ${sizes}`);
      const chunks = db.read.prepare(
        "SELECT length(data) AS n FROM blob_chunks WHERE hash = ? ORDER BY seq",
      )
        .all(hash) as { n: number }[];
      assert.ok(chunks.every((c, k) => k === chunks.length - 1 || c.n === CHUNK_SIZE), `${size}`);
    }
    for (
      const [size, body] of [[10, [bytes(11)]], [10, [bytes(9)]], [CHUNK_SIZE, [
        bytes(CHUNK_SIZE + 1),
      ]]] as const
    ) {
      await assert.rejects(
        db.write((w) => putBlob(w, { hash: "bad", size, body }, 1)),
        /declared/,
        `${size} declared, ${body[0].length} sent`,
      );
    }
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
