/**
 * The kernel's schema as an append-only list of migrations. Never edit a
 * released migration: add a new one.
 *
 * @module
 */
import type { Migration } from "./migrations.ts";

/** Every kernel migration, oldest first. */
export const KERNEL_MIGRATIONS: readonly Migration[] = [
  {
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
  },
  {
    version: 2,
    name: "owner_sessions_secrets_logs",
    sql: `
      CREATE TABLE owners (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL REFERENCES owners(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_owner ON sessions (owner_id);
      CREATE TABLE setup_tokens (
        hash TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE app_secrets (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, name)
      );
      CREATE TABLE app_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        level TEXT NOT NULL,
        source TEXT NOT NULL,
        message TEXT NOT NULL,
        request_id TEXT
      );
      CREATE INDEX app_logs_by_app ON app_logs (app_id, id);
    `,
  },
  {
    version: 3,
    name: "app_egress_limits",
    sql: `
      CREATE TABLE app_egress (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        month TEXT NOT NULL,
        served_bytes INTEGER NOT NULL DEFAULT 0,
        fetched_bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (app_id, month)
      ) WITHOUT ROWID;
      CREATE INDEX app_egress_by_month ON app_egress (month);
      CREATE TABLE app_limits (
        app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
        egress_monthly_bytes INTEGER
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "known_devices",
    sql: `
      CREATE TABLE known_devices (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL UNIQUE,
        owner_id TEXT NOT NULL REFERENCES owners(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_ip TEXT NOT NULL
      );
      CREATE INDEX known_devices_by_owner ON known_devices (owner_id, last_used_at);
    `,
  },
  {
    version: 5,
    name: "app_memory_limits",
    sql: `
      ALTER TABLE app_limits ADD COLUMN memory_bytes INTEGER;
    `,
  },
];
