/**
 * Online snapshots of SQLite files, with SQLite's backup API
 * (`node:sqlite` `backup()`) on a connection of their own, read-only.
 * `backup()` runs off the JavaScript thread, so the kernel keeps serving
 * while a large store is copied. With `rate: -1` it copies every page in
 * one step under one read transaction: in WAL mode that is one consistent
 * state (every transaction committed before it began) while writers in
 * this process or another (an app's SQL process) carry on. (With its
 * default rate it restarts whenever another connection writes, and may
 * never finish.)
 *
 * Not `VACUUM INTO`: it attaches the target database, and Deno refuses
 * `ATTACH` in `node:sqlite` unless every permission is granted (`-A`),
 * which fazt never runs with ("too many attached databases - max 0").
 *
 * @module
 */
import { backup, DatabaseSync } from "node:sqlite";

/** Writes a consistent copy of the SQLite database `source` to the new file `target`. */
export async function snapshotDatabase(
  source: string,
  target: string,
  busyTimeoutMs = 30_000,
): Promise<void> {
  const db = new DatabaseSync(source, { readOnly: true, timeout: busyTimeoutMs });
  try {
    await backup(db, target, { rate: -1 });
  } finally {
    db.close();
  }
}
