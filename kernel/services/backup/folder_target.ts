/**
 * A backup target that is a folder on this machine (by default the data
 * folder's `backups/`). Archives are built inside it under hidden names
 * (`.fazt-backup-…`), so storing one is a rename in the same folder: a
 * backup cut short (kill -9, full disk) never shows in the listing, and
 * leftovers older than an hour are removed by the next backup or prune.
 *
 * @module
 */
import { join } from "node:path";
import { FaztError } from "../../core/errors.ts";
import type { BackupTarget, StoredBackup } from "./backup_target.ts";
import { parseBackupName } from "./manifest.ts";
import { copyFileSynced, durableRename, removeIfPresent, syncDir } from "./durable.ts";

/** Hidden names of archives in progress in a backup folder start with this. */
export const PARTIAL_PREFIX = ".fazt-backup-";

/** Leftovers of interrupted backups older than this are removed (ms). */
export const STALE_PARTIAL_MS = 3_600_000;

function checkName(name: string): void {
  if (parseBackupName(name) === null) {
    throw new FaztError(
      "invalid_input",
      `"${name}" is not a backup name; backups are named like fazt-backup-20260101T000000Z-1.0.0.tar (see \`fazt backup list\`).`,
    );
  }
}

/** A folder target, with the steps the backup service takes before it builds an archive there. */
export interface FolderTarget extends BackupTarget {
  /** Makes sure the folder is there (see {@linkcode createFolderTarget}) and cleans stale leftovers. */
  prepare(): Promise<void>;
  /** Removes leftovers of interrupted backups older than {@linkcode STALE_PARTIAL_MS}. */
  cleanStale(now?: number): Promise<void>;
}

/**
 * A folder target at `dir` (an absolute path). With `create` (the data
 * folder's own `backups/`) the folder is made (mode 0700) on first use;
 * otherwise it must exist, so a backup aimed at a disk that is not mounted
 * fails instead of filling the disk under the mount point.
 */
export function createFolderTarget(dir: string, create = false): FolderTarget {
  async function ensure(): Promise<void> {
    if (create) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      return;
    }
    const info = await Deno.stat(dir).catch(() => null);
    if (!info?.isDirectory) {
      throw new FaztError(
        "not_found",
        `No folder at ${dir}. Create it first: backups never create the folder they are sent to, so a disk that is not mounted is never filled in its place.`,
      );
    }
  }
  async function cleanStale(now = Date.now()): Promise<void> {
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (!entry.name.startsWith(PARTIAL_PREFIX)) continue;
        const path = join(dir, entry.name);
        const info = await Deno.lstat(path).catch(() => null);
        if (info && now - (info.mtime?.getTime() ?? 0) > STALE_PARTIAL_MS) {
          await removeIfPresent(path);
        }
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return {
    location: dir,
    stagingDir: dir,

    async put(name, file) {
      checkName(name);
      await ensure();
      const partial = join(dir, `${PARTIAL_PREFIX}${crypto.randomUUID()}.partial`);
      try {
        await Deno.rename(file, partial);
      } catch (err) {
        if (
          (err as { code?: string }).code !== "EXDEV" && !(err instanceof Deno.errors.NotSupported)
        ) {
          throw err;
        }
        await copyFileSynced(file, partial);
      }
      try {
        await durableRename(partial, join(dir, name));
      } catch (err) {
        await removeIfPresent(partial);
        throw err;
      }
    },

    async prepare() {
      await ensure();
      await cleanStale();
    },

    cleanStale,

    async list() {
      if (!create) await ensure();
      const out: StoredBackup[] = [];
      try {
        for await (const entry of Deno.readDir(dir)) {
          if (!entry.isFile || parseBackupName(entry.name) === null) continue;
          const info = await Deno.stat(join(dir, entry.name)).catch(() => null);
          if (!info) continue;
          out.push({ name: entry.name, bytes: info.size, modifiedAt: info.mtime?.getTime() ?? 0 });
        }
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return [];
        throw err;
      }
      const started = (b: StoredBackup) => parseBackupName(b.name)!.startedAt;
      return out.sort((a, b) => started(b) - started(a) || b.modifiedAt - a.modifiedAt);
    },

    async fetch(name, toFile) {
      checkName(name);
      try {
        await copyFileSynced(join(dir, name), toFile);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          throw new FaztError("not_found", `No backup named ${name} in ${dir}.`);
        }
        throw err;
      }
    },

    async remove(name) {
      checkName(name);
      await removeIfPresent(join(dir, name));
      await syncDir(dir).catch(() => {});
    },
  };
}
