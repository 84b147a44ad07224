/**
 * Packs a folder into a zip archive for upload, and reads ready-made zip
 * archives. The walk is sorted and the entries carry a fixed timestamp, so
 * the same folder always packs to the same bytes. Symlinks are never
 * followed (a link could point at `~/.ssh`): they are skipped and reported.
 * Names go into the archive in Unicode NFC, as the server stores them
 * (macOS file systems hand out NFD); two files whose names are one name in
 * NFC are refused before anything is uploaded.
 *
 * @module
 */
import { join } from "node:path";
import { FaztError } from "../kernel/core/errors.ts";
import { ALWAYS_IGNORED, type IgnoreMatcher, parseIgnore } from "./ignore.ts";
import { escapedName } from "./archive.ts";
import { type ZipFileInput, zipFiles } from "./zip_writer.ts";

/** Options for {@linkcode packFolder}. */
export interface PackOptions {
  /** Called once per packed file, in archive order, with its size in bytes. */
  onFile?: (path: string, bytes: number) => void;
}

/** The outcome of {@linkcode packFolder}. */
export interface PackResult {
  /** The zip archive. */
  zip: Uint8Array;
  /** How many files it holds. */
  files: number;
  /** Their total uncompressed size in bytes. */
  bytes: number;
  /** Entries left out because they are not regular files, e.g. `"link.txt (symlink)"`. */
  skipped: string[];
}

/** File extensions whose content is already compressed: stored, not deflated. */
const STORED_EXTENSIONS: ReadonlySet<string> = new Set([
  "png",
  "jpg",
  "jpeg",
  "gif",
  "webp",
  "avif",
  "woff",
  "woff2",
  "zip",
  "gz",
  "br",
  "mp3",
  "mp4",
  "webm",
  "mov",
  "pdf",
]);

const ALWAYS_IGNORED_SET: ReadonlySet<string> = new Set(ALWAYS_IGNORED);

/** Whether a path's extension marks already-compressed content. */
function isStored(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 && STORED_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

/** Compares strings by UTF-16 code units: locale-independent, so deterministic. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads the `.faztignore` at the folder root, if it is a regular file. */
async function readIgnoreFile(dir: string): Promise<IgnoreMatcher> {
  const path = join(dir, ".faztignore");
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile) return parseIgnore("");
    return parseIgnore((await Deno.readTextFile(path)).normalize("NFC"));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return parseIgnore("");
    throw readError(".faztignore", err);
  }
}

/** Turns a file-system error on an entry inside the folder into a `FaztError`. */
function readError(rel: string, err: unknown): FaztError {
  return new FaztError("bad_request", `Cannot read "${rel}": ${readReason(err)}.`, { cause: err });
}

/**
 * Zips a folder for upload. Walks it in sorted order without following
 * symlinks, leaving out {@linkcode ALWAYS_IGNORED} names at any depth and
 * whatever the `.faztignore` at the folder root excludes. Entry paths are
 * relative and `/`-separated. Already-compressed types are stored, others
 * deflated (natively, `zip_writer.ts`).
 *
 * @throws {FaztError} `bad_request` when the folder does not exist, is not a
 * folder, cannot be read, or has no files left to deploy.
 */
export async function packFolder(dir: string, options: PackOptions = {}): Promise<PackResult> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FaztError("bad_request", `Cannot read the folder "${dir}": it does not exist.`, {
        cause: err,
      });
    }
    throw new FaztError("bad_request", `Cannot read the folder "${dir}": ${readReason(err)}.`, {
      cause: err,
    });
  }
  if (!info.isDirectory) {
    throw new FaztError(
      "bad_request",
      `Cannot read the folder "${dir}": it is a file, not a folder. ` +
        "To deploy a zip archive, pass the .zip file to `fazt app add`.",
    );
  }

  const matcher = await readIgnoreFile(dir);
  // Entries go into the archive in walk order (sorted), so packing is deterministic.
  const entries: ZipFileInput[] = [];
  const skipped: string[] = [];
  /** Packed path (NFC) → the path as the file system spells it. */
  const packed = new Map<string, string>();
  let files = 0;
  let bytes = 0;

  const walk = async (abs: string, prefix: string, onDisk: string): Promise<void> => {
    const children: Deno.DirEntry[] = [];
    try {
      for await (const entry of Deno.readDir(abs)) children.push(entry);
    } catch (err) {
      throw readError(prefix === "" ? "." : prefix, err);
    }
    children.sort((a, b) => byCodeUnit(a.name, b.name));
    for (const entry of children) {
      const name = entry.name.normalize("NFC");
      if (ALWAYS_IGNORED_SET.has(name)) continue;
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      const relOnDisk = onDisk === "" ? entry.name : `${onDisk}/${entry.name}`;
      if (matcher.ignores(rel, entry.isDirectory)) continue;
      const childAbs = join(abs, entry.name);
      if (entry.isSymlink) {
        skipped.push(`${rel} (symlink)`);
      } else if (entry.isDirectory) {
        await walk(childAbs, rel, relOnDisk);
      } else if (entry.isFile && rel === "__proto__") {
        // Zip tools that collect entries in a plain object (fflate's unzipSync) lose this key.
        skipped.push(`${rel} (unsupported name)`);
      } else if (entry.isFile) {
        const twin = packed.get(rel);
        if (twin !== undefined) {
          throw new FaztError(
            "bad_request",
            `The folder has two files whose names are one name in two Unicode forms: ` +
              `${escapedName(twin)} and ${escapedName(relOnDisk)}. fazt stores names in NFC, ` +
              "so keep only one of them.",
            { details: { paths: [twin, relOnDisk] } },
          );
        }
        packed.set(rel, relOnDisk);
        let data: Uint8Array;
        try {
          data = await Deno.readFile(childAbs);
        } catch (err) {
          throw readError(rel, err);
        }
        entries.push({ name: rel, data, deflate: !isStored(rel) });
        files++;
        bytes += data.length;
        options.onFile?.(rel, data.length);
      } else {
        skipped.push(`${rel} (not a regular file)`);
      }
    }
  };
  await walk(dir, "", "");

  if (files === 0) {
    throw new FaztError(
      "bad_request",
      `The folder "${dir}" has no files to deploy (after .faztignore and the always-ignored ` +
        `${ALWAYS_IGNORED.join(", ")}). Add files or loosen .faztignore.`,
      { details: { skipped } },
    );
  }
  return { zip: zipFiles(entries), files, bytes, skipped };
}

/** A short reason for a failed read of the folder itself. */
function readReason(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  return err instanceof Error ? err.message : String(err);
}

/** Whether bytes start like a zip archive: a local file header or an empty archive. */
function hasZipMagic(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b &&
    ((data[2] === 0x03 && data[3] === 0x04) || (data[2] === 0x05 && data[3] === 0x06));
}

/**
 * Reads a zip archive to deploy as is (`fazt app add site.zip`).
 *
 * @throws {FaztError} `bad_request` when the file cannot be read or is not a
 * zip archive (checked by its `PK\x03\x04` / `PK\x05\x06` signature).
 */
export async function readArchiveFile(path: string): Promise<Uint8Array> {
  let data: Uint8Array;
  try {
    data = await Deno.readFile(path);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound
      ? "it does not exist"
      : err instanceof Deno.errors.IsADirectory
      ? "it is a folder, not a zip archive"
      : readReason(err);
    throw new FaztError("bad_request", `Cannot read the archive "${path}": ${reason}.`, {
      cause: err,
    });
  }
  if (!hasZipMagic(data)) {
    throw new FaztError(
      "bad_request",
      `"${path}" is not a zip archive. Pass a .zip file or a folder to deploy.`,
    );
  }
  return data;
}
