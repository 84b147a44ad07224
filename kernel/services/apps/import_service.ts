/**
 * App import: a `.fazt` archive (`app_archive.ts`) becomes a new app, all
 * or nothing. The upload is spooled to the temp folder and checked in full
 * before anything is written: the zip with the deploy's archive checks
 * (paths, links, sizes, ratios, counts), `fazt-app.json` (format version,
 * schema), every entry listed there and nothing else, each file's size and
 * SHA-256, `app.json`, and each data snapshot (SHA-256, SQLite
 * `integrity_check`, the expected tables) extracted into a staging folder.
 * Then one write transaction creates the app (a new ID, or the archive's
 * with `keepId`), stores the files as version 1 and, last, moves the
 * staged data folder into `<data>/apps/<id>/`; it commits only after that
 * move. A crash before the commit leaves no app (at worst a data folder no
 * app owns, replaced by the next import of that ID); after it, the whole
 * app.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { type AppRecord, insertApp } from "./app_service.ts";
import { appNameProblem } from "../../../apps/app_name.ts";
import {
  type ArchiveFile,
  type ArchiveLimits,
  DEFAULT_ARCHIVE_LIMITS,
  inspectArchive,
} from "../../../apps/archive.ts";
import { fileSource, openEntry, type RandomAccessSource } from "../../../apps/zip_reader.ts";
import type { VersionRecord } from "../vfs/version_store.ts";
import { concatBytes } from "../../core/bytes.ts";
import {
  ARCHIVE_DATA_FILES,
  ARCHIVE_FILES_PREFIX,
  ARCHIVE_MANIFEST_FILE,
  ARCHIVE_MANIFEST_MAX_BYTES,
  archiveError,
  type ArchiveManifest,
  parseArchiveManifest,
} from "./app_archive.ts";
import { checkFiles, checkLogo, readManifest, spool, storeVersion } from "./deploy_service.ts";
import { SQL_DB_FILE, STORE_DB_FILE } from "../appdata/app_data_service.ts";
import { APPDATA_MIGRATIONS } from "../appdata/store_schema.ts";

/** Options for {@linkcode createImportService}. */
export interface ImportServiceOptions {
  /** The kernel database. */
  db: Database;
  /** The data folder (app data goes under `apps/<id>/`). */
  dataDir: string;
  /** A folder for spooling and staging (same volume as the data). */
  tmpDir: string;
  /** The largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** How many versions to keep (an import creates one). */
  keepVersions: number;
  /** Limits on the archive's contents. */
  archiveLimits?: ArchiveLimits;
  /** Called after every committed import. */
  onChange: () => void;
  /** The disk breaker: imports are refused while it is tripped. */
  disk?: { assertWritable(what: string): void; refresh(): Promise<void> };
  /** Clock, for tests. */
  now?: () => number;
}

/** What an import needs. */
export interface ImportInput {
  /** The `.fazt` archive. */
  archive: ReadableStream<Uint8Array>;
  /** The new app's name (default: the name in the archive). */
  name?: string;
  /** Keep the exported app's ID (`conflict` when an app here has it). */
  keepId?: boolean;
}

/** What an import did. */
export interface ImportResult {
  /** The new app. */
  app: AppRecord;
  /** Its version 1, live. */
  version: VersionRecord;
  /** The app's ID where it was exported. */
  sourceId: string;
  /** True when the archive's data was installed. */
  withData: boolean;
}

/** Imports `.fazt` archives. */
export interface ImportService {
  /** Checks the whole archive, then creates the app with its files and data in one step. */
  importApp(input: ImportInput): Promise<ImportResult>;
}

const DATA_TARGETS: Record<(typeof ARCHIVE_DATA_FILES)[number], string> = {
  "data/store.db": STORE_DB_FILE,
  "data/sql.db": SQL_DB_FILE,
};

/** Creates the import service. */
export function createImportService(options: ImportServiceOptions): ImportService {
  const { db } = options;
  const now = options.now ?? Date.now;
  const limits = options.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;

  async function importApp(input: ImportInput): Promise<ImportResult> {
    try {
      options.disk?.assertWritable("Import");
      if (input.name !== undefined) {
        const problem = appNameProblem(input.name);
        if (problem) throw problem;
      }
    } catch (err) {
      await input.archive.cancel();
      throw err;
    }
    await Deno.mkdir(options.tmpDir, { recursive: true });
    const work = await Deno.makeTempDir({ dir: options.tmpDir, prefix: "import-" });
    const file = await Deno.open(join(work, "upload.fazt"), {
      create: true,
      read: true,
      write: true,
    });
    try {
      const size = await spool(input.archive, file, options.maxUploadBytes);
      const src = fileSource(file, size);
      // Data snapshots may be as large as the upload; files keep the deploy's limits.
      const entries = await inspectArchive(src, {
        ...limits,
        maxFileBytes: Math.max(limits.maxFileBytes, options.maxUploadBytes),
        maxTotalBytes: limits.maxTotalBytes + options.maxUploadBytes,
      });
      const manifest = await readArchiveManifest(src, entries);
      const { files, data } = matchEntries(manifest, entries);
      checkFileLimits(files, limits);
      const checked = await checkFiles(src, files);
      for (const c of checked) {
        const listed = manifest.files.find((f) => f.path === c.file.path)!;
        if (listed.sha256 !== c.hash) {
          throw archiveError(
            "hash_mismatch",
            `The file "${c.file.path}" does not match its SHA-256 in ${ARCHIVE_MANIFEST_FILE}; the archive is damaged or was changed.`,
            { entry: c.file.path },
          );
        }
      }
      const appManifest = readManifest(checked);
      checkLogo(checked);
      const staged = join(work, "data");
      await Deno.mkdir(staged, { mode: 0o700 });
      for (const d of data) {
        await stageDatabase(
          src,
          d,
          manifest,
          join(staged, DATA_TARGETS[d.path as keyof typeof DATA_TARGETS]),
        );
      }
      const name = input.name ?? manifest.app.name;
      const problem = appNameProblem(name);
      if (problem) throw problem;
      const result = await db.write(async (w) => {
        const t = now();
        const app = insertApp(w, name, t, input.keepId ? manifest.app.id : undefined);
        const stored = await storeVersion(w, {
          app,
          src,
          checked,
          manifest: appManifest,
          now: t,
          keepVersions: options.keepVersions,
        });
        if (data.length > 0) await installData(staged, join(options.dataDir, "apps", app.id));
        return stored;
      });
      options.onChange();
      options.disk?.refresh().catch(() => {});
      return {
        app: result.app,
        version: result.version,
        sourceId: manifest.app.id,
        withData: data.length > 0,
      };
    } finally {
      file.close();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  }

  return { importApp };
}

/** The deploy's size limits, for the version's files. */
function checkFileLimits(files: ArchiveFile[], limits: ArchiveLimits): void {
  let total = 0;
  for (const f of files) {
    total += f.size;
    if (f.size > limits.maxFileBytes) {
      throw new FaztError(
        "payload_too_large",
        `The file "${f.path}" is larger than ${limits.maxFileBytes} bytes, the most one file of an app may have.`,
        { details: { reason: "file_too_large", entry: f.path, limit: limits.maxFileBytes } },
      );
    }
  }
  if (total > limits.maxTotalBytes) {
    throw new FaztError(
      "payload_too_large",
      `The app's files add up to more than ${limits.maxTotalBytes} bytes, the most one version may have.`,
      { details: { reason: "total_too_large", limit: limits.maxTotalBytes } },
    );
  }
}

async function readEntry(src: RandomAccessSource, f: ArchiveFile): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of openEntry(src, f.entry)) parts.push(chunk);
  return concatBytes(parts, f.size);
}

async function readArchiveManifest(
  src: RandomAccessSource,
  entries: ArchiveFile[],
): Promise<ArchiveManifest> {
  const entry = entries.find((e) => e.path === ARCHIVE_MANIFEST_FILE);
  if (!entry) {
    throw archiveError(
      "not_fazt_archive",
      `The archive has no ${ARCHIVE_MANIFEST_FILE}, so it is not a fazt app archive. Export the app with \`fazt app export\` (to deploy a folder's zip, use \`fazt app add\`).`,
    );
  }
  if (entry.size > ARCHIVE_MANIFEST_MAX_BYTES) {
    throw new FaztError(
      "payload_too_large",
      `${ARCHIVE_MANIFEST_FILE} is larger than ${ARCHIVE_MANIFEST_MAX_BYTES} bytes.`,
      { details: { reason: "file_too_large", entry: ARCHIVE_MANIFEST_FILE } },
    );
  }
  return parseArchiveManifest(await readEntry(src, entry));
}

/**
 * Pairs the zip's entries with `fazt-app.json`: every listed file and data
 * snapshot present with its listed size, and nothing else in the zip.
 * Returns the files (with their paths inside the version) and the data
 * entries.
 */
function matchEntries(
  manifest: ArchiveManifest,
  entries: ArchiveFile[],
): { files: ArchiveFile[]; data: ArchiveFile[] } {
  const listed = new Map<string, number>();
  for (const f of manifest.files) listed.set(ARCHIVE_FILES_PREFIX + f.path, f.size);
  for (const d of manifest.data) listed.set(d.path, d.size);
  if (listed.size !== manifest.files.length + manifest.data.length) {
    throw archiveError("bad_manifest", `${ARCHIVE_MANIFEST_FILE} lists a file twice.`);
  }
  if (!manifest.withData && manifest.data.length > 0) {
    throw archiveError(
      "bad_manifest",
      `${ARCHIVE_MANIFEST_FILE} lists data but says withData is false.`,
    );
  }
  const files: ArchiveFile[] = [];
  const data: ArchiveFile[] = [];
  const found = new Set<string>();
  for (const e of entries) {
    if (e.path === ARCHIVE_MANIFEST_FILE) continue;
    const size = listed.get(e.path);
    if (size === undefined) {
      throw archiveError(
        "unexpected_entry",
        `The archive holds "${e.path}", which ${ARCHIVE_MANIFEST_FILE} does not list.`,
        { entry: e.path },
      );
    }
    if (size !== e.size) {
      throw archiveError(
        "size_mismatch",
        `"${e.path}" is ${e.size} bytes but ${ARCHIVE_MANIFEST_FILE} says ${size}.`,
        { entry: e.path },
      );
    }
    found.add(e.path);
    if (e.path.startsWith(ARCHIVE_FILES_PREFIX)) {
      files.push({ ...e, path: e.path.slice(ARCHIVE_FILES_PREFIX.length) });
    } else data.push(e);
  }
  for (const path of listed.keys()) {
    if (!found.has(path)) {
      throw archiveError(
        "missing_entry",
        `${ARCHIVE_MANIFEST_FILE} lists "${path}", which the archive does not hold.`,
        { entry: path },
      );
    }
  }
  return { files, data };
}

/**
 * Extracts a data snapshot to `target`, checking its SHA-256, that SQLite
 * finds it intact, and (for `store.db`) that it has fazt's tables at a
 * schema version this fazt knows.
 */
async function stageDatabase(
  src: RandomAccessSource,
  entry: ArchiveFile,
  manifest: ArchiveManifest,
  target: string,
): Promise<void> {
  const hasher = createHash("sha256");
  const out = await Deno.open(target, { create: true, write: true, mode: 0o600 });
  try {
    for await (const chunk of openEntry(src, entry.entry)) {
      hasher.update(chunk);
      let written = 0;
      while (written < chunk.length) written += await out.write(chunk.subarray(written));
    }
    await out.sync();
  } finally {
    out.close();
  }
  const expected = manifest.data.find((d) => d.path === entry.path)!.sha256;
  if (hasher.digest("hex") !== expected) {
    throw archiveError(
      "hash_mismatch",
      `"${entry.path}" does not match its SHA-256 in ${ARCHIVE_MANIFEST_FILE}; the archive is damaged or was changed.`,
      { entry: entry.path },
    );
  }
  const bad = (why: string) =>
    archiveError("corrupt_database", `"${entry.path}" is not a usable database: ${why}.`, {
      entry: entry.path,
    });
  let conn: DatabaseSync;
  try {
    conn = new DatabaseSync(target, { readOnly: true });
  } catch (err) {
    throw bad((err as Error).message);
  }
  try {
    conn.exec("PRAGMA trusted_schema = OFF");
    const rows = conn.prepare("PRAGMA integrity_check").all() as Record<string, unknown>[];
    const verdict = rows.map((r) => String(Object.values(r)[0])).join("; ");
    if (verdict !== "ok") throw bad(`SQLite's integrity check says ${verdict.slice(0, 200)}`);
    if (entry.path === "data/store.db") {
      const tables = new Set(
        (conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as {
          name: string;
        }[]).map((r) => r.name),
      );
      for (const t of ["kv", "docs", "blobs", "schema_migrations"]) {
        if (!tables.has(t)) throw bad(`it has no "${t}" table`);
      }
      const { v } = conn.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
        v: number | null;
      };
      if (v === null || v > APPDATA_MIGRATIONS.length) {
        throw bad(`its schema version ${v} is not one this fazt knows; upgrade fazt`);
      }
    }
  } catch (err) {
    if (err instanceof FaztError) throw err;
    throw bad((err as Error).message);
  } finally {
    conn.close();
  }
}

/**
 * Moves the staged data folder to the app's data folder. No app owns a
 * folder already there (the app row is new in this transaction): it is the
 * leftover of an import that crashed before its commit, and goes.
 */
async function installData(staged: string, target: string): Promise<void> {
  await Deno.mkdir(join(target, ".."), { recursive: true, mode: 0o700 });
  await Deno.remove(target, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  await Deno.rename(staged, target);
}
