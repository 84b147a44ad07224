/**
 * Deploys: a zip upload becomes an immutable version that goes live in one
 * transaction. The upload is spooled to a temp file and fully validated
 * (every entry inflated, hashed and size-checked) before anything is
 * written, so a bad archive changes nothing; the write transaction then
 * stores only the blobs not already present, records the version, moves the
 * live pointer and prunes old versions. A crash at any point rolls the
 * transaction back and the previous version stays live. Nothing is
 * compressed here: new compressible files are marked for the background
 * compressor (`vfs/variant_compressor.ts`), which the deploy's change wakes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Connection, Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { type AppRecord, findApp, insertApp } from "./app_service.ts";
import { APP_ID_PATTERN } from "./app_id.ts";
import { hasBlob, putBlob } from "../vfs/content_store.ts";
import {
  createVersion,
  pruneVersions,
  setLiveVersion,
  type VersionRecord,
} from "../vfs/version_store.ts";
import { contentTypeFor, isCompressible } from "../vfs/content_type.ts";
import {
  type ArchiveFile,
  type ArchiveLimits,
  DEFAULT_ARCHIVE_LIMITS,
  inspectArchive,
} from "../../../apps/archive.ts";
import { fileSource, openEntry, type RandomAccessSource } from "../../../apps/zip_reader.ts";
import { type AppManifest, parseManifest } from "../../../apps/manifest.ts";
import { appNameProblem } from "../../../apps/app_name.ts";
import { LOGO_FILE, LOGO_MAX_BYTES, logoProblem, logoSizeProblem } from "../../../apps/logo.ts";
import { uploadTooLarge } from "./upload_limit.ts";
import { concatBytes } from "../../core/bytes.ts";

/** Files up to this size are kept in memory between validation and storage. */
const KEEP_FILE_BYTES = 1024 * 1024;
/**
 * At most this many bytes are kept in memory per deploy; the rest is read
 * again from the spooled archive (from the page cache) when stored. A small
 * budget keeps a large deploy from growing the kernel's memory for good:
 * the allocator keeps pages it once held (see docs/BENCHMARKS.md, memory).
 */
const KEEP_TOTAL_BYTES = 4 * 1024 * 1024;
/** Files smaller than this are not worth compressing. */
const COMPRESS_MIN_BYTES = 256;
/** The manifest may not be larger than this. */
const MANIFEST_MAX_BYTES = 64 * 1024;

/** Options for {@linkcode createDeployService}. */
export interface DeployServiceOptions {
  /** The kernel database. */
  db: Database;
  /** A folder for spooling uploads (same volume as the data). */
  tmpDir: string;
  /** How many previous versions to keep per app. */
  keepVersions: number;
  /** The largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** Limits on the archive's contents. */
  archiveLimits?: ArchiveLimits;
  /** Called after every committed deploy. */
  onChange: () => void;
  /** The disk breaker: deploys are refused while it is tripped. */
  disk?: { assertWritable(what: string): void; refresh(): Promise<void> };
  /** Clock, for tests. */
  now?: () => number;
}

/** What a deploy needs. */
export interface DeployInput {
  /** App name or ID; absent means the `name` in `app.json`. A new name creates the app. */
  app?: string;
  /** The zip archive. */
  archive: ReadableStream<Uint8Array>;
}

/** What a deploy did. */
export interface DeployResult {
  /** The app, after the deploy. */
  app: AppRecord;
  /** The version now live. */
  version: VersionRecord;
  /** True when this deploy created the app. */
  created: boolean;
  /** Blobs written by this deploy (the rest were already stored). */
  newBlobs: number;
}

/** Deploys zip archives. */
export interface DeployService {
  /** Validates, stores and makes live one archive. */
  deploy(input: DeployInput): Promise<DeployResult>;
}

/** An archive file read in full once: its SHA-256 and, when small, its bytes. */
export interface CheckedFile {
  /** The entry, with the path it gets in the version. */
  file: ArchiveFile;
  /** SHA-256 of the content (hex). */
  hash: string;
  /** The content, kept in memory for small files. */
  bytes?: Uint8Array;
}

/** What {@linkcode storeVersion} stores. */
export interface NewAppVersion {
  /** The app getting the version. */
  app: AppRecord;
  /** The archive the files are read from. */
  src: RandomAccessSource;
  /** The checked files. */
  checked: CheckedFile[];
  /** The version's `app.json`. */
  manifest: AppManifest;
  /** The time of the change (ms). */
  now: number;
  /** How many earlier versions to keep. */
  keepVersions: number;
}

/**
 * Stores the missing blobs of `v.checked` (re-verifying streamed entries),
 * creates the version, makes it live and prunes older ones; runs inside the
 * caller's write transaction.
 */
export async function storeVersion(
  w: Connection,
  v: NewAppVersion,
): Promise<{ app: AppRecord; version: VersionRecord; newBlobs: number }> {
  let newBlobs = 0;
  const seen = new Set<string>();
  for (const c of v.checked) {
    if (seen.has(c.hash) || hasBlob(w, c.hash)) continue;
    seen.add(c.hash);
    await putBlob(w, {
      hash: c.hash,
      size: c.file.size,
      body: c.bytes ? [c.bytes] : verifiedEntry(v.src, c),
      compress: worthCompressing(c.file),
    }, v.now);
    newBlobs++;
  }
  const version = createVersion(w, {
    appId: v.app.id,
    manifest: v.manifest,
    files: v.checked.map((c) => ({ path: c.file.path, hash: c.hash, size: c.file.size })),
    now: v.now,
  });
  setLiveVersion(w, v.app.id, version.id, v.now);
  pruneVersions(w, v.app.id, v.keepVersions);
  return { app: { ...v.app, liveVersionId: version.id, updatedAt: v.now }, version, newBlobs };
}

/** Creates the deploy service. */
export function createDeployService(options: DeployServiceOptions): DeployService {
  const { db } = options;
  const now = options.now ?? Date.now;
  const limits = options.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;

  async function deploy(input: DeployInput): Promise<DeployResult> {
    try {
      options.disk?.assertWritable("Deploy");
    } catch (err) {
      await input.archive.cancel();
      throw err;
    }
    if (input.app !== undefined && APP_ID_PATTERN.test(input.app) && !findApp(db.read, input.app)) {
      await input.archive.cancel();
      throw new FaztError("not_found", `No app has the ID "${input.app}".`, {
        details: { app: input.app },
      });
    }
    if (input.app !== undefined && !findApp(db.read, input.app)) {
      const problem = appNameProblem(input.app);
      if (problem) {
        await input.archive.cancel();
        throw problem;
      }
    }
    await Deno.mkdir(options.tmpDir, { recursive: true });
    const spoolPath = join(options.tmpDir, `upload-${crypto.randomUUID()}.zip`);
    const file = await Deno.open(spoolPath, { create: true, read: true, write: true });
    try {
      const size = await spool(input.archive, file, options.maxUploadBytes);
      const src = fileSource(file, size);
      const files = await inspectArchive(src, limits);
      const checked = await checkFiles(src, files);
      const manifest = readManifest(checked);
      checkLogo(checked);
      const name = input.app ?? manifest.name;
      if (name === undefined) {
        throw new FaztError(
          "invalid_input",
          'Name the app: pass a name (e.g. `fazt app add ./site --name blog`) or set "name" in app.json.',
        );
      }
      const result = await db.write(async (w) => {
        const t = now();
        let app = findApp(w, name);
        const created = app === undefined;
        if (!app) app = insertApp(w, name, t);
        const stored = await storeVersion(w, {
          app,
          src,
          checked,
          manifest,
          now: t,
          keepVersions: options.keepVersions,
        });
        return { ...stored, created };
      });
      options.onChange();
      options.disk?.refresh().catch(() => {});
      if (size > 16 * 1024 * 1024) await db.checkpoint();
      return result;
    } finally {
      file.close();
      await Deno.remove(spoolPath).catch(() => {});
    }
  }

  return { deploy };
}

/**
 * Writes an upload to `file`, refusing more than `maxBytes`
 * (`payload_too_large`); returns its size.
 */
export async function spool(
  body: ReadableStream<Uint8Array>,
  file: Deno.FsFile,
  maxBytes: number,
): Promise<number> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      throw uploadTooLarge(maxBytes);
    }
    let written = 0;
    while (written < chunk.length) written += await file.write(chunk.subarray(written));
  }
  return size;
}

/** Inflates and hashes every file (sizes and CRCs enforced while streaming). */
export async function checkFiles(
  src: RandomAccessSource,
  files: ArchiveFile[],
): Promise<CheckedFile[]> {
  const out: CheckedFile[] = [];
  let kept = 0;
  for (const file of files) {
    // The manifest and the logo are always kept: they are checked before anything is stored.
    const keep = (file.path === "app.json" && file.size <= MANIFEST_MAX_BYTES) ||
      (file.path === LOGO_FILE && file.size <= LOGO_MAX_BYTES) ||
      (file.size <= KEEP_FILE_BYTES && kept + file.size <= KEEP_TOTAL_BYTES);
    const hasher = createHash("sha256");
    const parts: Uint8Array[] = [];
    for await (const chunk of openEntry(src, file.entry)) {
      hasher.update(chunk);
      if (keep) parts.push(chunk);
    }
    let bytes: Uint8Array | undefined;
    if (keep) {
      bytes = concatBytes(parts, file.size);
      kept += file.size;
    }
    out.push({ file, hash: hasher.digest("hex"), bytes });
  }
  return out;
}

async function* verifiedEntry(src: RandomAccessSource, c: CheckedFile): AsyncIterable<Uint8Array> {
  const hasher = createHash("sha256");
  for await (const chunk of openEntry(src, c.file.entry)) {
    hasher.update(chunk);
    yield chunk;
  }
  if (hasher.digest("hex") !== c.hash) {
    throw new FaztError("invalid_archive", `The entry "${c.file.path}" changed while deploying.`, {
      details: { reason: "corrupt", entry: c.file.path },
    });
  }
}

/** The validated `app.json` among the checked files (`{}` when there is none). */
export function readManifest(checked: CheckedFile[]): AppManifest {
  const entry = checked.find((c) => c.file.path === "app.json");
  if (!entry) return {};
  if (entry.file.size > MANIFEST_MAX_BYTES || !entry.bytes) {
    throw new FaztError(
      "invalid_manifest",
      `app.json is larger than ${MANIFEST_MAX_BYTES} bytes. Keep only the manifest fields in it.`,
      { details: { file: "app.json" } },
    );
  }
  return parseManifest(entry.bytes);
}

/**
 * Refuses a `logo.svg` among the checked files that is too large or not a
 * plain drawing (`invalid_archive`, reason `bad_logo`): the dashboard shows it.
 */
export function checkLogo(checked: CheckedFile[]): void {
  const entry = checked.find((c) => c.file.path === LOGO_FILE);
  if (!entry) return;
  const problem = entry.bytes ? logoProblem(entry.bytes) : logoSizeProblem(entry.file.size);
  if (problem) {
    throw new FaztError("invalid_archive", problem, {
      details: { reason: "bad_logo", entry: LOGO_FILE },
    });
  }
}

/** Whether the background compressor should store encodings of this file. */
export function worthCompressing(file: ArchiveFile): boolean {
  return file.size >= COMPRESS_MIN_BYTES && isCompressible(contentTypeFor(file.path));
}
