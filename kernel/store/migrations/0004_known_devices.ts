/**
 * Kernel migration 4: known devices. Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 4. */
export const migration: Migration = {
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
};
