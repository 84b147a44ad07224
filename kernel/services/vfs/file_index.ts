/**
 * Per-version file indexes held in memory. A version is immutable, so its
 * index (path → hash, size, type, stored encodings) never goes stale: it is
 * loaded once on first use and dropped only when the cache is full.
 *
 * @module
 */
import type { Connection } from "../../store/database.ts";
import type { Encoding } from "./content_store.ts";
import { contentTypeFor } from "./content_type.ts";

/** What the server needs to know about one file of a version. */
export interface FileMeta {
  /** Relative path. */
  path: string;
  /** SHA-256 hex of the content. */
  hash: string;
  /** Size in bytes. */
  size: number;
  /** When this content first appeared at this path (ms). */
  modifiedAt: number;
  /** MIME type by extension. */
  contentType: string;
  /** Precompressed encodings available. */
  encodings: readonly Encoding[];
}

/** One version's files, plus a scratch map transports may use for memoising. */
export interface VersionIndex {
  /** The version ID. */
  versionId: number;
  /** Files by path. */
  files: ReadonlyMap<string, FileMeta>;
  /** Transport-owned memo (e.g. resolved URL paths); cleared with the index. */
  memo: Map<string, unknown>;
}

/** A bounded cache of version indexes. */
export interface FileIndexCache {
  /** The index of a version (loaded on first use). */
  get(versionId: number): VersionIndex;
  /** Number of indexes held. */
  readonly size: number;
  /** Forgets every index (a version's files got new encodings); they load again on use. */
  clear(): void;
}

/** Creates a cache holding at most `maxVersions` indexes (least recently used go first). */
export function createFileIndexCache(db: Connection, maxVersions = 64): FileIndexCache {
  const cache = new Map<number, VersionIndex>();
  /** The index returned last (the newest in `cache`'s order). */
  let last: VersionIndex | undefined;
  const select = db.prepare(
    `SELECT f.path, f.hash, f.size, f.modified_at, group_concat(v.encoding) AS encodings
     FROM version_files f LEFT JOIN blob_variants v ON v.hash = f.hash
     WHERE f.version_id = ? GROUP BY f.path`,
  );

  function load(versionId: number): VersionIndex {
    const files = new Map<string, FileMeta>();
    for (
      const r of select.all(versionId) as {
        path: string;
        hash: string;
        size: number;
        modified_at: number;
        encodings: string | null;
      }[]
    ) {
      files.set(r.path, {
        path: r.path,
        hash: r.hash,
        size: r.size,
        modifiedAt: r.modified_at,
        contentType: contentTypeFor(r.path),
        encodings: r.encodings ? (r.encodings.split(",") as unknown as Encoding[]).sort() : [],
      });
    }
    return { versionId, files, memo: new Map() };
  }

  return {
    get(versionId) {
      // The most recently used index is already last in the LRU order.
      if (last !== undefined && last.versionId === versionId && cache.get(versionId) === last) {
        return last;
      }
      let index = cache.get(versionId);
      if (index) {
        cache.delete(versionId);
      } else {
        index = load(versionId);
        if (cache.size >= maxVersions) cache.delete(cache.keys().next().value!);
      }
      cache.set(versionId, index);
      last = index;
      return index;
    },
    get size() {
      return cache.size;
    },
    clear() {
      cache.clear();
    },
  };
}
