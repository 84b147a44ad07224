/**
 * Per-app traffic accounting: request counts, bytes served and status
 * classes, counted in memory on the request path and written to SQLite in
 * hourly buckets by a periodic flush (never a write per request). Old
 * buckets are pruned so the table stays bounded.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";

/** Traffic totals. */
export interface TrafficTotals {
  /** Requests answered. */
  requests: number;
  /** Response body bytes sent. */
  bytesOut: number;
  /** Responses by status class. */
  s2xx: number;
  /** 3xx responses. */
  s3xx: number;
  /** 4xx responses. */
  s4xx: number;
  /** 5xx responses. */
  s5xx: number;
}

/** The traffic meter. */
export interface TrafficMeter {
  /** Counts one response (cheap: a map update). */
  record(appId: string, status: number, bytesOut: number): void;
  /** Counts body bytes of a response already recorded (one that streams after its head). */
  addBytes(appId: string, bytesOut: number): void;
  /** Writes buffered counts and prunes old buckets. */
  flush(): Promise<void>;
  /** Totals for an app since a time (ms), including unflushed counts. */
  totals(appId: string, sinceMs: number): TrafficTotals;
}

/** Options for {@linkcode createTrafficMeter}. */
export interface TrafficMeterOptions {
  /** The kernel database. */
  db: Database;
  /** How long hourly buckets are kept (ms). */
  retentionMs: number;
  /** Clock, for tests. */
  now?: () => number;
}

const HOUR = 3_600_000;

function empty(): TrafficTotals {
  return { requests: 0, bytesOut: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0 };
}

/** Creates a traffic meter. */
export function createTrafficMeter(options: TrafficMeterOptions): TrafficMeter {
  const { db, retentionMs } = options;
  const now = options.now ?? Date.now;
  let pending = new Map<string, TrafficTotals>();

  function key(appId: string, hour: number): string {
    return `${hour}|${appId}`;
  }

  /** The counts {@linkcode current} returned last, for the same app within the same hour. */
  let last: { appId: string; hourEnd: number; totals: TrafficTotals } | undefined;

  /** The app's buffered counts for this hour (no key built while one app's hour lasts). */
  function current(appId: string): TrafficTotals {
    const t = now();
    if (
      last !== undefined && last.appId === appId && t < last.hourEnd && t >= last.hourEnd - HOUR
    ) {
      return last.totals;
    }
    const hour = Math.floor(t / HOUR) * HOUR;
    const k = key(appId, hour);
    let totals = pending.get(k);
    if (!totals) pending.set(k, totals = empty());
    last = { appId, hourEnd: hour + HOUR, totals };
    return totals;
  }

  return {
    record(appId, status, bytesOut) {
      const t = current(appId);
      t.requests++;
      t.bytesOut += bytesOut;
      if (status < 300) t.s2xx++;
      else if (status < 400) t.s3xx++;
      else if (status < 500) t.s4xx++;
      else t.s5xx++;
    },
    addBytes(appId, bytesOut) {
      current(appId).bytesOut += bytesOut;
    },
    async flush() {
      const batch = pending;
      pending = new Map();
      last = undefined;
      const cutoff = now() - retentionMs;
      await db.write((w) => {
        const upsert = w.prepare(
          `INSERT INTO app_traffic (app_id, hour, requests, bytes_out, s2xx, s3xx, s4xx, s5xx)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM apps WHERE id = ?1)
           ON CONFLICT (app_id, hour) DO UPDATE SET requests = requests + excluded.requests,
             bytes_out = bytes_out + excluded.bytes_out, s2xx = s2xx + excluded.s2xx,
             s3xx = s3xx + excluded.s3xx, s4xx = s4xx + excluded.s4xx, s5xx = s5xx + excluded.s5xx`,
        );
        for (const [k, t] of batch) {
          const [hour, appId] = k.split("|");
          upsert.run(appId, Number(hour), t.requests, t.bytesOut, t.s2xx, t.s3xx, t.s4xx, t.s5xx);
        }
        w.prepare("DELETE FROM app_traffic WHERE hour < ?").run(cutoff);
      });
    },
    totals(appId, sinceMs) {
      const row = db.read.prepare(
        `SELECT coalesce(sum(requests),0) AS requests, coalesce(sum(bytes_out),0) AS bytesOut,
           coalesce(sum(s2xx),0) AS s2xx, coalesce(sum(s3xx),0) AS s3xx,
           coalesce(sum(s4xx),0) AS s4xx, coalesce(sum(s5xx),0) AS s5xx
         FROM app_traffic WHERE app_id = ? AND hour >= ?`,
      ).get(appId, Math.floor(sinceMs / HOUR) * HOUR) as unknown as TrafficTotals;
      const total = { ...row };
      for (const [k, t] of pending) {
        const [hour, id] = k.split("|");
        if (id !== appId || Number(hour) < Math.floor(sinceMs / HOUR) * HOUR) continue;
        total.requests += t.requests;
        total.bytesOut += t.bytesOut;
        total.s2xx += t.s2xx;
        total.s3xx += t.s3xx;
        total.s4xx += t.s4xx;
        total.s5xx += t.s5xx;
      }
      return total;
    },
  };
}
