/**
 * An app's key-value store: JSON values under string keys, with optional
 * expiry. Expired keys are invisible at once and deleted lazily: when read,
 * and in small batches on the side of a write at most once a second (or
 * every {@linkcode PURGE_EVERY_WRITES} writes), so no timer is needed and a
 * write usually costs one statement.
 *
 * Every statement's SQL is a constant (or one of a few shapes), so each is
 * compiled once per connection (see `app_store.ts`).
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import type { KvPurgeState, StoreWriter } from "./app_store.ts";
import {
  checkPrefix,
  decodeCursor,
  DEFAULT_LIST_LIMIT,
  encodeCursor,
  listLimit,
  prefixRange,
  type StoreContext,
} from "./context.ts";
import { describe, utf8Length } from "../../core/text.ts";
import { encodeJson } from "./json_value.ts";

/** The longest ttl, in seconds: 10 years. Longer is what leaving the ttl out is for. */
export const MAX_TTL_SECONDS = 10 * 365 * 86_400;

/** Options for {@linkcode KvStore.set}. */
export interface KvSetOptions {
  /** Seconds until the key expires (positive, at most {@linkcode MAX_TTL_SECONDS}); absent = never. */
  ttl?: number;
}

/** Options for {@linkcode KvStore.list}. */
export interface KvListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** At most this many keys (1–1000, default 100). */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** One key in a {@linkcode KvListResult}. */
export interface KvListEntry {
  /** The key. */
  key: string;
  /** When it expires (ms since the epoch), or `null` for never. */
  expiresAt: number | null;
}

/** A page of keys, ordered by key. */
export interface KvListResult {
  /** The keys of this page. */
  keys: KvListEntry[];
  /** Pass this to get the next page; `null` when there is none. */
  cursor: string | null;
}

/** An app's key-value store. */
export interface KvStore {
  /** The value of `key`, or `null` when it is missing or expired. */
  get(key: string): Promise<unknown | null>;
  /** Stores a JSON value; without `ttl` the key never expires (an earlier ttl is cleared). */
  set(key: string, value: unknown, opts?: KvSetOptions): Promise<void>;
  /** Deletes `key`; `true` when it existed (and had not expired). */
  delete(key: string): Promise<boolean>;
  /** Keys in key order, a page at a time. */
  list(opts?: KvListOptions): Promise<KvListResult>;
  /**
   * Atomically adds `by` (default 1) to the number under `key` and returns
   * the result. A missing key counts as 0; the key's expiry is kept.
   */
  increment(key: string, by?: number): Promise<number>;
}

/** How many expired keys one purge deletes. */
export const PURGE_BATCH = 100;

/** The longest time between two purges while the app writes, in ms. */
export const PURGE_INTERVAL_MS = 1000;

/** The most writes between two purges. */
export const PURGE_EVERY_WRITES = 256;

const SELECT_ONE = "SELECT value, expires_at FROM kv WHERE key = ?";
const UPSERT = `INSERT INTO kv (key, value, expires_at, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value,
    expires_at = excluded.expires_at, updated_at = excluded.updated_at`;
const DELETE_ONE = "DELETE FROM kv WHERE key = ? RETURNING expires_at";
const DELETE_EXPIRED_ONE = "DELETE FROM kv WHERE key = ? AND expires_at <= ?";
const PURGE = `DELETE FROM kv WHERE key IN (
  SELECT key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?
)`;

/**
 * Every kv write makes one change (an upsert or a delete; the purge of
 * expired keys before it is invisible, and increment's checks throw before
 * it), so none needs a savepoint of its own.
 */
const ONE_CHANGE = { single: true } as const;

/** The latest time a `Date` can hold, in ms since the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * A stored expiry as the stores hand it out: older versions accepted any
 * finite ttl, so a row may hold an expiry no date can show (even Infinity).
 * Such a key is live (it expires after every real date) and reads as never
 * expiring.
 */
function expiryOf(stored: unknown): number | null {
  return typeof stored === "number" && Number.isFinite(stored) && stored <= MAX_DATE_MS
    ? stored
    : null;
}

function checkKey(key: unknown, maxBytes: number): string {
  if (typeof key !== "string" || key === "") {
    throw new FaztError(
      "invalid_input",
      `A kv key must be a non-empty string (got ${describe(key)}).`,
    );
  }
  if (!key.isWellFormed()) {
    throw new FaztError(
      "invalid_input",
      "A kv key must be valid Unicode (it has a lone surrogate).",
    );
  }
  const size = utf8Length(key);
  if (size > maxBytes) {
    throw new FaztError(
      "invalid_input",
      `A kv key may be at most ${maxBytes} bytes; this one is ${size}. Use a shorter key.`,
      { details: { size, limit: maxBytes } },
    );
  }
  return key;
}

/**
 * Deletes a batch of expired keys inside a write, when the last purge is
 * {@linkcode PURGE_INTERVAL_MS} old (or the clock went back) or
 * {@linkcode PURGE_EVERY_WRITES} writes ago. A full batch leaves more
 * behind, so the next write purges again until the backlog is gone.
 * Expired keys are invisible to every read either way; this only frees
 * their space.
 */
function purgeExpired(w: StoreWriter, state: KvPurgeState, now: number): void {
  state.writes++;
  const last = state.lastAt;
  const due = last === null || now < last || now - last >= PURGE_INTERVAL_MS ||
    state.writes >= PURGE_EVERY_WRITES;
  if (!due) return;
  const deleted = Number(w.prepare(PURGE).run(now, PURGE_BATCH).changes);
  state.writes = 0;
  state.lastAt = deleted < PURGE_BATCH ? now : null;
}

/** Makes the kv store of one app. */
export function createKvStore(ctx: StoreContext): KvStore {
  const { limits, now } = ctx;

  return {
    async get(key) {
      const k = checkKey(key, limits.maxKeyBytes);
      return await ctx.withStore((db) => {
        const row = db.read(SELECT_ONE).get(k) as
          | { value: string; expires_at: number | null }
          | undefined;
        if (!row) return null;
        const at = now();
        if (row.expires_at !== null && row.expires_at <= at) {
          db.write((w) => {
            w.prepare(DELETE_EXPIRED_ONE).run(k, at);
          }).catch(() => undefined);
          return null;
        }
        return JSON.parse(row.value) as unknown;
      });
    },

    async set(key, value, opts = {}) {
      const k = checkKey(key, limits.maxKeyBytes);
      const text = encodeJson(value, `the kv value for ${JSON.stringify(k)}`, limits.maxValueBytes);
      const ttl = opts.ttl;
      if (
        ttl !== undefined &&
        (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS)
      ) {
        throw new FaztError(
          "invalid_input",
          `The ttl must be a positive number of seconds, at most ${MAX_TTL_SECONDS} (10 years) (got ${
            describe(ttl)
          }). Leave it out for a key that never expires.`,
          { details: { max: MAX_TTL_SECONDS } },
        );
      }
      return await ctx.withStore((db) =>
        db.write((w) => {
          const at = now();
          const expiresAt = ttl === undefined ? null : at + Math.max(1, Math.round(ttl * 1000));
          purgeExpired(w, db.kvPurge, at);
          w.prepare(UPSERT).run(k, text, expiresAt, at);
        }, ONE_CHANGE)
      );
    },

    async delete(key) {
      const k = checkKey(key, limits.maxKeyBytes);
      return await ctx.withStore((db) =>
        db.write((w) => {
          const at = now();
          purgeExpired(w, db.kvPurge, at);
          const row = w.prepare(DELETE_ONE).get(k) as
            | { expires_at: number | null }
            | undefined;
          return row !== undefined && (row.expires_at === null || row.expires_at > at);
        }, ONE_CHANGE)
      );
    },

    async list(opts = {}) {
      const prefix = checkPrefix(opts.prefix, limits.maxKeyBytes, "kv");
      const limit = listLimit(opts.limit, DEFAULT_LIST_LIMIT, limits.maxListLimit, "kv list");
      const after = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
      return await ctx.withStore((db) => {
        const range = prefixRange("key", prefix);
        const rows = db.read(
          `SELECT key, expires_at FROM kv
           WHERE ${range.sql}${after === null ? "" : " AND key > ?"}
             AND (expires_at IS NULL OR expires_at > ?)
           ORDER BY key LIMIT ?`,
        ).all(...range.params, ...(after === null ? [] : [after]), now(), limit + 1) as {
          key: string;
          expires_at: number | null;
        }[];
        const more = rows.length > limit;
        const keys = rows.slice(0, limit).map((r) => ({
          key: r.key,
          expiresAt: expiryOf(r.expires_at),
        }));
        return { keys, cursor: more ? encodeCursor(keys[keys.length - 1].key) : null };
      });
    },

    async increment(key, by = 1) {
      const k = checkKey(key, limits.maxKeyBytes);
      if (typeof by !== "number" || !Number.isFinite(by)) {
        throw new FaztError(
          "invalid_input",
          `increment() adds a finite number (got ${describe(by)}).`,
        );
      }
      return await ctx.withStore((db) =>
        db.write((w) => {
          const at = now();
          const row = w.prepare(SELECT_ONE).get(k) as
            | { value: string; expires_at: number | null }
            | undefined;
          const live = row !== undefined && (row.expires_at === null || row.expires_at > at);
          let current = 0;
          if (live) {
            const value = JSON.parse(row.value) as unknown;
            if (typeof value !== "number") {
              throw new FaztError(
                "invalid_input",
                `The kv key ${JSON.stringify(k)} holds ${
                  Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`
                }, not a number, so it cannot be incremented. Set it to a number first.`,
              );
            }
            current = value;
          }
          const next = current + by;
          if (!Number.isFinite(next)) {
            throw new FaztError(
              "invalid_input",
              `Incrementing ${JSON.stringify(k)} by ${by} leaves the range of numbers.`,
            );
          }
          purgeExpired(w, db.kvPurge, at);
          w.prepare(UPSERT).run(
            k,
            JSON.stringify(next),
            live ? expiryOf(row.expires_at) : null,
            at,
          );
          return next;
        }, ONE_CHANGE)
      );
    },
  };
}
