import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { type Database, openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import {
  putBlob,
  putVariantChunk,
  readVariant,
  streamVariant,
} from "../../../../kernel/services/vfs/content_store.ts";
import { createVariantCompressor } from "../../../../kernel/services/vfs/variant_compressor.ts";

async function withDb(fn: (db: Database) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-compress-" });
  const db = openDatabase({ path: `${dir}/k.db`, migrations: KERNEL_MIGRATIONS });
  try {
    await fn(db);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function store(db: Database, bytes: Uint8Array, compress = true): Promise<string> {
  const hash = await sha256(bytes);
  await db.write((w) => putBlob(w, { hash, size: bytes.length, body: [bytes], compress }, 1));
  return hash;
}

function text(size: number): Uint8Array {
  let s = "";
  for (let i = 0; s.length < size; i++) s += `line ${i}: value ${(i * 7919) % 10007}\n`;
  return new TextEncoder().encode(s.slice(0, size));
}

function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

async function compressAll(db: Database): Promise<number> {
  let published = 0;
  const compressor = createVariantCompressor({
    db,
    onPublished: () => published++,
    onError: (err) => assert.fail(String(err)),
  });
  compressor.wake();
  await compressor.idle();
  return published;
}

const pending = (db: Database) =>
  (db.read.prepare("SELECT count(*) AS n FROM blobs WHERE compress_pending = 1").get() as {
    n: number;
  }).n;

Deno.test("small and large files get br and gzip encodings; large ones stored in chunks", async () => {
  await withDb(async (db) => {
    const small = text(20_000);
    const large = text(3 * 1024 * 1024 + 17);
    const smallHash = await store(db, small);
    const largeHash = await store(db, large);
    assert.equal(pending(db), 2);
    assert.ok(await compressAll(db) > 0, "file indexes were told");
    assert.equal(pending(db), 0);
    for (const [hash, bytes] of [[smallHash, small], [largeHash, large]] as const) {
      const br = readVariant(db.read, hash, "br")!;
      const gz = readVariant(db.read, hash, "gzip")!;
      assert.deepEqual(new Uint8Array(brotliDecompressSync(br)), bytes);
      assert.deepEqual(new Uint8Array(gunzipSync(gz)), bytes);
      const streamed = streamVariant(db.read, hash, "br")!;
      assert.equal(streamed.size, br.length);
      assert.deepEqual(new Uint8Array(await new Response(streamed.body).arrayBuffer()), br);
    }
    const chunks = db.read.prepare(
      "SELECT count(*) AS n FROM blob_variant_chunks WHERE hash = ?",
    ).get(largeHash) as { n: number };
    assert.ok(chunks.n >= 2, "the large file's encodings are chunked");
  });
});

Deno.test("incompressible and unmarked blobs get no encodings; marks are cleared", async () => {
  await withDb(async (db) => {
    const noise = await store(db, random(200_000));
    const unmarked = await store(db, text(50_000), false);
    await compressAll(db);
    assert.equal(pending(db), 0);
    assert.equal(readVariant(db.read, noise, "br"), undefined);
    assert.equal(readVariant(db.read, noise, "gzip"), undefined);
    assert.equal(readVariant(db.read, unmarked, "br"), undefined);
  });
});

Deno.test("chunks left by a compression cut short are dropped and the blob compressed again", async () => {
  await withDb(async (db) => {
    const bytes = text(2 * 1024 * 1024);
    const hash = await store(db, bytes);
    await db.write((w) => putVariantChunk(w, hash, "br", 0, new Uint8Array([1, 2, 3])));
    await db.write((w) => putVariantChunk(w, hash, "br", 7, new Uint8Array([4])));
    await compressAll(db);
    const br = readVariant(db.read, hash, "br")!;
    assert.deepEqual(new Uint8Array(brotliDecompressSync(br)), bytes);
  });
});

Deno.test("a blob deleted before it is compressed is skipped", async () => {
  await withDb(async (db) => {
    const hash = await store(db, text(100_000));
    await db.write((w) => w.prepare("DELETE FROM blobs WHERE hash = ?").run(hash));
    await compressAll(db);
    assert.equal(pending(db), 0);
  });
});
