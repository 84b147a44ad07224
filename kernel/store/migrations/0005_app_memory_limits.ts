/**
 * Kernel migration 5: app memory limits. Released: never edit it; add a new migration.
 *
 * @module
 */
import type { Migration } from "../migrations.ts";

/** Migration 5. */
export const migration: Migration = {
  version: 5,
  name: "app_memory_limits",
  sql: `
    ALTER TABLE app_limits ADD COLUMN memory_bytes INTEGER;
  `,
};
