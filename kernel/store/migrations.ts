/**
 * Versioned, append-only schema migrations. Each runs in its own
 * transaction together with the row that records it, so a crash leaves the
 * schema either before or after a migration, never half-way.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { FaztError } from "../core/errors.ts";

/** One schema change. Versions are consecutive integers starting at 1. */
export interface Migration {
  /** The version this migration brings the schema to. */
  version: number;
  /** A short name, recorded with the version. */
  name: string;
  /** The SQL to run. */
  sql: string;
}

/**
 * Applies every migration newer than the recorded schema version and
 * returns the resulting version. Running it again changes nothing.
 */
export function applyMigrations(db: DatabaseSync, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration "${m.name}" has version ${m.version}; expected ${i + 1}.`);
    }
  });
  const row = db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
    v: number | null;
  };
  let current = row.v ?? 0;
  if (current > migrations.length) {
    throw new FaztError(
      "conflict",
      `The database has schema version ${current}, newer than this fazt knows (${migrations.length}): a newer fazt wrote it. Upgrade fazt before using this data folder (or, right after an upgrade, run \`fazt upgrade --rollback\`, which puts the data from before it back).`,
      { details: { schemaVersion: current, known: migrations.length } },
    );
  }
  for (const m of migrations.slice(current)) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
        .run(m.version, m.name, Date.now());
      db.exec("COMMIT");
    } catch (err) {
      // SQLite may already have rolled back (a full disk does): keep the first error.
      if (db.isTransaction) db.exec("ROLLBACK");
      throw err;
    }
    current = m.version;
  }
  return current;
}
