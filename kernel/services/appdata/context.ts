/**
 * What the per-app stores share: their limits, the clock, access to the
 * app's open database handles, and the small validators every store uses
 * (list limits, key prefixes, opaque cursors).
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import type { AppStore } from "./app_store.ts";
import { describe, utf8Length } from "../../core/text.ts";
import type { AppSql } from "./sql/sql_process.ts";

/** Size and count limits of app data. Every field is configurable. */
export interface AppDataLimits {
  /** Longest kv key, in UTF-8 bytes. */
  maxKeyBytes: number;
  /** Largest kv value, in bytes of its JSON text. */
  maxValueBytes: number;
  /** Largest document, in bytes of its JSON text. */
  maxDocBytes: number;
  /** Largest blob, in bytes. */
  maxBlobBytes: number;
  /** Longest blob path, in UTF-8 bytes. */
  maxBlobPathBytes: number;
  /** Most entries one kv or blob `list` call returns. */
  maxListLimit: number;
  /** Most documents one `find` returns (also its default limit). */
  maxFindLimit: number;
  /** Most documents one `insert` call takes. */
  maxInsertBatch: number;
  /** Most conditions (field comparisons and `$in` elements) in one filter. */
  maxFilterConditions: number;
  /** Longest SQL statement, in UTF-8 bytes. */
  maxSqlBytes: number;
  /** Most rows one SQL query returns. */
  maxSqlRows: number;
  /**
   * Largest result of one SQL query, in bytes (column names plus values:
   * text as UTF-8, bytes as is, 8 per number or null).
   */
  maxSqlResultBytes: number;
  /** Longest one SQL call may run, in ms; then the app's SQL process is killed. */
  sqlTimeoutMs: number;
}

/** The default limits. */
export const DEFAULT_APPDATA_LIMITS: Readonly<AppDataLimits> = Object.freeze({
  maxKeyBytes: 512,
  maxValueBytes: 1024 * 1024,
  maxDocBytes: 1024 * 1024,
  maxBlobBytes: 50 * 1024 * 1024,
  maxBlobPathBytes: 1024,
  maxListLimit: 1000,
  maxFindLimit: 1000,
  maxInsertBatch: 1000,
  maxFilterConditions: 256,
  maxSqlBytes: 100 * 1024,
  maxSqlRows: 10_000,
  maxSqlResultBytes: 8 * 1024 * 1024,
  sqlTimeoutMs: 5000,
});

/** The default number of entries a kv or blob `list` returns. */
export const DEFAULT_LIST_LIMIT = 100;

/** What every per-app store gets from the service. */
export interface StoreContext {
  /** The app the store belongs to. */
  readonly appId: string;
  /** The effective limits. */
  readonly limits: Readonly<AppDataLimits>;
  /** The clock, in ms since the epoch. */
  readonly now: () => number;
  /**
   * Runs `fn` with the app's `store.db`, opening it if needed. `fn` must
   * start its reads and queue its writes synchronously (before awaiting).
   */
  withStore<T>(fn: (db: AppStore) => T | Promise<T>): Promise<T>;
  /**
   * Runs `fn` with the app's SQL (its own process, started if needed); the
   * app's files stay open until `fn` settles.
   */
  withSql<T>(fn: (sql: AppSql) => Promise<T>): Promise<T>;
}

/** Merges `overrides` over the defaults, refusing values that are not positive integers. */
export function resolveLimits(overrides: Partial<AppDataLimits> = {}): Readonly<AppDataLimits> {
  const limits: AppDataLimits = { ...DEFAULT_APPDATA_LIMITS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in DEFAULT_APPDATA_LIMITS)) {
      throw new FaztError("invalid_input", `"${name}" is not an app data limit.`, {
        details: { known: Object.keys(DEFAULT_APPDATA_LIMITS) },
      });
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new FaztError(
        "invalid_input",
        `The app data limit "${name}" must be a positive integer (got ${String(value)}).`,
      );
    }
    limits[name as keyof AppDataLimits] = value;
  }
  return Object.freeze(limits);
}

/**
 * Validates an optional list limit: a whole number from 1 to `max`,
 * `fallback` when absent.
 */
export function listLimit(value: unknown, fallback: number, max: number, what: string): number {
  if (value === undefined) return Math.min(fallback, max);
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new FaztError(
      "invalid_input",
      `The ${what} limit must be a whole number from 1 to ${max} (got ${describe(value)}).`,
    );
  }
  return value;
}

/** Validates an optional prefix: a well-formed string of at most `maxBytes` UTF-8 bytes. */
export function checkPrefix(value: unknown, maxBytes: number, what: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string" || !value.isWellFormed() || utf8Length(value) > maxBytes) {
    throw new FaztError(
      "invalid_input",
      `The ${what} prefix must be a string of at most ${maxBytes} bytes.`,
    );
  }
  return value;
}

/**
 * The SQL condition (and its parameters) selecting the values of `column`
 * that start with `prefix`, as an index-friendly range: every such value is
 * `>= prefix` and `<` the prefix with its last character incremented
 * (SQLite compares text by UTF-8 bytes, which orders like code points).
 * `column` is always a constant of this module's callers, never user input.
 */
export function prefixRange(column: string, prefix: string): { sql: string; params: string[] } {
  if (prefix === "") return { sql: "1", params: [] };
  const chars = Array.from(prefix);
  while (chars.length > 0) {
    let cp = chars.pop()!.codePointAt(0)! + 1;
    if (cp === 0xd800) cp = 0xe000;
    if (cp <= 0x10ffff) {
      const upper = chars.join("") + String.fromCodePoint(cp);
      return { sql: `(${column} >= ? AND ${column} < ?)`, params: [prefix, upper] };
    }
  }
  return { sql: `${column} >= ?`, params: [prefix] };
}

/** Encodes a position (the last key returned) as an opaque cursor. */
export function encodeCursor(key: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(key)) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes a cursor made by {@linkcode encodeCursor}; anything else is `invalid_input`. */
export function decodeCursor(cursor: unknown): string {
  const bad = () =>
    new FaztError(
      "invalid_input",
      "The cursor is not valid. Pass the `cursor` returned by the previous list call, unchanged.",
    );
  if (typeof cursor !== "string" || cursor === "" || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw bad();
  }
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw bad();
  }
}
