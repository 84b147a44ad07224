/**
 * Replacing fazt's executable atomically. The new binary is written as
 * `<binary>.new` next to it (same folder, same filesystem) and synced; the
 * current one is hard-linked to `<binary>.prev` (kept for `--rollback`);
 * then one `rename` puts the new file in place, so at every instant the
 * path holds either the whole old binary or the whole new one.
 *
 * @module
 */

/** The three paths of one binary. */
export interface BinaryPaths {
  /** The installed executable. */
  binary: string;
  /** The downloaded, verified next version (`<binary>.new`). */
  next: string;
  /** The replaced previous version (`<binary>.prev`). */
  prev: string;
}

/** The paths next to `binary`. */
export function binaryPaths(binary: string): BinaryPaths {
  return { binary, next: `${binary}.new`, prev: `${binary}.prev` };
}

/** True when a file exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Syncs a folder, so renames inside it survive a power cut (best effort where unsupported). */
export async function syncFolder(path: string): Promise<void> {
  try {
    const dir = await Deno.open(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // Some platforms cannot open or sync a folder; the rename itself is still atomic.
  }
}

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/**
 * Puts `paths.next` in place of `paths.binary`, keeping the old one as
 * `paths.prev` (a hard link, or a synced copy where links fail).
 */
export async function swapIn(paths: BinaryPaths): Promise<void> {
  const staging = `${paths.prev}.tmp`;
  await Deno.remove(staging).catch(() => {});
  try {
    await Deno.link(paths.binary, staging);
  } catch {
    await Deno.copyFile(paths.binary, staging);
    const f = await Deno.open(staging, { write: true });
    await f.sync();
    f.close();
  }
  await Deno.rename(staging, paths.prev);
  await Deno.rename(paths.next, paths.binary);
  await syncFolder(folderOf(paths.binary));
}

/** Puts `paths.prev` back in place of `paths.binary` (the replaced binary is gone afterwards). */
export async function swapBack(paths: BinaryPaths): Promise<void> {
  await Deno.rename(paths.prev, paths.binary);
  await syncFolder(folderOf(paths.binary));
}
