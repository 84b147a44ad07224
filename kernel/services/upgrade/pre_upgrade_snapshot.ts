/**
 * The data an upgrade can roll back to. {@linkcode PreUpgradeSnapshot} is
 * the contract the upgrade needs ("snapshot before, restore on failure");
 * {@linkcode folderSnapshot} is its smallest implementation: with the
 * server stopped (so the files are consistent), it copies the data folder
 * (but `upgrade/`, `tmp/`, `backups/` and `server.json`) to
 * `<data>/upgrade/snapshot`, and restores by replacing those entries with
 * the copy. The backup service (kernel/services/backup) can take this
 * role once it offers an offline snapshot and restore (docs/UPGRADES.md).
 *
 * @module
 */
import { join } from "node:path";
import { syncFolder } from "./binary_swap.ts";

/** Snapshot before an upgrade, restore on failure. */
export interface PreUpgradeSnapshot {
  /** Snapshots the data (the server is stopped) and returns where the snapshot is. */
  take(): Promise<string>;
  /**
   * Replaces the data with the snapshot at `path` (the server is stopped);
   * the current data is deleted, or moved into `keepCurrentIn`. Safe to run again.
   */
  restore(path: string, keepCurrentIn?: string): Promise<void>;
}

/** The folder, inside the data folder, where upgrades keep their state. */
export const UPGRADE_DIR = "upgrade";

/** Entries of the data folder a snapshot leaves out. */
const LEFT_OUT = new Set([UPGRADE_DIR, "tmp", "backups", "server.json"]);

/**
 * Gives `dest` the owner of `info` (run as root for a service's data, a
 * copy must stay the service user's); refused when not root, where the
 * owner is already the same.
 */
async function keepOwner(dest: string, info: Deno.FileInfo): Promise<void> {
  if (info.uid === null || info.gid === null) return;
  await Deno.chown(dest, info.uid, info.gid).catch(() => {});
}

async function copyFile(src: string, dest: string, info: Deno.FileInfo): Promise<void> {
  await Deno.copyFile(src, dest);
  await keepOwner(dest, info);
  const f = await Deno.open(dest, { write: true });
  try {
    await f.sync();
  } finally {
    f.close();
  }
}

async function copyTree(from: string, to: string, info: Deno.FileInfo): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: info.mode ?? 0o700 });
  await keepOwner(to, info);
  for await (const entry of Deno.readDir(from)) {
    await copyEntry(join(from, entry.name), join(to, entry.name));
  }
}

/** Copies a file or a folder tree, keeping modes and owners (links and other kinds are skipped). */
async function copyEntry(src: string, dest: string): Promise<void> {
  const info = await Deno.lstat(src);
  if (info.isDirectory) await copyTree(src, dest, info);
  else if (info.isFile) await copyFile(src, dest, info);
}

/** The data folder's entries a snapshot holds. */
async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!LEFT_OUT.has(entry.name)) names.push(entry.name);
  }
  return names;
}

/** A snapshot that copies the stopped server's data folder into `<data>/upgrade/snapshot`. */
export function folderSnapshot(dataDir: string): PreUpgradeSnapshot {
  const home = join(dataDir, UPGRADE_DIR);
  return {
    async take() {
      const partial = join(home, "snapshot.partial");
      const done = join(home, "snapshot");
      await Deno.remove(partial, { recursive: true }).catch(() => {});
      await Deno.mkdir(partial, { recursive: true });
      for (const name of await entries(dataDir)) {
        await copyEntry(join(dataDir, name), join(partial, name));
      }
      await Deno.remove(done, { recursive: true }).catch(() => {});
      await Deno.rename(partial, done);
      await syncFolder(home);
      return done;
    },
    async restore(path, keepCurrentIn) {
      if (keepCurrentIn) await Deno.mkdir(keepCurrentIn, { recursive: true });
      for (const name of await entries(dataDir)) {
        if (keepCurrentIn) await Deno.rename(join(dataDir, name), join(keepCurrentIn, name));
        else await Deno.remove(join(dataDir, name), { recursive: true });
      }
      for (const name of await entries(path)) {
        await copyEntry(join(path, name), join(dataDir, name));
      }
    },
  };
}
