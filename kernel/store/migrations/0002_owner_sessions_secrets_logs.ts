/**
 * Kernel migration 2: owner sessions secrets logs. Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 2. */
export const migration: Migration = {
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
};
