/**
 * What the owner drops or picks to deploy: a zip archive as is, or a
 * folder (or loose files) packed into a zip in the browser with fflate,
 * following the same rules as `fazt app add <folder>`: the always-ignored
 * names at any depth and the root `.faztignore`.
 *
 * @module
 */
import { type Zippable, zipSync } from "fflate";
import { ALWAYS_IGNORED, parseIgnore } from "../gen/ignore.ts";

/** A file with its path inside the app. */
export interface PickedFile {
  /** Relative, `/`-separated path. */
  path: string;
  /** The file. */
  file: File;
}

/** Something ready to deploy. */
export type Picked =
  | { kind: "zip"; file: File; suggested: string; bytes: number }
  | { kind: "files"; files: PickedFile[]; suggested: string; bytes: number; skipped: number };

const ALWAYS = new Set(ALWAYS_IGNORED);

/** Turns a folder or file name into a likely app name (`My Site_v2.zip` → `my-site-v2`). */
export function suggestName(raw: string): string {
  return raw.toLowerCase().replace(/\.zip$/, "").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
}

/** Types that are already compressed: stored, not deflated (as the CLI does). */
const STORED = new Set([
  "png",
  "jpg",
  "jpeg",
  "gif",
  "webp",
  "avif",
  "ico",
  "woff",
  "woff2",
  "zip",
  "gz",
  "br",
  "mp3",
  "mp4",
  "webm",
  "ogg",
  "pdf",
]);

function isZip(file: File): boolean {
  return /\.zip$/i.test(file.name) || file.type === "application/zip" ||
    file.type === "application/x-zip-compressed";
}

/** Applies the ignore rules and sums the size. */
async function finish(files: PickedFile[], suggested: string): Promise<Picked> {
  let kept = files.filter((f) => !f.path.split("/").some((seg) => ALWAYS.has(seg)));
  const ignoreFile = files.find((f) => f.path === ".faztignore");
  if (ignoreFile) {
    const matcher = parseIgnore(await ignoreFile.file.text());
    kept = kept.filter((f) => {
      const segs = f.path.split("/");
      for (let i = 1; i < segs.length; i++) {
        if (matcher.ignores(segs.slice(0, i).join("/"), true)) return false;
      }
      return !matcher.ignores(f.path, false);
    });
  }
  kept.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    kind: "files",
    files: kept,
    suggested: suggestName(suggested),
    bytes: kept.reduce((n, f) => n + f.file.size, 0),
    skipped: files.length - kept.length,
  };
}

/**
 * From a file input: a directory input (`webkitdirectory`) gives the
 * folder's files with their relative paths; a plain input gives one zip or
 * loose files.
 */
export function fromFileList(list: FileList | File[]): Promise<Picked> | undefined {
  const all = Array.from(list);
  if (all.length === 0) return undefined;
  if (all.length === 1 && isZip(all[0]) && !all[0].webkitRelativePath) {
    const file = all[0];
    return Promise.resolve({
      kind: "zip",
      file,
      suggested: suggestName(file.name),
      bytes: file.size,
    });
  }
  const rel = all[0].webkitRelativePath;
  if (rel) {
    const root = rel.split("/")[0];
    return finish(
      all.map((file) => ({
        path: file.webkitRelativePath.split("/").slice(1).join("/"),
        file,
      })),
      root,
    );
  }
  return finish(
    all.map((file) => ({ path: file.name, file })),
    all[0].name.replace(/\.[^.]*$/, ""),
  );
}

function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out);
        else {
          out.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject)
    );
    out.push({ path, file });
  } else if (entry.isDirectory) {
    if (ALWAYS.has(entry.name)) return;
    for (const child of await readAll(entry as FileSystemDirectoryEntry)) {
      await walk(child, path, out);
    }
  }
}

/**
 * From a drop: one folder (its contents become the app), one zip, or
 * several files and folders. Entries are taken synchronously, while the
 * drop event is still current.
 */
export function fromDrop(dt: DataTransfer): Promise<Picked> | undefined {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) return fromFileList(dt.files);
  if (entries.length === 1 && entries[0].isFile && /\.zip$/i.test(entries[0].name)) {
    return fromFileList(dt.files);
  }
  return (async () => {
    const files: PickedFile[] = [];
    if (entries.length === 1 && entries[0].isDirectory) {
      for (const child of await readAll(entries[0] as FileSystemDirectoryEntry)) {
        await walk(child, "", files);
      }
      return finish(files, entries[0].name);
    }
    for (const e of entries) await walk(e, "", files);
    return finish(files, entries[0].name.replace(/\.[^.]*$/, ""));
  })();
}

/** The zip to upload: the picked archive, or the picked files packed. */
export async function toZip(picked: Picked): Promise<Blob> {
  if (picked.kind === "zip") return picked.file;
  const entries: Zippable = {};
  for (const f of picked.files) {
    const data = new Uint8Array(await f.file.arrayBuffer());
    const ext = f.path.slice(f.path.lastIndexOf(".") + 1).toLowerCase();
    entries[f.path] = [data, { level: STORED.has(ext) ? 0 : 6 }];
  }
  return new Blob([zipSync(entries) as Uint8Array<ArrayBuffer>], { type: "application/zip" });
}
