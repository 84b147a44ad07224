/**
 * Kernel migration 7: the owner's S3 backup targets, one row per
 * `s3://bucket/prefix` location, with the secret key and session token
 * sealed (AES-256-GCM under the data folder's secrets key, bound to the
 * location). Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 7. */
export const migration: Migration = {
  version: 7,
  name: "backup_targets",
  sql: `
    CREATE TABLE backup_targets (
      location TEXT PRIMARY KEY,
      endpoint TEXT,
      region TEXT NOT NULL,
      access_key_id TEXT NOT NULL,
      secret_sealed BLOB NOT NULL,
      session_token_sealed BLOB,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};
