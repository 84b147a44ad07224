/**
 * The network breaker. Every byte an app serves (response bodies) and
 * fetches (egress guard responses) is counted per app per calendar month
 * (UTC), so one runaway app cannot spend the server's monthly transfer
 * allowance. An owner can set a monthly limit per app; once an app's
 * served + fetched bytes exceed it, {@linkcode EgressMeter.overLimit} turns
 * true and the kernel refuses that app's traffic with a 429 until the month
 * ends (see {@linkcode EgressMeter.limitError}).
 *
 * Counting is an in-memory map update on the request path; a periodic
 * {@linkcode EgressMeter.flush} adds the buffered bytes to the
 * `app_egress` table, so totals survive restarts. Each app's month total is
 * loaded from SQLite the first time the app is touched in a month (one
 * indexed read) and kept in memory afterwards, so `overLimit` is O(1) and
 * apps without a limit never touch the database at all.
 *
 * Tables (kernel migration 3): `app_egress(app_id, month 'YYYY-MM',
 * served_bytes, fetched_bytes)` and `app_limits(app_id,
 * egress_monthly_bytes)`, both deleted with their app.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import type { StatementSync } from "node:sqlite";
import { FaztError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";

/** One app's traffic for one month. */
export interface EgressUsage {
  /** The calendar month, UTC, as `YYYY-MM`. */
  month: string;
  /** Response bytes the app served. */
  servedBytes: number;
  /** Bytes the app fetched through the egress guard. */
  fetchedBytes: number;
  /** The app's monthly limit on served + fetched bytes, or null for none. */
  limitBytes: number | null;
}

/** {@linkcode EgressUsage} with the app it belongs to. */
export interface AppEgressUsage extends EgressUsage {
  /** The app's ID. */
  appId: string;
}

/** The network breaker. */
export interface EgressMeter {
  /** Counts response bytes an app served (hot path: a map update). */
  served(appId: string, bytes: number): void;
  /** Counts bytes an app fetched through the egress guard. */
  fetched(appId: string, bytes: number): void;
  /**
   * True when the app's served + fetched bytes this month exceed its limit.
   * O(1) after the app's first use; false for apps without a limit, which
   * never touch the database.
   */
  overLimit(appId: string): boolean;
  /**
   * The 429 error for an app over its limit, with `Retry-After` set to the
   * start of next month. Build the response with `errorResponse(...)`.
   */
  limitError(appId: string): FaztError;
  /** Throws {@linkcode limitError} when the app is over its limit. */
  assertWithinLimit(appId: string): void;
  /** The app's monthly limit in bytes, or null when it has none. */
  limit(appId: string): number | null;
  /**
   * Sets (a whole number of bytes ≥ 0) or clears (null) an app's monthly
   * limit. Throws `not_found` for an unknown app, `invalid_input` for a bad
   * number.
   */
  setLimit(appId: string, bytes: number | null): Promise<void>;
  /** The app's usage this month, including unflushed bytes. */
  usage(appId: string): EgressUsage;
  /** Usage of every existing app with traffic this month, by app ID. */
  usageAll(): AppEgressUsage[];
  /** Adds buffered bytes to the database and prunes months past retention. */
  flush(): Promise<void>;
  /** Drops what is held in memory for an app (call after deleting it; optional). */
  forget(appId: string): void;
}

/** Options for {@linkcode createEgressMeter}. */
export interface EgressMeterOptions {
  /** The kernel database (schema version 3 or later). */
  db: Database;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
  /** Months kept in `app_egress`, the current one included. Default 13. */
  keepMonths?: number;
}

/** Bytes not yet written, for one app and month. */
interface Delta {
  appId: string;
  month: string;
  served: number;
  fetched: number;
}

/** An app's totals for the current month: stored + everything counted since. */
interface Entry {
  served: number;
  fetched: number;
  /** The delta currently collecting this app's bytes, if any. */
  delta: Delta | null;
}

/** The calendar month (UTC) containing `ms`, with its bounds. */
export function monthOf(ms: number): { month: string; start: number; end: number } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    month: `${String(y).padStart(4, "0")}-${String(m + 1).padStart(2, "0")}`,
    start: Date.UTC(y, m, 1),
    end: Date.UTC(y, m + 1, 1),
  };
}

/** Creates the egress meter. */
export function createEgressMeter(options: EgressMeterOptions): EgressMeter {
  const { db } = options;
  const now = options.now ?? Date.now;
  const keepMonths = Math.max(1, options.keepMonths ?? 13);

  let month = "";
  let monthStart = 0;
  let monthEnd = 0;
  let entries = new Map<string, Entry>();
  const limits = new Map<string, number | null>();
  let pending: Delta[] = [];

  const statements = new Map<string, StatementSync>();
  function read(sql: string): StatementSync {
    let s = statements.get(sql);
    if (!s) statements.set(sql, s = db.read.prepare(sql));
    return s;
  }

  /** Rolls the month over when the clock has left it; returns the current month. */
  function current(): string {
    const t = now();
    if (t >= monthEnd || t < monthStart) {
      const m = monthOf(t);
      month = m.month;
      monthStart = m.start;
      monthEnd = m.end;
      entries = new Map();
    }
    return month;
  }

  function entry(appId: string): Entry {
    current();
    let e = entries.get(appId);
    if (!e) {
      // Every app with unflushed bytes this month has an entry, so the stored
      // row is exactly what is not in memory yet.
      const row = read(
        "SELECT served_bytes AS s, fetched_bytes AS f FROM app_egress WHERE app_id = ? AND month = ?",
      ).get(appId, month) as { s: number; f: number } | undefined;
      e = { served: row?.s ?? 0, fetched: row?.f ?? 0, delta: null };
      entries.set(appId, e);
    }
    return e;
  }

  function delta(appId: string, e: Entry): Delta {
    if (!e.delta) {
      e.delta = { appId, month, served: 0, fetched: 0 };
      pending.push(e.delta);
    }
    return e.delta;
  }

  function valid(bytes: number): boolean {
    return bytes > 0 && Number.isFinite(bytes);
  }

  function limit(appId: string): number | null {
    let l = limits.get(appId);
    if (l === undefined) {
      const row = read("SELECT egress_monthly_bytes AS l FROM app_limits WHERE app_id = ?")
        .get(appId) as { l: number | null } | undefined;
      l = row?.l ?? null;
      limits.set(appId, l);
    }
    return l;
  }

  function overLimit(appId: string): boolean {
    const l = limit(appId);
    if (l === null) return false;
    const e = entry(appId);
    return e.served + e.fetched > l;
  }

  function usage(appId: string): EgressUsage {
    const e = entry(appId);
    return { month, servedBytes: e.served, fetchedBytes: e.fetched, limitBytes: limit(appId) };
  }

  function limitError(appId: string): FaztError {
    const u = usage(appId);
    const retryAfter = Math.max(1, Math.ceil((monthEnd - now()) / 1000));
    const used = u.servedBytes + u.fetchedBytes;
    return new FaztError(
      "rate_limited",
      `This app has used ${formatBytes(used)} of its ${
        formatBytes(u.limitBytes ?? 0)
      } monthly traffic limit, so it is paused until ${
        new Date(monthEnd).toISOString().slice(0, 10)
      } (UTC). The owner can raise or remove the limit.`,
      {
        details: {
          app: appId,
          month: u.month,
          servedBytes: u.servedBytes,
          fetchedBytes: u.fetchedBytes,
          limitBytes: u.limitBytes,
          resetsAt: new Date(monthEnd).toISOString(),
        },
        headers: { "retry-after": String(retryAfter) },
      },
    );
  }

  return {
    served(appId, bytes) {
      if (!valid(bytes)) return;
      const e = entry(appId);
      e.served += bytes;
      delta(appId, e).served += bytes;
    },
    fetched(appId, bytes) {
      if (!valid(bytes)) return;
      const e = entry(appId);
      e.fetched += bytes;
      delta(appId, e).fetched += bytes;
    },
    overLimit,
    limitError,
    assertWithinLimit(appId) {
      if (overLimit(appId)) throw limitError(appId);
    },
    limit,
    async setLimit(appId, bytes) {
      if (bytes !== null && !(Number.isSafeInteger(bytes) && bytes >= 0)) {
        throw new FaztError(
          "invalid_input",
          `The monthly traffic limit must be a whole number of bytes, 0 or more (or null to remove it); got ${bytes}.`,
          { details: { app: appId, limitBytes: bytes } },
        );
      }
      await db.write((w) => {
        if (!w.prepare("SELECT 1 FROM apps WHERE id = ?").get(appId)) {
          throw new FaztError(
            "not_found",
            `No app has the ID "${appId}". Run \`fazt app list\` to see your apps.`,
            { details: { app: appId } },
          );
        }
        if (bytes === null) {
          // The row may hold the app's other limits (memory): clear only this one.
          w.prepare("UPDATE app_limits SET egress_monthly_bytes = NULL WHERE app_id = ?").run(
            appId,
          );
          w.prepare(
            "DELETE FROM app_limits WHERE app_id = ? AND egress_monthly_bytes IS NULL AND memory_bytes IS NULL",
          ).run(appId);
        } else {
          w.prepare(
            `INSERT INTO app_limits (app_id, egress_monthly_bytes) VALUES (?, ?)
             ON CONFLICT (app_id) DO UPDATE SET egress_monthly_bytes = excluded.egress_monthly_bytes`,
          ).run(appId, bytes);
        }
      });
      limits.set(appId, bytes);
    },
    usage,
    usageAll() {
      current();
      const out = new Map<string, AppEgressUsage>();
      const rows = read(
        `SELECT e.app_id AS appId, e.served_bytes AS s, e.fetched_bytes AS f
         FROM app_egress e JOIN apps a ON a.id = e.app_id WHERE e.month = ?`,
      ).all(month) as { appId: string; s: number; f: number }[];
      for (const r of rows) {
        // An app with an entry is authoritative in memory (stored + unflushed).
        const u = entries.has(r.appId) ? usage(r.appId) : {
          month,
          servedBytes: r.s,
          fetchedBytes: r.f,
          limitBytes: limit(r.appId),
        };
        out.set(r.appId, { appId: r.appId, ...u });
      }
      const exists = read("SELECT 1 FROM apps WHERE id = ?");
      for (const [appId, e] of entries) {
        if (out.has(appId) || e.served + e.fetched === 0 || !exists.get(appId)) continue;
        out.set(appId, { appId, ...usage(appId) });
      }
      return [...out.values()].sort((a, b) => a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0);
    },
    async flush() {
      current();
      const batch = pending;
      pending = [];
      for (const d of batch) {
        const e = entries.get(d.appId);
        if (e?.delta === d) e.delta = null;
      }
      const [y, m] = month.split("-").map(Number);
      const oldest = monthOf(Date.UTC(y, m - keepMonths, 1)).month;
      try {
        await db.write((w) => {
          const upsert = w.prepare(
            `INSERT INTO app_egress (app_id, month, served_bytes, fetched_bytes)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM apps WHERE id = ?1)
             ON CONFLICT (app_id, month) DO UPDATE SET
               served_bytes = served_bytes + excluded.served_bytes,
               fetched_bytes = fetched_bytes + excluded.fetched_bytes`,
          );
          for (const d of batch) upsert.run(d.appId, d.month, d.served, d.fetched);
          w.prepare("DELETE FROM app_egress WHERE month < ?").run(oldest);
        });
      } catch (err) {
        // Keep the bytes for the next flush; deltas add up, so order is irrelevant.
        pending = batch.concat(pending);
        throw err;
      }
    },
    forget(appId) {
      entries.delete(appId);
      limits.delete(appId);
      pending = pending.filter((d) => d.appId !== appId);
    },
  };
}
