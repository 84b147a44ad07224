/**
 * Kernel migration 3: app egress limits. Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 3. */
export const migration: Migration = {
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
};
