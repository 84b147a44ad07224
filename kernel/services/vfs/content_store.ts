/**
 * Content-addressed file bodies. A blob is keyed by the SHA-256 of its bytes,
 * so identical files are stored once across versions and apps. Bodies are
 * split into fixed-size chunks, which lets large files stream (and serve
 * byte ranges) without ever sitting whole in memory. Precompressed
 * encodings of small compressible files sit beside their blob.
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
  /** Precompressed encodings to keep with the blob. */
  variants?: Partial<Record<Encoding, Uint8Array>>;
}

/**
 * Stores a blob inside the caller's write transaction, re-chunking the body.
 * The caller has verified the hash; a size mismatch is a programming error.
 */
export async function putBlob(db: Connection, input: BlobInput, now: number): Promise<void> {
  db.prepare("INSERT INTO blobs (hash, size, chunk_size, created_at) VALUES (?, ?, ?, ?)")
    .run(input.hash, input.size, CHUNK_SIZE, now);
  const insertChunk = db.prepare("INSERT INTO blob_chunks (hash, seq, data) VALUES (?, ?, ?)");
  let seq = 0;
  let written = 0;
  let buf = new Uint8Array(Math.min(CHUNK_SIZE, Math.max(input.size, 1)));
  let fill = 0;
  for await (const piece of input.body) {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(buf.length - fill, piece.length - offset);
      buf.set(piece.subarray(offset, offset + take), fill);
      fill += take;
      offset += take;
      if (fill === buf.length) {
        insertChunk.run(input.hash, seq++, buf);
        written += fill;
        buf = new Uint8Array(Math.min(CHUNK_SIZE, Math.max(input.size - written, 1)));
        fill = 0;
      }
    }
  }
  if (fill > 0 || input.size === 0) {
    insertChunk.run(input.hash, seq++, buf.subarray(0, fill));
    written += fill;
  }
  if (written !== input.size) {
    throw new Error(`Blob ${input.hash} declared ${input.size} bytes but received ${written}.`);
  }
  const insertVariant = db.prepare(
    "INSERT INTO blob_variants (hash, encoding, data) VALUES (?, ?, ?)",
  );
  for (const [encoding, data] of Object.entries(input.variants ?? {})) {
    if (data) insertVariant.run(input.hash, encoding, data);
  }
}

/** Reads a whole blob into memory. Use for small files only. */
export function readBlob(db: Connection, hash: string): Bytes | undefined {
  const rows = db.prepare("SELECT data FROM blob_chunks WHERE hash = ? ORDER BY seq").all(hash) as {
    data: Bytes;
  }[];
  if (rows.length === 0) return undefined;
  return concatBytes(rows.map((r) => r.data)) as Bytes;
}

/** Reads one precompressed encoding of a blob, if stored. */
export function readVariant(db: Connection, hash: string, encoding: Encoding): Bytes | undefined {
  const row = db.prepare("SELECT data FROM blob_variants WHERE hash = ? AND encoding = ?").get(
    hash,
    encoding,
  ) as { data: Bytes } | undefined;
  return row?.data;
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
