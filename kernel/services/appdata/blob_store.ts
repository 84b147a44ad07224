/**
 * An app's blob store: bytes with a media type under file-like paths
 * (`avatars/ada.png`). Paths are relative, `/`-separated, without empty,
 * `.` or `..` segments, backslashes or control characters.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import {
  checkPrefix,
  DEFAULT_LIST_LIMIT,
  listLimit,
  prefixRange,
  type StoreContext,
} from "./context.ts";
import { describe, utf8Length } from "../../core/text.ts";

/** The media type of a blob stored without one. */
export const DEFAULT_BLOB_TYPE = "application/octet-stream";

/** Options for {@linkcode BlobStore.put}. */
export interface BlobPutOptions {
  /** The media type (default `application/octet-stream`). */
  type?: string;
}

/** A blob's metadata. */
export interface BlobInfo {
  /** Its path. */
  path: string;
  /** Its size in bytes. */
  size: number;
  /** Its media type. */
  type: string;
  /** When it was last written (ms since the epoch). */
  updatedAt: number;
}

/** A blob with its bytes. */
export interface StoredBlob {
  /** The bytes. */
  bytes: Uint8Array;
  /** Its media type. */
  type: string;
  /** Its size in bytes. */
  size: number;
  /** When it was last written (ms since the epoch). */
  updatedAt: number;
}

/** Options for {@linkcode BlobStore.list}. */
export interface BlobListOptions {
  /** Only paths starting with this (e.g. `"avatars/"`). */
  prefix?: string;
  /** At most this many (1–1000, default 100). */
  limit?: number;
  /** Only paths after this one, to page (pass the last path of the previous page). */
  after?: string;
}

/** An app's blob store. */
export interface BlobStore {
  /** Stores `bytes` at `path`, replacing what was there. */
  put(path: string, bytes: Uint8Array, opts?: BlobPutOptions): Promise<void>;
  /** The blob at `path`, or `null`. */
  get(path: string): Promise<StoredBlob | null>;
  /** Deletes the blob at `path`; `true` when there was one. */
  delete(path: string): Promise<boolean>;
  /** Blobs in path order. */
  list(opts?: BlobListOptions): Promise<BlobInfo[]>;
}

const PUT = `INSERT INTO blobs (path, type, size, updated_at, data) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (path) DO UPDATE SET type = excluded.type, size = excluded.size,
    updated_at = excluded.updated_at, data = excluded.data`;
const GET = "SELECT type, size, updated_at, data FROM blobs WHERE path = ?";
const DELETE = "DELETE FROM blobs WHERE path = ?";

/** Validates a blob path, returning it unchanged. */
export function checkBlobPath(path: unknown, maxBytes: number): string {
  const bad = (why: string) =>
    new FaztError(
      "invalid_input",
      `${
        describe(path)
      } is not a valid blob path: ${why}. Use a relative path like "images/logo.png".`,
    );
  if (typeof path !== "string" || path === "") throw bad("it must be a non-empty string");
  if (!path.isWellFormed()) throw bad("it is not valid Unicode");
  const size = utf8Length(path);
  if (size > maxBytes) throw bad(`it is ${size} bytes, more than ${maxBytes}`);
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw bad("it holds a control character or backslash");
  for (const segment of path.split("/")) {
    if (segment === "") throw bad("it has an empty segment (a leading, trailing or double /)");
    if (segment === "." || segment === "..") throw bad(`it has a "${segment}" segment`);
  }
  return path;
}

function checkType(type: unknown): string {
  if (type === undefined) return DEFAULT_BLOB_TYPE;
  if (typeof type !== "string" || !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(type)) {
    throw new FaztError(
      "invalid_input",
      `The blob type must be a media type like "image/png" (printable ASCII, at most 255 characters; got ${
        describe(type)
      }).`,
    );
  }
  return type;
}

/** Makes the blob store of one app. */
export function createBlobStore(ctx: StoreContext): BlobStore {
  const { limits, now } = ctx;
  return {
    async put(path, bytes, opts = {}) {
      const p = checkBlobPath(path, limits.maxBlobPathBytes);
      if (!(bytes instanceof Uint8Array)) {
        throw new FaztError(
          "invalid_input",
          `Blob bytes must be a Uint8Array (got ${describe(bytes)}). Encode text with TextEncoder.`,
        );
      }
      if (bytes.byteLength > limits.maxBlobBytes) {
        throw new FaztError(
          "payload_too_large",
          `The blob is ${bytes.byteLength} bytes; the limit is ${limits.maxBlobBytes} bytes.`,
          { details: { size: bytes.byteLength, limit: limits.maxBlobBytes } },
        );
      }
      const type = checkType(opts.type);
      await ctx.withStore((db) =>
        db.write((w) => {
          w.prepare(PUT).run(p, type, bytes.byteLength, now(), bytes);
        })
      );
    },

    async get(path) {
      const p = checkBlobPath(path, limits.maxBlobPathBytes);
      return await ctx.withStore((db) => {
        const row = db.read(GET).get(p) as
          | { type: string; size: number; updated_at: number; data: Uint8Array }
          | undefined;
        if (!row) return null;
        return { bytes: row.data, type: row.type, size: row.size, updatedAt: row.updated_at };
      });
    },

    async delete(path) {
      const p = checkBlobPath(path, limits.maxBlobPathBytes);
      return await ctx.withStore((db) =>
        db.write((w) => Number(w.prepare(DELETE).run(p).changes) > 0)
      );
    },

    async list(opts = {}) {
      const prefix = checkPrefix(opts.prefix, limits.maxBlobPathBytes, "blob");
      const limit = listLimit(opts.limit, DEFAULT_LIST_LIMIT, limits.maxListLimit, "blob list");
      const after = opts.after === undefined
        ? null
        : checkBlobPath(opts.after, limits.maxBlobPathBytes);
      return await ctx.withStore((db) => {
        const range = prefixRange("path", prefix);
        return (db.read(
          `SELECT path, size, type, updated_at FROM blobs
           WHERE ${range.sql}${after === null ? "" : " AND path > ?"}
           ORDER BY path LIMIT ?`,
        ).all(...range.params, ...(after === null ? [] : [after]), limit) as {
          path: string;
          size: number;
          type: string;
          updated_at: number;
        }[]).map((r) => ({ path: r.path, size: r.size, type: r.type, updatedAt: r.updated_at }));
      });
    },
  };
}
