/**
 * Small file-system steps that survive a power cut or a kill -9: data
 * flushed to disk before it is renamed into place, and the folder flushed
 * after a rename so the new name is on disk too.
 *
 * @module
 */
import { dirname } from "node:path";
import { CHUNK_BYTES } from "./tar.ts";

/** Flushes folder `dir` (its entries: names created, renamed or removed). */
export async function syncDir(dir: string): Promise<void> {
  using f = await Deno.open(dir, { read: true });
  await f.sync();
}

/** Flushes file `path` to disk. */
export async function syncFile(path: string): Promise<void> {
  using f = await Deno.open(path, { read: true, write: true });
  await f.sync();
}

/** Renames `from` to `to` and flushes the folders involved. */
export async function durableRename(from: string, to: string): Promise<void> {
  await Deno.rename(from, to);
  await syncDir(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDir(dirname(from));
}

/** Copies file `from` to new file `to` (mode 0600) in chunks and flushes it. */
export async function copyFileSynced(from: string, to: string): Promise<void> {
  using src = await Deno.open(from, { read: true });
  using dst = await Deno.open(to, { write: true, createNew: true, mode: 0o600 });
  const buf = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    const n = await src.read(buf);
    if (n === null) break;
    let at = 0;
    while (at < n) at += await dst.write(buf.subarray(at, n));
  }
  await dst.sync();
}

/** Removes `path` (recursively); a missing path is fine. */
export async function removeIfPresent(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}
