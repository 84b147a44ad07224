/**
 * Per-app logs, keyed by app ID (so a rename keeps them). Entries are held
 * in memory and written in batches (never a write per request), pruned to a
 * bounded number per app, and pushed at once to live subscribers (the SSE
 * tail).
 *
 * @module
 */
import type { Database } from "../../store/database.ts";

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** One log entry. */
export interface LogEntry {
  /** The app it belongs to. */
  appId: string;
  /** Time (ms). */
  at: number;
  /** Severity. */
  level: LogLevel;
  /** `kernel` for fazt's own events, `app` for the app's console. */
  source: "kernel" | "app";
  /** The text (at most 8 KiB). */
  message: string;
  /** The request it came from, if any. */
  requestId: string | null;
}

/** Filters for {@linkcode LogService.query}. */
export interface LogQuery {
  /** Entries at or after this time (ms). */
  since?: number;
  /** At least this level. */
  level?: LogLevel;
  /** Text the message contains (case-insensitive). */
  contains?: string;
  /** At most this many, newest kept (default 100). */
  limit?: number;
}

/** The log service. */
export interface LogService {
  /** Records an entry (buffered) and tells live subscribers. */
  append(entry: Omit<LogEntry, "at"> & { at?: number }): void;
  /** Entries of an app, oldest first. */
  query(appId: string, q?: LogQuery): LogEntry[];
  /** Calls `fn` for every new entry of an app until the returned function is called. */
  subscribe(appId: string, fn: (entry: LogEntry) => void): () => void;
  /** Writes buffered entries and prunes. */
  flush(): Promise<void>;
}

/** Options for {@linkcode createLogService}. */
export interface LogServiceOptions {
  /** The kernel database. */
  db: Database;
  /** Entries kept per app. */
  maxPerApp: number;
  /** Clock, for tests. */
  now?: () => number;
}

const MAX_MESSAGE = 8 * 1024;

/** Creates the log service. */
export function createLogService(options: LogServiceOptions): LogService {
  const { db, maxPerApp } = options;
  const now = options.now ?? Date.now;
  let pending: LogEntry[] = [];
  const subscribers = new Map<string, Set<(e: LogEntry) => void>>();

  return {
    append(input) {
      const entry: LogEntry = {
        ...input,
        at: input.at ?? now(),
        message: input.message.length > MAX_MESSAGE
          ? input.message.slice(0, MAX_MESSAGE) + "…"
          : input.message,
      };
      pending.push(entry);
      for (const fn of subscribers.get(entry.appId) ?? []) fn(entry);
    },
    query(appId, q = {}) {
      const minLevel = LOG_LEVELS.indexOf(q.level ?? "debug");
      const levels = LOG_LEVELS.slice(minLevel);
      const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
      const stored = (db.read.prepare(
        `SELECT app_id, at, level, source, message, request_id FROM app_logs
         WHERE app_id = ? AND at >= ? AND level IN (${levels.map(() => "?").join(",")})
           AND (? IS NULL OR instr(lower(message), lower(?)) > 0)
         ORDER BY id DESC LIMIT ?`,
      ).all(appId, q.since ?? 0, ...levels, q.contains ?? null, q.contains ?? null, limit) as {
        app_id: string;
        at: number;
        level: LogLevel;
        source: "kernel" | "app";
        message: string;
        request_id: string | null;
      }[]).reverse().map((r): LogEntry => ({
        appId: r.app_id,
        at: r.at,
        level: r.level,
        source: r.source,
        message: r.message,
        requestId: r.request_id,
      }));
      const fresh = pending.filter((e) =>
        e.appId === appId && e.at >= (q.since ?? 0) && levels.includes(e.level) &&
        (!q.contains || e.message.toLowerCase().includes(q.contains.toLowerCase()))
      );
      return [...stored, ...fresh].slice(-limit);
    },
    subscribe(appId, fn) {
      let set = subscribers.get(appId);
      if (!set) subscribers.set(appId, set = new Set());
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0) subscribers.delete(appId);
      };
    },
    async flush() {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      const apps = new Set(batch.map((e) => e.appId));
      await db.write((w) => {
        const insert = w.prepare(
          `INSERT INTO app_logs (app_id, at, level, source, message, request_id)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM apps WHERE id = ?1)`,
        );
        for (const e of batch) {
          insert.run(e.appId, e.at, e.level, e.source, e.message, e.requestId);
        }
        const prune = w.prepare(
          `DELETE FROM app_logs WHERE app_id = ?1 AND id <= (
             SELECT id FROM app_logs WHERE app_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`,
        );
        for (const appId of apps) prune.run(appId, maxPerApp);
      });
    },
  };
}
