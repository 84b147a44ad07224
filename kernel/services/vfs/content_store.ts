/**
 * Content-addressed file bodies. A blob is keyed by the SHA-256 of its bytes,
 * so identical files are stored once across versions and apps. Bodies are
 * split into fixed-size chunks, which lets large files stream (and serve
 * byte ranges) without ever sitting whole in memory. Precompressed
 * encodings sit beside their blob: inline for files up to one chunk, in
 * chunks of their own above (`blob_variant_chunks`). A deploy only marks a
 * compressible blob `compress_pending`; the background compressor
 * (`variant_compressor.ts`) stores the encodings later.
 *
 * @module
 */
import type { Connection } from "../../store/database.ts";
import { concatBytes } from "../../core/bytes.ts";

/** Size of one stored chunk. Files up to this size are a single row. */
export const CHUNK_SIZE = 1024 * 1024;

/** Bytes backed by a plain ArrayBuffer, usable as a response body. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** A content encoding stored ahead of time. */
export type Encoding = "br" | "gzip";

/** True when a blob with this hash is stored. */
export function hasBlob(db: Connection, hash: string): boolean {
  return db.prepare("SELECT 1 FROM blobs WHERE hash = ?").get(hash) !== undefined;
}

/** What {@linkcode putBlob} stores. */
export interface BlobInput {
  /** SHA-256 hex of the whole body, computed by the caller beforehand. */
  hash: string;
  /** Total size in bytes. */
  size: number;
  /** The body, in pieces of any size. */
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Marks the blob for the background compressor. */
  compress?: boolean;
}

/**
 * Stores a blob inside the caller's write transaction, re-chunking the body.
 * The caller has verified the hash; a size mismatch is a programming error.
 */
export async function putBlob(db: Connection, input: BlobInput, now: number): Promise<void> {
  db.prepare(
    "INSERT INTO blobs (hash, size, chunk_size, created_at, compress_pending) VALUES (?, ?, ?, ?, ?)",
  ).run(input.hash, input.size, CHUNK_SIZE, now, input.compress ? 1 : 0);
  const insertChunk = db.prepare("INSERT INTO blob_chunks (hash, seq, data) VALUES (?, ?, ?)");
  const mismatch = (received: number) =>
    new Error(`Blob ${input.hash} declared ${input.size} bytes but received ${received}.`);
  let seq = 0;
  let written = 0;
  // The chunk being filled when pieces do not line up with chunks; a piece
  // holding a whole chunk is stored as is, without a copy.
  let buf: Uint8Array | undefined;
  let fill = 0;
  for await (const piece of input.body) {
    let offset = 0;
    while (offset < piece.length) {
      const want = Math.min(CHUNK_SIZE, input.size - written);
      if (want <= 0) throw mismatch(written + fill + piece.length - offset);
      if (fill === 0 && piece.length - offset >= want) {
        insertChunk.run(input.hash, seq++, piece.subarray(offset, offset + want));
        written += want;
        offset += want;
        continue;
      }
      buf ??= new Uint8Array(want);
      const take = Math.min(buf.length - fill, piece.length - offset);
      buf.set(piece.subarray(offset, offset + take), fill);
      fill += take;
      offset += take;
      if (fill === buf.length) {
        insertChunk.run(input.hash, seq++, buf);
        written += fill;
        buf = undefined;
        fill = 0;
      }
    }
  }
  if (fill > 0 || input.size === 0) {
    insertChunk.run(input.hash, seq++, (buf ?? new Uint8Array(0)).subarray(0, fill));
    written += fill;
  }
  if (written !== input.size) throw mismatch(written);
}

/** Reads a whole blob into memory. Use for small files only. */
export function readBlob(db: Connection, hash: string): Bytes | undefined {
  const rows = db.prepare("SELECT data FROM blob_chunks WHERE hash = ? ORDER BY seq").all(hash) as {
    data: Bytes;
  }[];
  if (rows.length === 0) return undefined;
  return concatBytes(rows.map((r) => r.data)) as Bytes;
}

/** Reads one precompressed encoding of a blob whole, if stored. */
export function readVariant(db: Connection, hash: string, encoding: Encoding): Bytes | undefined {
  const row = db.prepare("SELECT data, size FROM blob_variants WHERE hash = ? AND encoding = ?")
    .get(hash, encoding) as { data: Bytes; size: number | null } | undefined;
  if (!row || row.size === null) return row?.data;
  const chunks = db.prepare(
    "SELECT data FROM blob_variant_chunks WHERE hash = ? AND encoding = ? ORDER BY seq",
  ).all(hash, encoding) as { data: Bytes }[];
  return concatBytes(chunks.map((c) => c.data), row.size) as Bytes;
}

/** A stored encoding's size and a stream of its bytes, one chunk per pull. */
export function streamVariant(
  db: Connection,
  hash: string,
  encoding: Encoding,
): { size: number; body: ReadableStream<Uint8Array> } | undefined {
  const row = db.prepare(
    "SELECT coalesce(size, length(data)) AS size, size IS NULL AS inline FROM blob_variants WHERE hash = ? AND encoding = ?",
  ).get(hash, encoding) as { size: number; inline: number } | undefined;
  if (!row) return undefined;
  if (row.inline) {
    const bytes = readVariant(db, hash, encoding)!;
    return { size: row.size, body: new Blob([bytes]).stream() };
  }
  const select = db.prepare(
    "SELECT data FROM blob_variant_chunks WHERE hash = ? AND encoding = ? AND seq = ?",
  );
  let seq = 0;
  return {
    size: row.size,
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = select.get(hash, encoding, seq++) as { data: Uint8Array } | undefined;
        // A copy, as in streamBlob: V8 then sees the memory and frees it soon.
        if (chunk) controller.enqueue(chunk.data.slice());
        else controller.close();
      },
    }),
  };
}

/** Blobs waiting for the background compressor (at most `limit`). */
export function pendingCompression(
  db: Connection,
  limit: number,
): { hash: string; size: number }[] {
  return db.prepare(
    "SELECT hash, size FROM blobs WHERE compress_pending = 1 LIMIT ?",
  ).all(limit) as { hash: string; size: number }[];
}

/** Stores one chunk of a large encoding, before {@linkcode finishCompression} publishes it. */
export function putVariantChunk(
  db: Connection,
  hash: string,
  encoding: Encoding,
  seq: number,
  data: Uint8Array,
): void {
  db.prepare(
    "INSERT OR REPLACE INTO blob_variant_chunks (hash, encoding, seq, data) VALUES (?, ?, ?, ?)",
  ).run(hash, encoding, seq, data);
}

/** One encoding the compressor kept: inline bytes, or the total size of stored chunks. */
export type FinishedVariant =
  | { encoding: Encoding; data: Uint8Array }
  | { encoding: Encoding; chunkedSize: number };

/**
 * Publishes a blob's encodings and clears its mark, inside the caller's
 * write transaction; chunks of encodings not kept are deleted. Does nothing
 * when the blob was deleted meanwhile.
 */
export function finishCompression(
  db: Connection,
  hash: string,
  variants: readonly FinishedVariant[],
): void {
  const blob = db.prepare("UPDATE blobs SET compress_pending = 0 WHERE hash = ?").run(hash);
  if (Number(blob.changes) === 0) return;
  const insert = db.prepare(
    "INSERT OR REPLACE INTO blob_variants (hash, encoding, data, size) VALUES (?, ?, ?, ?)",
  );
  for (const v of variants) {
    if ("data" in v) insert.run(hash, v.encoding, v.data, null);
    else insert.run(hash, v.encoding, new Uint8Array(0), v.chunkedSize);
  }
  const chunked = variants.filter((v) => "chunkedSize" in v).map((v) => v.encoding);
  db.prepare(
    `DELETE FROM blob_variant_chunks WHERE hash = ? AND encoding NOT IN (${
      chunked.map(() => "?").join(", ") || "''"
    })`,
  ).run(hash, ...chunked);
}

/**
 * Deletes chunks of encodings never published (a compression cut short by
 * a crash or a shutdown); runs inside the caller's write transaction.
 */
export function dropUnpublishedVariantChunks(db: Connection): number {
  return Number(
    db.prepare(
      `DELETE FROM blob_variant_chunks WHERE NOT EXISTS (SELECT 1 FROM blob_variants v
       WHERE v.hash = blob_variant_chunks.hash AND v.encoding = blob_variant_chunks.encoding)`,
    ).run().changes,
  );
}

/**
 * Streams bytes `start..end` (inclusive) of a blob, one chunk per pull and
 * only when the reader asks (no read-ahead), so memory stays at about one
 * chunk whatever the file size. `released` hears the size of each piece
 * handed out (a `GcNudge`, `kernel/core/gc_nudge.ts`, frees them sooner).
 */
export function streamBlob(
  db: Connection,
  hash: string,
  start: number,
  end: number,
  released?: (bytes: number) => void,
): ReadableStream<Uint8Array> {
  const select = db.prepare("SELECT data FROM blob_chunks WHERE hash = ? AND seq = ?");
  let pos = start;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pos > end) {
        controller.close();
        return;
      }
      const seq = Math.floor(pos / CHUNK_SIZE);
      const row = select.get(hash, seq) as { data: Uint8Array } | undefined;
      if (!row) {
        controller.error(new Error(`Blob ${hash} is missing chunk ${seq}.`));
        return;
      }
      const from = pos - seq * CHUNK_SIZE;
      const to = Math.min(row.data.length, end - seq * CHUNK_SIZE + 1);
      // A copy, on purpose: node:sqlite allocates row buffers outside V8's
      // view, so dead 1 MB chunks never trigger a young-generation GC and a
      // few fast downloads pile up hundreds of MB until a full GC. A buffer
      // V8 allocates itself counts, and its scavenge frees both.
      controller.enqueue(row.data.slice(from, to));
      pos += to - from;
      released?.(row.data.length + (to - from));
    },
  }, { highWaterMark: 0 });
}

/**
 * Deletes the given blobs when no version references them any more. Runs
 * inside the caller's write transaction.
 */
export function deleteUnreferencedBlobs(db: Connection, hashes: Iterable<string>): number {
  const del = db.prepare(
    "DELETE FROM blobs WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM version_files WHERE hash = ?)",
  );
  let n = 0;
  for (const h of new Set(hashes)) n += Number(del.run(h, h).changes);
  return n;
}
