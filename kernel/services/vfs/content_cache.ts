/**
 * The byte-limited LRU for file bodies. Hot files are served from memory;
 * the budget caps how much memory that takes, and files above
 * `maxEntryBytes` are never cached (they stream from SQLite in chunks).
 *
 * @module
 */
import type { Connection } from "../../store/database.ts";
import { type Bytes, type Encoding, readBlob, readVariant } from "./content_store.ts";

/** Which representation of a blob: the bytes themselves or a stored encoding. */
export type Representation = Encoding | "identity";

/** Counters for visibility. */
export interface ContentCacheStats {
  /** Bytes held. */
  bytes: number;
  /** The byte budget. */
  budget: number;
  /** Entries held. */
  entries: number;
  /** Lookups served from memory. */
  hits: number;
  /** Lookups that read SQLite. */
  misses: number;
}

/** The content cache. */
export interface ContentCache {
  /**
   * The bytes of a blob's representation, from memory or SQLite. Returns
   * undefined when the representation is not stored.
   */
  get(hash: string, rep: Representation): Bytes | undefined;
  /**
   * A value built from a body's bytes once per `key` with `build` and kept
   * with the cache entry (evicted together); every caller gets
   * `share(kept)`. The static server keeps a prebuilt response per file
   * this way and hands out clones, much cheaper than building one per
   * request; the cache itself knows nothing of what it keeps. Bodies too
   * large to cache get `build(bytes)` every time (nothing to share).
   * Returns undefined when the representation is not stored.
   */
  derived<T>(
    hash: string,
    rep: Representation,
    key: object,
    build: (bytes: Bytes) => T,
    share: (kept: T) => T,
  ): T | undefined;
  /** Current counters. */
  stats(): ContentCacheStats;
  /** Drops entries until at most `bytes` are held. */
  shrink(bytes: number): void;
}

/** Options for {@linkcode createContentCache}. */
export interface ContentCacheOptions {
  /** Total bytes the cache may hold. */
  budgetBytes: number;
  /** Bodies larger than this are never cached. */
  maxEntryBytes: number;
}

interface Entry {
  bytes: Bytes;
  cached: boolean;
  /** Values built from the bytes ({@linkcode ContentCache.derived}), by key. */
  derived?: Map<object, unknown>;
}

/** Creates a content cache reading misses from `db`. */
export function createContentCache(db: Connection, options: ContentCacheOptions): ContentCache {
  const entries = new Map<string, Entry>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;
  /** The key last moved to the end of `entries` (the most recently used), if still there. */
  let newest: string | undefined;

  function shrink(limit: number): void {
    for (const [key, value] of entries) {
      if (bytes <= limit) break;
      entries.delete(key);
      bytes -= value.bytes.length;
    }
  }

  function entryKey(hash: string, rep: Representation): string {
    return rep === "identity" ? hash : `${hash}:${rep}`;
  }

  function lookup(hash: string, rep: Representation): Entry | undefined {
    const key = entryKey(hash, rep);
    const hit = entries.get(key);
    if (hit) {
      hits++;
      // Moving the newest entry to the end changes nothing: skip the Map churn.
      if (key !== newest) {
        entries.delete(key);
        entries.set(key, hit);
        newest = key;
      }
      return hit;
    }
    misses++;
    const body = rep === "identity" ? readBlob(db, hash) : readVariant(db, hash, rep);
    if (!body) return undefined;
    const entry: Entry = { bytes: body, cached: false };
    if (body.length <= options.maxEntryBytes && body.length <= options.budgetBytes) {
      entry.cached = true;
      shrink(options.budgetBytes - body.length);
      entries.set(key, entry);
      newest = key;
      bytes += body.length;
    }
    return entry;
  }

  return {
    get(hash, rep) {
      return lookup(hash, rep)?.bytes;
    },
    derived<T>(
      hash: string,
      rep: Representation,
      key: object,
      build: (bytes: Bytes) => T,
      share: (kept: T) => T,
    ): T | undefined {
      const entry = lookup(hash, rep);
      if (!entry) return undefined;
      if (!entry.cached) return build(entry.bytes);
      entry.derived ??= new Map();
      let kept = entry.derived.get(key) as T | undefined;
      if (kept === undefined) {
        kept = build(entry.bytes);
        entry.derived.set(key, kept);
      }
      return share(kept);
    },
    stats: () => ({ bytes, budget: options.budgetBytes, entries: entries.size, hits, misses }),
    shrink,
  };
}
