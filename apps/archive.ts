/**
 * The validation policy for uploaded app archives, on top of the strict
 * reader in `zip_reader.ts`. {@linkcode inspectArchive} reads the central
 * directory and checks every entry (paths, links, encryption, methods,
 * duplicates, sizes, compression ratios) before anything is written, and
 * returns the files to deploy with normalised paths.
 *
 * Names are stored in Unicode NFC: macOS writes "é" as "e" + a combining
 * accent (NFD), other systems as one character, and both must name the same
 * file. Two entries that are one name in NFC are duplicates. Names that
 * differ only in case stay distinct files, as URLs are case-sensitive.
 *
 * Declared sizes are checked here; actual sizes are enforced while the data
 * is streamed, because `openEntry` errors as soon as an entry inflates past
 * its declared size. Together nothing can exceed the limits.
 *
 * Refusals are `invalid_archive` with `details.reason` one of
 * `path_traversal`, `absolute_path`, `invalid_path`, `symlink`, `encrypted`,
 * `unsupported_method`, `size_mismatch`, `duplicate_path`, `path_conflict`,
 * `compression_ratio`, `empty` (plus the reader's `corrupt`, `multi_disk`),
 * or `payload_too_large` with `too_many_files`, `file_too_large`,
 * `total_too_large`.
 *
 * @module
 */
import { FaztError } from "../kernel/core/errors.ts";
import { type RandomAccessSource, readZipDirectory, type ZipEntry } from "./zip_reader.ts";
import { formatBytes } from "../kernel/core/format.ts";

/** Limits applied to an uploaded archive. */
export interface ArchiveLimits {
  /** Most files (directory and skipped entries not counted). */
  maxFiles: number;
  /** Largest declared size of one file, in bytes. */
  maxFileBytes: number;
  /** Largest sum of declared sizes, in bytes. */
  maxTotalBytes: number;
  /** Largest size / compressed size for entries declaring at least 1 MiB. */
  maxRatio: number;
}

/**
 * Defaults: 10_000 files, 100 MiB per file, 500 MiB total, ratio 200 (ratio
 * applies to entries whose declared size ≥ 1 MiB).
 */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxFiles: 10_000,
  maxFileBytes: 100 * 1024 * 1024,
  maxTotalBytes: 500 * 1024 * 1024,
  maxRatio: 200,
});

/** A file to deploy. */
export interface ArchiveFile {
  /** Normalised relative path ("css/site.css"), top folder stripped if common. */
  path: string;
  /** Declared uncompressed size (enforced when the entry is opened). */
  size: number;
  /** The directory entry, for `openEntry`. */
  entry: ZipEntry;
}

/** Declared sizes from this size up are subject to the ratio limit. */
const RATIO_MIN_BYTES = 1024 * 1024;
const MAX_NAME_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
/**
 * How many directory entries the reader accepts per allowed file: folders,
 * `__MACOSX/` shadow files and `.DS_Store` are listed but not counted.
 */
const ENTRIES_PER_FILE = 4;

const encoder = new TextEncoder();

function quote(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return JSON.stringify(shown);
}

/**
 * A name quoted as JSON with every character outside printable ASCII
 * escaped (`"cafe\u0301.html"`), so that two Unicode forms of one name
 * differ visibly in a message.
 */
export function escapedName(name: string): string {
  return quote(name).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function refuse(reason: string, entry: string, message: string): FaztError {
  return new FaztError("invalid_archive", message, { details: { reason, entry } });
}

/**
 * Checks an entry name and returns its normalised path (NFC, "" for a name
 * that is only "." segments). Directory names may end with "/".
 */
function normalisePath(raw: string): string {
  const name = raw.normalize("NFC");
  const q = quote(name);
  if (name === "") return invalid(name, '"" has an empty name');
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(name)) {
    return invalid(name, `${q} has control characters in its name`);
  }
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) {
    throw refuse(
      "absolute_path",
      name,
      `The archive entry ${q} has an absolute path. Zip the app folder so paths are ` +
        'relative (like "index.html", not "/index.html").',
    );
  }
  if (name.split(/[/\\]/).includes("..")) {
    throw refuse(
      "path_traversal",
      name,
      `The archive entry ${q} points outside the app folder (it has a ".." segment). ` +
        "Zip the app folder itself, without parent-relative paths.",
    );
  }
  if (name.includes("\\")) {
    return invalid(name, `${q} has a backslash in its name (use "/" between folders)`);
  }
  if (encoder.encode(name).length > MAX_NAME_BYTES) {
    return invalid(name, `${q} has a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  const trimmed = name.endsWith("/") ? name.slice(0, -1) : name;
  const segments: string[] = [];
  for (const segment of trimmed.split("/")) {
    if (segment === ".") continue;
    if (segment === "") return invalid(name, `${q} has an empty folder name ("//")`);
    if (encoder.encode(segment).length > MAX_SEGMENT_BYTES) {
      return invalid(name, `${q} has a file or folder name longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
    segments.push(segment);
  }
  return segments.join("/");
}

function invalid(name: string, problem: string): never {
  throw refuse(
    "invalid_path",
    name,
    `The archive entry ${problem}. Rename it and zip the folder again.`,
  );
}

function isJunk(path: string): boolean {
  return path === "__MACOSX" || path.startsWith("__MACOSX/") || path === ".DS_Store" ||
    path.endsWith("/.DS_Store");
}

/**
 * Reads the directory and validates every entry; returns the files to deploy
 * with normalised paths, sorted by path. Directory entries, `__MACOSX/` and
 * `.DS_Store` are skipped; when every file sits under one top-level folder
 * that folder is stripped. Throws `invalid_archive` or `payload_too_large`
 * (see the module doc for reasons) without side effects.
 */
export async function inspectArchive(
  src: RandomAccessSource,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ArchiveFile[]> {
  const tooManyFiles = (): FaztError =>
    new FaztError(
      "payload_too_large",
      `The archive has more than ${limits.maxFiles} files. Deploy fewer files ` +
        "(leave out dependencies such as node_modules and build caches).",
      { details: { reason: "too_many_files", limit: limits.maxFiles } },
    );
  let entries: ZipEntry[];
  try {
    entries = await readZipDirectory(src, { maxEntries: limits.maxFiles * ENTRIES_PER_FILE });
  } catch (err) {
    if (err instanceof FaztError && err.details.reason === "too_many_files") throw tooManyFiles();
    throw err;
  }

  const files: ArchiveFile[] = [];
  const seen = new Map<string, string>();
  let total = 0;
  for (const entry of entries) {
    const name = entry.name;
    const q = quote(name);
    const path = normalisePath(name);
    if (path === "" || entry.isDirectory || isJunk(path)) continue;
    if (entry.isSymlink) {
      throw refuse(
        "symlink",
        name,
        `The archive entry ${q} is a symbolic link, which fazt does not deploy. ` +
          "Replace it with the file it points to and zip the folder again.",
      );
    }
    if (entry.encrypted) {
      throw refuse(
        "encrypted",
        name,
        `The archive entry ${q} is encrypted. Zip the folder again without a password.`,
      );
    }
    if (entry.method !== 0 && entry.method !== 8) {
      throw refuse(
        "unsupported_method",
        name,
        `The archive entry ${q} uses compression method ${entry.method}, which fazt cannot ` +
          'read. Zip the folder again with standard "deflate" compression (or none).',
      );
    }
    if (entry.method === 0 && entry.size !== entry.compressedSize) {
      throw refuse(
        "size_mismatch",
        name,
        `The archive entry ${q} is stored uncompressed but declares two different sizes; ` +
          "the upload is damaged or was tampered with. Zip the folder again.",
      );
    }
    const earlier = seen.get(path);
    if (earlier !== undefined) {
      const forms = earlier.normalize("NFC") === name.normalize("NFC") && earlier !== name;
      throw refuse(
        "duplicate_path",
        name,
        forms
          ? `The archive has the file ${quote(path)} twice, its name written in two Unicode ` +
            `forms (${escapedName(earlier)} and ${
              escapedName(name)
            }), which fazt stores as one name. ` +
            "Remove one of them and zip the folder again."
          : `The archive has the file ${quote(path)} more than once (${
            quote(earlier)
          } and ${q}). ` +
            "Remove the duplicate and zip the folder again.",
      );
    }
    seen.set(path, name);
    if (files.length + 1 > limits.maxFiles) throw tooManyFiles();
    if (entry.size > limits.maxFileBytes) {
      throw new FaztError(
        "payload_too_large",
        `The archive entry ${q} is ${formatBytes(entry.size)}, over the limit of ` +
          `${formatBytes(limits.maxFileBytes)} per file. Leave it out of the deploy ` +
          "or make it smaller.",
        { details: { reason: "file_too_large", entry: name, limit: limits.maxFileBytes } },
      );
    }
    total += entry.size;
    if (total > limits.maxTotalBytes) {
      throw new FaztError(
        "payload_too_large",
        `The archive unpacks to more than ${formatBytes(limits.maxTotalBytes)}, the limit ` +
          "for one app. Leave out large files or build output you do not serve.",
        { details: { reason: "total_too_large", limit: limits.maxTotalBytes } },
      );
    }
    if (entry.size >= RATIO_MIN_BYTES && entry.size > limits.maxRatio * entry.compressedSize) {
      const ratio = entry.compressedSize === 0
        ? "without limit"
        : `${Math.round(entry.size / entry.compressedSize)} times`;
      throw refuse(
        "compression_ratio",
        name,
        `The archive entry ${q} expands ${ratio} (the limit is ${limits.maxRatio}), ` +
          "which looks like a zip bomb. Deploy the real files instead.",
      );
    }
    files.push({ path, size: entry.size, entry });
  }

  if (files.length === 0) {
    throw new FaztError(
      "invalid_archive",
      "The archive has no files. An app needs at least an index.html or an api/ folder.",
      { details: { reason: "empty" } },
    );
  }

  // A file "a" and a file "a/b" cannot both exist on disk.
  for (const file of files) {
    const segments = file.path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join("/");
      const clash = seen.get(folder);
      if (clash !== undefined) {
        throw refuse(
          "path_conflict",
          file.entry.name,
          `The archive entry ${quote(file.entry.name)} needs ${quote(folder)} to be a folder, ` +
            `but the archive also has a file ${quote(clash)}. Rename one of them and zip the ` +
            "folder again.",
        );
      }
    }
  }

  // Users often zip the folder itself: strip a top folder every file shares,
  // except `api/`, which is what a headless app (server code only) looks like.
  const first = files[0].path.split("/", 1)[0];
  const prefix = `${first}/`;
  if (first !== "api" && files.every((f) => f.path.startsWith(prefix))) {
    for (const file of files) file.path = file.path.slice(prefix.length);
  }

  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
