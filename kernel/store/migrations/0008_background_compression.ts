/**
 * Kernel migration 8: compression moves off the deploy. A blob a deploy
 * stores with a compressible type is marked `compress_pending`; the
 * background compressor stores its br and gzip encodings later and clears
 * the mark. Encodings of files over one chunk (1 MiB) are stored in chunks
 * (`blob_variant_chunks`), with their `blob_variants` row holding the total
 * `size` and an empty `data`. Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 8. */
export const migration: Migration = {
  version: 8,
  name: "background_compression",
  sql: `
    ALTER TABLE blobs ADD COLUMN compress_pending INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX blobs_compress_pending ON blobs (hash) WHERE compress_pending = 1;
    ALTER TABLE blob_variants ADD COLUMN size INTEGER;
    CREATE TABLE blob_variant_chunks (
      hash TEXT NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
      encoding TEXT NOT NULL,
      seq INTEGER NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (hash, encoding, seq)
    );
  `,
};
