/**
 * The backup service's contract: consistent online snapshots of
 * everything fazt holds (the kernel store with certificates and tokens,
 * every app's data files, the secrets key) in one archive, taken while the
 * server keeps serving, stored at a {@linkcode BackupTarget}; and the
 * offline restore that verifies an archive and swaps it in. Upgrades take
 * a backup first and restore it when they roll back.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { FaztError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";
import { VERSION } from "../../core/version.ts";
import { KERNEL_DB_FILE } from "../../store/schema.ts";
import { SQL_DB_FILE, STORE_DB_FILE } from "../appdata/app_data_service.ts";
import { APPDATA_MIGRATIONS } from "../appdata/store_schema.ts";
import { APP_ID_PATTERN } from "../apps/app_id.ts";
import { type DiskGuard, volumeUsage } from "../cockpit/disk_guard.ts";
import { SECRET_KEY_FILE } from "../secrets/secret_service.ts";
import type { BackupTarget, StoredBackup } from "./backup_target.ts";
import { removeIfPresent } from "./durable.ts";
import type { FolderTarget } from "./folder_target.ts";
import type { S3TargetOptions } from "./s3_target.ts";
import {
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  backupName,
  MANIFEST_FILE,
  MANIFEST_SUM_FILE,
  type ManifestFile,
} from "./manifest.ts";
import { snapshotDatabase } from "./snapshot.ts";
import { fileChunks, TarWriter } from "./tar.ts";
import { defaultTarget, targetFor } from "./target_for.ts";

/** What one finished backup is. */
export interface BackupRecord {
  /** The archive's name at its target. */
  name: string;
  /** Where it was stored (`BackupTarget.location`). */
  location: string;
  /** Archive size in bytes. */
  bytes: number;
  /** The fazt version and kernel schema version that wrote it. */
  version: string;
  /** The kernel schema version inside. */
  schemaVersion: number;
  /** When the snapshot began (ms): every write acknowledged before this is inside. */
  startedAt: number;
  /** How long it took (ms). */
  durationMs: number;
  /** How many files it holds besides its manifest. */
  files: number;
}

/** How the last backup went, for `system.status`. */
export interface BackupOutcome {
  /** When it began (ms). */
  startedAt: number;
  /** When it ended (ms). */
  finishedAt: number;
  /** True when it was stored. */
  ok: boolean;
  /** The archive's name, when stored. */
  name: string | null;
  /** Its size in bytes, when stored. */
  bytes: number | null;
  /** Where it went. */
  location: string;
  /** Why it failed, when it did. */
  error: string | null;
}

/** What the backup service is doing and did last. */
export interface BackupStatus {
  /** When the backup in progress began (ms), or null. */
  runningSince: number | null;
  /** The last backup that ended (since this kernel started), or null. */
  last: BackupOutcome | null;
}

/** Online backups. */
export interface BackupService {
  /** Snapshots everything into one archive and stores it at `target` (default: the data folder's `backups/`). */
  create(options?: { target?: BackupTarget }): Promise<BackupRecord>;
  /** The backups at `target` (default as above), newest first. */
  list(target?: BackupTarget): Promise<StoredBackup[]>;
  /** Keeps the newest `keep` backups at `target`, deletes the rest; returns those deleted. */
  prune(keep: number, target?: BackupTarget): Promise<StoredBackup[]>;
  /** The target at `location` (a folder's absolute path or an `s3://` URL); the default with none. */
  target(location?: string): BackupTarget;
  /** What it is doing and did last. */
  status(): BackupStatus;
  /** Refuses new backups and stops one in progress (it fails and leaves nothing behind). */
  close(): Promise<void>;
}

/** Options for {@linkcode createBackupService}. */
export interface BackupServiceOptions {
  /** The data folder. */
  dataDir: string;
  /** The disk breaker: a tripped breaker refuses backups that stage on the data volume. */
  disk?: DiskGuard;
  /** Runs before each snapshot (the kernel writes its buffered counters). */
  beforeSnapshot?: () => Promise<void>;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** The fazt version written into archives (default this fazt's). */
  version?: string;
  /** The kernel schema version written into archives. */
  schemaVersion: number;
  /** The saved options of `s3://` locations (see `TargetContext.s3`). */
  s3?: (location: string) => S3TargetOptions;
}

function isFolder(target: BackupTarget): target is FolderTarget {
  return "prepare" in target && "cleanStale" in target;
}

/** One file to snapshot. */
interface Source {
  /** Its path inside the archive. */
  path: string;
  /** Its path on disk. */
  file: string;
  kind: ManifestFile["kind"];
}

async function size(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => null)) !== null;
}

/** Every file a backup holds, as the data folder has them now. */
async function sources(dataDir: string): Promise<Source[]> {
  const out: Source[] = [{
    path: KERNEL_DB_FILE,
    file: join(dataDir, KERNEL_DB_FILE),
    kind: "database",
  }];
  if (await exists(join(dataDir, SECRET_KEY_FILE))) {
    out.push({ path: SECRET_KEY_FILE, file: join(dataDir, SECRET_KEY_FILE), kind: "file" });
  }
  const appsDir = join(dataDir, "apps");
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(appsDir)) {
      if (entry.isDirectory && APP_ID_PATTERN.test(entry.name)) ids.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const id of ids.sort()) {
    for (const name of [STORE_DB_FILE, SQL_DB_FILE]) {
      const file = join(appsDir, id, name);
      if (await exists(file)) out.push({ path: `apps/${id}/${name}`, file, kind: "database" });
    }
  }
  return out;
}

/** Yields `chunks` while feeding them to `hash`. */
async function* hashing(
  chunks: AsyncIterable<Uint8Array>,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Refuses a backup that needs more room than `dir`'s volume has, or that
 * would trip the disk breaker of the data volume.
 */
async function checkSpace(
  dir: string,
  needed: number,
  dataDir: string,
  disk: DiskGuard | undefined,
): Promise<void> {
  const [dirInfo, dataInfo] = await Promise.all([Deno.stat(dir), Deno.stat(dataDir)]);
  const onDataVolume = dirInfo.dev === dataInfo.dev;
  if (onDataVolume) disk?.assertWritable("Backup");
  const hint =
    "Prune old backups (`fazt backup prune --keep N`), free space, or back up to another folder (--to DIR).";
  let volume;
  try {
    volume = await volumeUsage(dir);
  } catch {
    volume = null; // statfs not allowed: only the quota below applies
  }
  if (volume && volume.available < needed) {
    throw new FaztError(
      "insufficient_storage",
      `Backup refused: it needs about ${formatBytes(needed)} free in ${dir}, and only ${
        formatBytes(volume.available)
      } is free. ${hint}`,
      { details: { neededBytes: needed, availableBytes: volume.available } },
    );
  }
  if (!onDataVolume || !disk) return;
  const status = disk.status();
  if (volume) {
    const ratio = (volume.used + needed) / (volume.used + volume.available);
    if (ratio >= status.maxUsedRatio) {
      throw new FaztError(
        "insufficient_storage",
        `Backup refused: its ${formatBytes(needed)} would fill the data volume to ${
          Math.round(ratio * 100)
        }%, past the disk limit of ${
          Math.round(status.maxUsedRatio * 100)
        }% (--disk-limit), and fazt would refuse writes. ${hint}`,
        { details: { neededBytes: needed, ratio, maxUsedRatio: status.maxUsedRatio } },
      );
    }
  }
  const inside = dir === dataDir || dir.startsWith(dataDir + "/");
  if (inside && status.quotaBytes !== null && status.dataBytes + needed >= status.quotaBytes) {
    throw new FaztError(
      "insufficient_storage",
      `Backup refused: its ${formatBytes(needed)} would take the data folder past its ${
        formatBytes(status.quotaBytes)
      } quota (--disk-quota), and fazt would refuse writes. ${hint}`,
      {
        details: {
          neededBytes: needed,
          dataBytes: status.dataBytes,
          quotaBytes: status.quotaBytes,
        },
      },
    );
  }
}

/**
 * Makes the backup service. Backups run one at a time (a second waits for
 * the first); each snapshot begins in a new second, so archive names never
 * collide.
 */
export function createBackupService(options: BackupServiceOptions): BackupService {
  const { dataDir } = options;
  const now = options.now ?? Date.now;
  const version = options.version ?? VERSION;
  const ctx = { dataDir, s3: options.s3 };
  const fallback = defaultTarget(ctx);
  let tail: Promise<unknown> = Promise.resolve();
  let runningSince: number | null = null;
  let last: BackupOutcome | null = null;
  let lastSecond = -1;
  let closed = false;
  const stopping = new AbortController();

  function checkOpen(): void {
    if (closed) throw new FaztError("unavailable", "Backups are stopped; fazt is shutting down.");
  }

  async function run(target: BackupTarget): Promise<BackupRecord> {
    checkOpen();
    while (Math.floor(now() / 1000) <= lastSecond) {
      await new Promise((r) => setTimeout(r, 1000 - (now() % 1000) + 1));
    }
    const startedAt = now();
    lastSecond = Math.floor(startedAt / 1000);
    runningSince = startedAt;
    const staging = target.stagingDir ?? join(dataDir, "tmp");
    let work: string | null = null;
    try {
      await options.beforeSnapshot?.();
      const files = await sources(dataDir);
      let needed = 0;
      let largest = 0;
      for (const f of files) {
        const n = (await size(f.file)) + (await size(`${f.file}-wal`));
        needed += n;
        largest = Math.max(largest, n);
      }
      if (isFolder(target)) await target.prepare();
      else await Deno.mkdir(staging, { recursive: true, mode: 0o700 });
      await checkSpace(staging, needed + largest + 1024 * 1024, dataDir, options.disk);
      work = await Deno.makeTempDir({ dir: staging, prefix: ".fazt-backup-" });
      const archivePath = join(work, "archive.tar");
      const listed: ManifestFile[] = [];
      {
        using archive = await Deno.open(archivePath, { write: true, createNew: true, mode: 0o600 });
        const tar = new TarWriter(archive);
        for (const f of files) {
          checkOpen();
          const hash = createHash("sha256");
          if (f.kind === "file") {
            const data = await Deno.readFile(f.file);
            hash.update(data);
            await tar.addBytes(f.path, data, startedAt);
            listed.push({
              path: f.path,
              kind: f.kind,
              bytes: data.length,
              sha256: hash.digest("hex"),
            });
            continue;
          }
          const snap = join(work, "snapshot.db");
          try {
            await snapshotDatabase(f.file, snap, stopping.signal);
          } catch (err) {
            // An app deleted while the backup ran: its data is gone, not missing.
            if (!closed && !(await exists(f.file))) continue;
            throw err;
          }
          const bytes = await size(snap);
          await tar.add(f.path, bytes, hashing(fileChunks(snap), hash), startedAt);
          await Deno.remove(snap);
          listed.push({ path: f.path, kind: f.kind, bytes, sha256: hash.digest("hex") });
        }
        const manifest: BackupManifest = {
          format: "fazt-backup",
          formatVersion: BACKUP_FORMAT_VERSION,
          version,
          schemaVersion: options.schemaVersion,
          appStoreSchemaVersion: APPDATA_MIGRATIONS.length,
          startedAt,
          finishedAt: now(),
          files: listed,
        };
        const text = new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n");
        await tar.addBytes(MANIFEST_FILE, text, startedAt);
        await tar.addBytes(
          MANIFEST_SUM_FILE,
          new TextEncoder().encode(sha256(text) + "\n"),
          startedAt,
        );
        await tar.finish();
        await archive.sync();
      }
      checkOpen();
      const name = backupName(startedAt, version);
      const bytes = await size(archivePath);
      await target.put(name, archivePath);
      const finishedAt = now();
      last = {
        startedAt,
        finishedAt,
        ok: true,
        name,
        bytes,
        location: target.location,
        error: null,
      };
      return {
        name,
        location: target.location,
        bytes,
        version,
        schemaVersion: options.schemaVersion,
        startedAt,
        durationMs: finishedAt - startedAt,
        files: listed.length,
      };
    } catch (err) {
      last = {
        startedAt,
        finishedAt: now(),
        ok: false,
        name: null,
        bytes: null,
        location: target.location,
        error: err instanceof Error ? err.message : String(err),
      };
      throw err;
    } finally {
      runningSince = null;
      if (work) await removeIfPresent(work).catch(() => {});
    }
  }

  return {
    create(opts = {}) {
      const target = opts.target ?? fallback;
      const next = tail.then(() => run(target), () => run(target));
      tail = next.catch(() => undefined);
      return next;
    },
    list(target = fallback) {
      return target.list();
    },
    async prune(keep, target = fallback) {
      if (!Number.isSafeInteger(keep) || keep < 1) {
        throw new FaztError(
          "invalid_input",
          `Keep must be a whole number of backups, 1 or more (got ${keep}); to delete every backup, delete the files.`,
        );
      }
      if (isFolder(target)) await target.cleanStale();
      const doomed = (await target.list()).slice(keep);
      for (const b of doomed) await target.remove(b.name);
      return doomed;
    },
    target(location) {
      return location === undefined ? fallback : targetFor(location, ctx);
    },
    status() {
      return { runningSince, last };
    },
    async close() {
      closed = true;
      stopping.abort();
      await tail;
    },
  };
}
