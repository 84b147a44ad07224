/**
 * Kernel migration 1: apps vfs tokens. Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 1. */
export const migration: Migration = {
  version: 1,
  name: "apps_vfs_tokens",
  sql: `
    CREATE TABLE apps (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      live_version_id INTEGER REFERENCES versions(id)
    );
    CREATE TABLE versions (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      number INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      manifest TEXT NOT NULL,
      file_count INTEGER NOT NULL,
      total_bytes INTEGER NOT NULL,
      UNIQUE (app_id, number)
    );
    CREATE TABLE blobs (
      hash TEXT PRIMARY KEY,
      size INTEGER NOT NULL,
      chunk_size INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE blob_chunks (
      hash TEXT NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (hash, seq)
    );
    CREATE TABLE blob_variants (
      hash TEXT NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
      encoding TEXT NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (hash, encoding)
    );
    CREATE TABLE version_files (
      version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      hash TEXT NOT NULL REFERENCES blobs(hash),
      size INTEGER NOT NULL,
      modified_at INTEGER NOT NULL,
      PRIMARY KEY (version_id, path)
    ) WITHOUT ROWID;
    CREATE INDEX version_files_by_hash ON version_files (hash);
    CREATE TABLE routes (
      host TEXT PRIMARY KEY,
      app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX routes_by_app ON routes (app_id);
    CREATE TABLE api_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL,
      apps TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      last_used_at INTEGER,
      revoked_at INTEGER
    );
    CREATE TABLE app_traffic (
      app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      hour INTEGER NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      bytes_out INTEGER NOT NULL DEFAULT 0,
      s2xx INTEGER NOT NULL DEFAULT 0,
      s3xx INTEGER NOT NULL DEFAULT 0,
      s4xx INTEGER NOT NULL DEFAULT 0,
      s5xx INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (app_id, hour)
    ) WITHOUT ROWID;
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};
