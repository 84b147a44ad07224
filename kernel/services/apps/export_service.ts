/**
 * App export: the live version of an app (and, when asked, snapshots of its
 * data) as a `.fazt` archive (`app_archive.ts`), streamed as it is zipped.
 * Files are read from a dedicated read transaction on the kernel database,
 * so a deploy or a prune committed meanwhile cannot change what is sent;
 * data files are copied with SQLite's online backup through a read-only
 * connection, which never blocks the app's writers (WAL), into the temp
 * folder first (their SHA-256 goes into `fazt-app.json`, which comes first).
 * Secrets live in the kernel database and are never read here.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { backup, DatabaseSync } from "node:sqlite";
import type { Zip } from "fflate";
import { FaztError } from "../../core/errors.ts";
import { VERSION } from "../../core/version.ts";
import { findApp } from "./app_service.ts";
import { getVersion, versionFiles } from "../vfs/version_store.ts";
import { streamBlob } from "../vfs/content_store.ts";
import { contentTypeFor, isCompressible } from "../vfs/content_type.ts";
import {
  ARCHIVE_DATA_FILES,
  ARCHIVE_FILES_PREFIX,
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  ARCHIVE_MANIFEST_FILE,
  type ArchiveManifest,
} from "./app_archive.ts";
import { SQL_DB_FILE, STORE_DB_FILE } from "../appdata/app_data_service.ts";

/** Options for {@linkcode createExportService}. */
export interface ExportServiceOptions {
  /** The kernel database file (opened read-only once per export). */
  kernelDbPath: string;
  /** The data folder (app data is under `apps/<id>/`). */
  dataDir: string;
  /** A folder for the data snapshots (same volume as the data). */
  tmpDir: string;
  /** Clock, for tests. */
  now?: () => number;
}

/** An export under way. */
export interface AppExport {
  /** A file name for the archive, e.g. `blog.fazt`. */
  filename: string;
  /** The archive's bytes, produced as they are read. */
  stream: ReadableStream<Uint8Array>;
  /** What `fazt-app.json` says. */
  manifest: ArchiveManifest;
}

/** Exports apps. */
export interface ExportService {
  /** Starts streaming the archive of the app named `ref` (`not_found` without a live version). */
  exportApp(ref: string, options: { withData: boolean }): Promise<AppExport>;
}

/**
 * Entries from this size up are stored uncompressed: the import's zip-bomb
 * check refuses entries of 1 MiB or more that inflate over 200:1, which a
 * file of zeros (or a database of empty pages) would.
 */
const DEFLATE_MAX_BYTES = 1024 * 1024;

const DATA_SOURCES: Record<(typeof ARCHIVE_DATA_FILES)[number], string> = {
  "data/store.db": STORE_DB_FILE,
  "data/sql.db": SQL_DB_FILE,
};

/** Creates the export service. */
export function createExportService(options: ExportServiceOptions): ExportService {
  const now = options.now ?? Date.now;

  async function exportApp(ref: string, { withData }: { withData: boolean }): Promise<AppExport> {
    const conn = new DatabaseSync(options.kernelDbPath, { readOnly: true });
    let handedOver = false;
    let workDir: string | undefined;
    try {
      conn.exec("BEGIN");
      const app = findApp(conn, ref);
      if (!app) {
        throw new FaztError(
          "not_found",
          `No app has the name or ID "${ref}". Run \`fazt app list\` to see your apps.`,
          { details: { app: ref } },
        );
      }
      const live = app.liveVersionId === null ? undefined : getVersion(conn, app.liveVersionId);
      if (!live) {
        throw new FaztError("not_found", `App "${app.name}" has no files yet; nothing to export.`, {
          details: { app: app.name },
        });
      }
      const files = versionFiles(conn, live.id);
      const data: ArchiveManifest["data"] = [];
      if (withData) {
        await Deno.mkdir(options.tmpDir, { recursive: true });
        workDir = await Deno.makeTempDir({ dir: options.tmpDir, prefix: "export-" });
        for (const path of ARCHIVE_DATA_FILES) {
          const source = join(options.dataDir, "apps", app.id, DATA_SOURCES[path]);
          const target = join(workDir, DATA_SOURCES[path]);
          if (!await snapshot(source, target)) continue;
          data.push({ path, ...await hashFile(target) });
        }
      }
      const manifest: ArchiveManifest = {
        format: ARCHIVE_FORMAT,
        formatVersion: ARCHIVE_FORMAT_VERSION,
        faztVersion: VERSION,
        exportedAt: new Date(now()).toISOString(),
        withData,
        app: {
          id: app.id,
          name: app.name,
          title: typeof live.manifest.title === "string" ? live.manifest.title : null,
        },
        manifest: live.manifest,
        files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.hash })),
        data,
      };
      const dir = workDir;
      const stream = ReadableStream.from(
        zipEntries(manifest, conn, dir, () => {
          conn.close();
          if (dir) return Deno.remove(dir, { recursive: true }).catch(() => {});
        }),
      );
      handedOver = true;
      return { filename: `${app.name}.fazt`, stream, manifest };
    } finally {
      if (!handedOver) {
        conn.close();
        if (workDir) await Deno.remove(workDir, { recursive: true }).catch(() => {});
      }
    }
  }

  return { exportApp };
}

/**
 * Copies a live SQLite file with SQLite's online backup in one step
 * (`rate: -1`: a stepped backup restarts whenever another connection
 * writes), then turns the copy's journal mode from WAL to a plain rollback
 * journal so that it is one self-contained file. `VACUUM INTO` would be
 * smaller, but Deno refuses the attach it needs without `--allow-all`.
 * False when there is no such file.
 */
async function snapshot(source: string, target: string): Promise<boolean> {
  try {
    await Deno.stat(source);
  } catch {
    return false;
  }
  const db = new DatabaseSync(source, { readOnly: true });
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    await backup(db, target, { rate: -1 });
  } finally {
    db.close();
  }
  const copy = new DatabaseSync(target);
  try {
    copy.exec("PRAGMA journal_mode = DELETE");
  } finally {
    copy.close();
  }
  return true;
}

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hasher = createHash("sha256");
  let size = 0;
  const file = await Deno.open(path);
  for await (const chunk of file.readable) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hasher.digest("hex") };
}

/**
 * The zip, produced entry by entry as the consumer pulls: `fazt-app.json`,
 * the files (small compressible ones deflated), the data snapshots (small
 * ones deflated). `done` runs
 * when the stream ends or is cancelled.
 */
async function* zipEntries(
  manifest: ArchiveManifest,
  conn: DatabaseSync,
  dataDir: string | undefined,
  done: () => Promise<void> | void,
): AsyncGenerator<Uint8Array> {
  try {
    const fflate = await import("fflate");
    const sink: ZipSink = { fflate, out: [], failure: null, zip: undefined! };
    sink.zip = new fflate.Zip((err, chunk) => {
      if (err) sink.failure = err;
      else sink.out.push(chunk);
    });
    const add = (
      name: string,
      compress: boolean,
      chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    ) => addEntry(sink, name, compress, chunks);
    yield* add(ARCHIVE_MANIFEST_FILE, true, [
      new TextEncoder().encode(JSON.stringify(manifest, null, 2)),
    ]);
    for (const f of manifest.files) {
      const chunks = f.size === 0 ? [] : streamBlob(conn, f.sha256, 0, f.size - 1);
      yield* add(
        `${ARCHIVE_FILES_PREFIX}${f.path}`,
        f.size < DEFLATE_MAX_BYTES && isCompressible(contentTypeFor(f.path)),
        chunks,
      );
    }
    for (const d of manifest.data) {
      const file = await Deno.open(join(dataDir!, DATA_SOURCES[d.path]));
      yield* add(d.path, d.size < DEFLATE_MAX_BYTES, file.readable);
    }
    sink.zip.end();
    if (sink.failure) throw sink.failure;
    yield* sink.out.splice(0);
  } finally {
    await done();
  }
}

/** The zip being written and the output it has produced but not yet handed out. */
interface ZipSink {
  fflate: typeof import("fflate");
  zip: Zip;
  out: Uint8Array[];
  failure: Error | null;
}

/** Adds one entry, yielding the zip's output as the entry's chunks go in. */
async function* addEntry(
  sink: ZipSink,
  name: string,
  compress: boolean,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const entry = compress
    ? new sink.fflate.ZipDeflate(name, { level: 6 })
    : new sink.fflate.ZipPassThrough(name);
  sink.zip.add(entry);
  let previous: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (previous) entry.push(previous);
    previous = chunk;
    if (sink.failure) throw sink.failure;
    yield* sink.out.splice(0);
  }
  entry.push(previous ?? new Uint8Array(), true);
  if (sink.failure) throw sink.failure;
  yield* sink.out.splice(0);
}
