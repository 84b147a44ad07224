/**
 * Kernel migration 6: TLS certificates (obtained by ACME or brought by the
 * owner) and ACME accounts. Private keys are sealed (AES-256-GCM under the
 * data folder's secrets key). Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 6. */
export const migration: Migration = {
  version: 6,
  name: "certificates",
  sql: `
    CREATE TABLE certificates (
      id TEXT PRIMARY KEY,
      names TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('acme', 'manual')),
      cert_pem TEXT,
      key_sealed BLOB,
      issuer TEXT,
      not_before INTEGER,
      not_after INTEGER,
      last_error TEXT,
      last_error_at INTEGER,
      retry_at INTEGER,
      failures INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL,
      CHECK ((cert_pem IS NULL) = (key_sealed IS NULL))
    );
    CREATE TABLE acme_accounts (
      directory_url TEXT PRIMARY KEY,
      key_sealed BLOB NOT NULL,
      account_url TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};
