/**
 * The schema of each app's `store.db` (kv, documents, blobs) as an
 * append-only list of migrations. Never edit a released migration: add a
 * new one. The app's own SQL lives in a separate file, `sql.db`, which
 * holds nothing of fazt's.
 *
 * @module
 */
import type { Migration } from "../../store/migrations.ts";

/** Every `store.db` migration, oldest first. */
export const APPDATA_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "kv_docs_blobs",
    sql: `
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX kv_by_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE docs (
        seq INTEGER PRIMARY KEY,
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (collection, id)
      );
      CREATE TABLE blobs (
        path TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        size INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data BLOB NOT NULL
      );
    `,
  },
];
