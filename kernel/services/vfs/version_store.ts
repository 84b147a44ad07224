/**
 * Immutable app versions: a version is a manifest plus a list of
 * path → blob pointers. Versions never change once written; going live is a
 * pointer update on the app row, done in the same transaction as the
 * version's creation, so readers see the old file set or the new one.
 *
 * @module
 */
import type { Connection } from "../../store/database.ts";
import { deleteUnreferencedBlobs } from "./content_store.ts";

/** One file of a version. */
export interface VersionFile {
  /** Relative path, `/`-separated, no leading slash. */
  path: string;
  /** SHA-256 hex of the content. */
  hash: string;
  /** Size in bytes. */
  size: number;
  /** When this content first appeared at this path (ms since epoch). */
  modifiedAt: number;
}

/** A version row. */
export interface VersionRecord {
  /** Global version ID. */
  id: number;
  /** The app it belongs to. */
  appId: string;
  /** Per-app sequence number, starting at 1. */
  number: number;
  /** Creation time (ms since epoch). */
  createdAt: number;
  /** The validated `app.json` (empty object when absent). */
  manifest: Record<string, unknown>;
  /** Number of files. */
  fileCount: number;
  /** Sum of file sizes. */
  totalBytes: number;
}

interface VersionRow {
  id: number;
  app_id: string;
  number: number;
  created_at: number;
  manifest: string;
  file_count: number;
  total_bytes: number;
}

function toRecord(r: VersionRow): VersionRecord {
  return {
    id: r.id,
    appId: r.app_id,
    number: r.number,
    createdAt: r.created_at,
    manifest: JSON.parse(r.manifest),
    fileCount: r.file_count,
    totalBytes: r.total_bytes,
  };
}

/** What {@linkcode createVersion} needs. */
export interface NewVersion {
  /** The app the version belongs to. */
  appId: string;
  /** The validated manifest. */
  manifest: Record<string, unknown>;
  /** The files; every hash must already be stored. */
  files: readonly { path: string; hash: string; size: number }[];
  /** Creation time. */
  now: number;
}

/**
 * Creates a version (inside the caller's write transaction). A file keeps
 * the modification time it had in the app's current live version when its
 * content is unchanged, so `Last-Modified` survives redeploys.
 */
export function createVersion(db: Connection, v: NewVersion): VersionRecord {
  const previous = new Map<string, { hash: string; modified_at: number }>();
  const live = db.prepare("SELECT live_version_id AS id FROM apps WHERE id = ?").get(v.appId) as
    | { id: number | null }
    | undefined;
  if (live?.id) {
    const rows = db.prepare(
      "SELECT path, hash, modified_at FROM version_files WHERE version_id = ?",
    ).all(live.id) as { path: string; hash: string; modified_at: number }[];
    for (const r of rows) previous.set(r.path, r);
  }
  const next = db.prepare(
    "SELECT coalesce(max(number), 0) + 1 AS n FROM versions WHERE app_id = ?",
  ).get(v.appId) as { n: number };
  const totalBytes = v.files.reduce((n, f) => n + f.size, 0);
  const row = db.prepare(
    `INSERT INTO versions (app_id, number, created_at, manifest, file_count, total_bytes)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    v.appId,
    next.n,
    v.now,
    JSON.stringify(v.manifest),
    v.files.length,
    totalBytes,
  ) as unknown as VersionRow;
  const insert = db.prepare(
    "INSERT INTO version_files (version_id, path, hash, size, modified_at) VALUES (?, ?, ?, ?, ?)",
  );
  for (const f of v.files) {
    const prev = previous.get(f.path);
    insert.run(row.id, f.path, f.hash, f.size, prev?.hash === f.hash ? prev.modified_at : v.now);
  }
  return toRecord(row);
}

/** Points an app at a version (inside the caller's write transaction). */
export function setLiveVersion(
  db: Connection,
  appId: string,
  versionId: number,
  now: number,
): void {
  db.prepare("UPDATE apps SET live_version_id = ?, updated_at = ? WHERE id = ?").run(
    versionId,
    now,
    appId,
  );
}

/** Reads one version by ID. */
export function getVersion(db: Connection, id: number): VersionRecord | undefined {
  const row = db.prepare("SELECT * FROM versions WHERE id = ?").get(id) as unknown as
    | VersionRow
    | undefined;
  return row ? toRecord(row) : undefined;
}

/** All versions of an app, newest first. */
export function listVersions(db: Connection, appId: string): VersionRecord[] {
  return (db.prepare("SELECT * FROM versions WHERE app_id = ? ORDER BY number DESC").all(
    appId,
  ) as unknown as VersionRow[]).map(toRecord);
}

/** The files of a version, sorted by path. */
export function versionFiles(db: Connection, versionId: number): VersionFile[] {
  return (db.prepare(
    "SELECT path, hash, size, modified_at FROM version_files WHERE version_id = ? ORDER BY path",
  ).all(versionId) as { path: string; hash: string; size: number; modified_at: number }[]).map((
    r,
  ) => ({ path: r.path, hash: r.hash, size: r.size, modifiedAt: r.modified_at }));
}

/**
 * Deletes versions beyond the newest `keep + 1` (the live one plus `keep`
 * previous), never the live version, then the blobs nothing references any
 * more. Runs inside the caller's write transaction.
 */
export function pruneVersions(db: Connection, appId: string, keep: number): number {
  const live = db.prepare("SELECT live_version_id AS id FROM apps WHERE id = ?").get(appId) as {
    id: number | null;
  };
  const doomed = (db.prepare(
    `SELECT id FROM versions WHERE app_id = ? AND id IS NOT ?
     ORDER BY number DESC LIMIT -1 OFFSET ?`,
  ).all(appId, live.id, keep) as { id: number }[]).map((r) => r.id);
  return deleteVersions(db, doomed);
}

/** Deletes the given versions and then the blobs only they referenced. */
export function deleteVersions(db: Connection, ids: readonly number[]): number {
  const hashes: string[] = [];
  const filesOf = db.prepare("SELECT hash FROM version_files WHERE version_id = ?");
  const del = db.prepare("DELETE FROM versions WHERE id = ?");
  for (const id of ids) {
    for (const r of filesOf.all(id) as { hash: string }[]) hashes.push(r.hash);
    del.run(id);
  }
  deleteUnreferencedBlobs(db, hashes);
  return ids.length;
}
