/**
 * Apps: stable IDs with names pointing at them. Everything here works on
 * IDs; a name (or ID) given by a user is resolved once at the edge with
 * {@linkcode AppService.resolve}. Renames touch only the name, so files,
 * versions, data and logs (all keyed by ID) stay put.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { assertAppName } from "../../../apps/app_name.ts";
import { LOGO_FILE, LOGO_MAX_BYTES, logoProblem } from "../../../apps/logo.ts";
import { APP_ID_PATTERN, newAppId } from "./app_id.ts";
import {
  deleteVersions,
  getVersion,
  listVersions,
  setLiveVersion,
  type VersionFile,
  versionFiles,
  type VersionRecord,
} from "../vfs/version_store.ts";
import { readBlob } from "../vfs/content_store.ts";
import type { Connection } from "../../store/database.ts";

/** An app row. */
export interface AppRecord {
  /** Stable ID, e.g. `app_k3j5x7q2m4n6p8r1`. */
  id: string;
  /** Current name (its subdomain). */
  name: string;
  /** Creation time (ms). */
  createdAt: number;
  /** Last change of name or live version (ms). */
  updatedAt: number;
  /** The live version's ID, or null before the first deploy. */
  liveVersionId: number | null;
}

interface AppRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
  live_version_id: number | null;
}

function toRecord(r: AppRow): AppRecord {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    liveVersionId: r.live_version_id,
  };
}

/** Finds an app by ID or name on any connection. */
export function findApp(db: Connection, ref: string): AppRecord | undefined {
  const row =
    (APP_ID_PATTERN.test(ref)
      ? db.prepare("SELECT * FROM apps WHERE id = ?").get(ref)
      : db.prepare("SELECT * FROM apps WHERE name = ?").get(ref.toLowerCase())) as unknown as
        | AppRow
        | undefined;
  return row ? toRecord(row) : undefined;
}

/**
 * Throws `conflict` when `label` is already an app's name or a route
 * (inside a write transaction, so the check and the write are atomic).
 */
export function assertLabelFree(db: Connection, label: string, exceptAppId?: string): void {
  const app = db.prepare("SELECT id FROM apps WHERE name = ?").get(label) as
    | { id: string }
    | undefined;
  const route = db.prepare("SELECT app_id FROM routes WHERE host = ?").get(label) as
    | { app_id: string }
    | undefined;
  if ((app && app.id !== exceptAppId) || route) {
    throw new FaztError(
      "conflict",
      `The name "${label}" is already taken${
        route ? " by an alias" : ""
      }. Choose another name, or remove the other app first.`,
      { details: { name: label } },
    );
  }
}

/**
 * Inserts a new app row (inside the caller's write transaction), with a new
 * random ID or the given one (`conflict` when an app has it).
 */
export function insertApp(
  db: Connection,
  name: string,
  now: number,
  id: string = newAppId(),
): AppRecord {
  assertAppName(name);
  if (findApp(db, id)) {
    throw new FaztError(
      "conflict",
      `An app with the ID "${id}" already exists here. Import it with a new ID instead, or delete that app first.`,
      { details: { id } },
    );
  }
  assertLabelFree(db, name);
  const row = db.prepare(
    "INSERT INTO apps (id, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING *",
  ).get(id, name, now, now) as unknown as AppRow;
  return toRecord(row);
}

/** Options for {@linkcode createAppService}. */
export interface AppServiceOptions {
  /** The kernel database. */
  db: Database;
  /** Called after every committed change to apps, versions or routes. */
  onChange: () => void;
  /** Clock, for tests. */
  now?: () => number;
}

/** App lifecycle operations. */
export interface AppService {
  /** The app with this ID or name, or `not_found`. */
  resolve(ref: string): AppRecord;
  /** Every app, by name. */
  list(): AppRecord[];
  /** Creates an app with no version yet. */
  create(name: string): Promise<AppRecord>;
  /** Renames an app; ID, files, data and logs stay. */
  rename(ref: string, name: string): Promise<AppRecord>;
  /** Deletes an app with all its versions; unreferenced blobs go too. */
  remove(ref: string): Promise<AppRecord>;
  /**
   * Makes an earlier version live: the given version number, or else the
   * newest version older than the live one.
   */
  rollback(ref: string, to?: number): Promise<VersionRecord>;
  /** An app's versions, newest first. */
  versions(ref: string): VersionRecord[];
  /** An app's live version, if any. */
  liveVersion(app: AppRecord): VersionRecord | undefined;
  /** True when a version has a file at `path`. */
  hasFile(versionId: number, path: string): boolean;
  /** The files of an app's live version, or of version number `version`. */
  files(ref: string, version?: number): VersionFile[];
  /** Reads one file of an app's live (or given) version, up to `maxBytes`. */
  readFile(ref: string, path: string, version: number | undefined, maxBytes: number): {
    path: string;
    bytes: Uint8Array;
  };
  /**
   * The live version's `logo.svg`, checked again as deploys check it (a
   * version stored before the check may hold anything): `not_found` when
   * there is none, `forbidden` when it is not a plain drawing.
   */
  logo(ref: string): Uint8Array;
}

/** Creates the app service. */
export function createAppService(options: AppServiceOptions): AppService {
  const { db, onChange } = options;
  const now = options.now ?? Date.now;

  function resolveOn(conn: Connection, ref: string): AppRecord {
    const app = findApp(conn, ref);
    if (!app) {
      throw new FaztError(
        "not_found",
        `No app has the name or ID "${ref}". Run \`fazt app list\` to see your apps.`,
        { details: { app: ref } },
      );
    }
    return app;
  }

  function versionOf(ref: string, number: number | undefined): VersionRecord {
    const app = resolveOn(db.read, ref);
    const v = number === undefined
      ? (app.liveVersionId === null ? undefined : getVersion(db.read, app.liveVersionId))
      : listVersions(db.read, app.id).find((x) => x.number === number);
    if (!v) {
      throw new FaztError(
        "not_found",
        number === undefined
          ? `App "${app.name}" has no files yet. Deploy it first.`
          : `App "${app.name}" has no version ${number}. Run \`fazt app versions ${app.name}\`.`,
        { details: { app: app.name, version: number ?? null } },
      );
    }
    return v;
  }

  async function change<T>(fn: (w: Connection) => T): Promise<T> {
    const result = await db.write(fn);
    onChange();
    return result;
  }

  /** One file of an app's live (or given) version, up to `maxBytes`. */
  function readFile(
    ref: string,
    path: string,
    version: number | undefined,
    maxBytes: number,
  ): { path: string; bytes: Uint8Array } {
    const v = versionOf(ref, version);
    // Names are stored in NFC; an exact match wins (older versions may hold NFD names).
    const files = versionFiles(db.read, v.id);
    const nfc = path.normalize("NFC");
    const file = files.find((f) => f.path === path) ?? files.find((f) => f.path === nfc);
    if (!file) {
      throw new FaztError("not_found", `Version ${v.number} has no file "${path}".`, {
        details: { path, version: v.number },
      });
    }
    if (file.size > maxBytes) {
      throw new FaztError(
        "payload_too_large",
        `"${path}" is ${file.size} bytes; files over ${maxBytes} bytes are not returned here. Fetch it over HTTP instead.`,
        { details: { path, limit: maxBytes } },
      );
    }
    return { path, bytes: readBlob(db.read, file.hash) ?? new Uint8Array() };
  }

  return {
    resolve: (ref) => resolveOn(db.read, ref),
    list: () =>
      (db.read.prepare("SELECT * FROM apps ORDER BY name").all() as unknown as AppRow[]).map(
        toRecord,
      ),
    create: (name) => change((w) => insertApp(w, name, now())),
    rename: (ref, name) =>
      change((w) => {
        const app = resolveOn(w, ref);
        assertAppName(name);
        if (app.name === name) return app;
        assertLabelFree(w, name, app.id);
        const row = w.prepare("UPDATE apps SET name = ?, updated_at = ? WHERE id = ? RETURNING *")
          .get(name, now(), app.id) as unknown as AppRow;
        return toRecord(row);
      }),
    remove: (ref) =>
      change((w) => {
        const app = resolveOn(w, ref);
        const ids = (w.prepare("SELECT id FROM versions WHERE app_id = ?").all(app.id) as {
          id: number;
        }[]).map((r) => r.id);
        w.prepare("UPDATE apps SET live_version_id = NULL WHERE id = ?").run(app.id);
        deleteVersions(w, ids);
        w.prepare("DELETE FROM apps WHERE id = ?").run(app.id);
        return app;
      }),
    rollback: (ref, to) =>
      change((w) => {
        const app = resolveOn(w, ref);
        const versions = listVersions(w, app.id);
        const live = versions.find((v) => v.id === app.liveVersionId);
        const target = to === undefined
          ? versions.find((v) => live !== undefined && v.number < live.number)
          : versions.find((v) => v.number === to);
        if (!target) {
          throw new FaztError(
            "not_found",
            to === undefined
              ? `App "${app.name}" has no earlier version to roll back to. Run \`fazt app info ${app.name}\` to see its versions.`
              : `App "${app.name}" has no version ${to}. Run \`fazt app info ${app.name}\` to see its versions.`,
            { details: { app: app.name, version: to ?? null } },
          );
        }
        setLiveVersion(w, app.id, target.id, now());
        return target;
      }),
    versions: (ref) => listVersions(db.read, resolveOn(db.read, ref).id),
    liveVersion: (app) =>
      app.liveVersionId === null ? undefined : getVersion(db.read, app.liveVersionId),
    files: (ref, version) => versionFiles(db.read, versionOf(ref, version).id),
    readFile,
    logo(ref) {
      const { bytes } = readFile(ref, LOGO_FILE, undefined, LOGO_MAX_BYTES);
      const problem = logoProblem(bytes);
      if (problem) {
        throw new FaztError("forbidden", `The logo is not shown: ${problem}`, {
          details: { reason: "bad_logo" },
        });
      }
      return bytes;
    },
    hasFile: (versionId, path) =>
      db.read.prepare("SELECT 1 FROM version_files WHERE version_id = ? AND path = ?").get(
        versionId,
        path,
      ) !== undefined,
  };
}
