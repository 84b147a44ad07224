/**
 * Exponential backoff per key (an address, an account, a device), held in
 * memory and bounded in size. Each counted attempt is a failure until the
 * caller forgets the key; after `free` failures every further attempt must
 * wait `baseMs`, then twice as long, and so on up to `maxMs`. Nothing ever
 * locks for longer than `maxMs` after the last attempt, and a key that saw
 * no attempt for `forgetAfterMs` starts afresh.
 *
 * Used by the login throttle (`login_throttle.ts`): the delay is answered
 * (429 + `Retry-After`) rather than slept, so a refused attempt costs the
 * server nothing.
 *
 * @module
 */

/** How a {@linkcode Backoff} grows its delays. */
export interface BackoffPolicy {
  /** Failures allowed with no delay. */
  free: number;
  /** The first delay, after `free` failures (ms). */
  baseMs: number;
  /** The longest delay (ms). */
  maxMs: number;
  /** A key with no attempt for this long is forgotten (ms). */
  forgetAfterMs: number;
}

/** Exponential backoff for many keys. */
export interface Backoff {
  /** How long `key` must still wait before its next attempt (ms; 0 = now). */
  waitMs(key: string): number;
  /** Failures counted for `key` now. */
  failures(key: string): number;
  /** Counts one failed attempt for `key` (callers count before they know the outcome). */
  fail(key: string): void;
  /**
   * Restarts the wait of a tracked `key` from now without counting a
   * failure (an attempt that must wait its turn but may not raise the delay).
   */
  touch(key: string): void;
  /** Forgets `key` (after a success). */
  forget(key: string): void;
  /** Forgets every key. */
  clear(): void;
  /** Keys tracked now. */
  size(): number;
}

/** Options for {@linkcode createBackoff}. */
export interface BackoffOptions extends BackoffPolicy {
  /** Keys tracked at most (default 10,000). */
  maxKeys?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  failures: number;
  lastAt: number;
}

/** How many of the least recently used keys eviction looks at for one still in its free failures. */
const EVICTION_SCAN = 256;

/** The delay owed after `failures` failures under `policy` (ms). */
export function backoffDelayMs(policy: BackoffPolicy, failures: number): number {
  if (failures < policy.free) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (failures - policy.free));
}

/**
 * Creates a backoff. Keys live in one map ordered by their last attempt.
 * Each attempt drops the oldest key once it is forgotten, so idle keys do
 * not linger; when the map is full a new key evicts the least recently
 * used key that is still in its free failures (so a flood of one-off keys
 * cannot push out a key under attack), else the least recently used one.
 */
export function createBackoff(options: BackoffOptions): Backoff {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const entries = new Map<string, Entry>();

  function live(key: string, t: number): Entry | undefined {
    const e = entries.get(key);
    if (e && t - e.lastAt >= options.forgetAfterMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  }

  function evictOne(): void {
    let scanned = 0;
    for (const [key, e] of entries) {
      if (e.failures < options.free) {
        entries.delete(key);
        return;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    entries.delete(entries.keys().next().value!);
  }

  return {
    waitMs(key) {
      const t = now();
      const e = live(key, t);
      if (!e) return 0;
      return Math.max(0, e.lastAt + backoffDelayMs(options, e.failures) - t);
    },
    failures: (key) => live(key, now())?.failures ?? 0,
    fail(key) {
      const t = now();
      const oldest = entries.entries().next().value;
      if (oldest && oldest[0] !== key && t - oldest[1].lastAt >= options.forgetAfterMs) {
        entries.delete(oldest[0]);
      }
      const e = live(key, t);
      if (e) entries.delete(key);
      else if (entries.size >= maxKeys) evictOne();
      entries.set(key, { failures: (e?.failures ?? 0) + 1, lastAt: t });
    },
    touch(key) {
      const t = now();
      const e = live(key, t);
      if (!e) return;
      entries.delete(key);
      entries.set(key, { failures: e.failures, lastAt: t });
    },
    forget: (key) => void entries.delete(key),
    clear: () => entries.clear(),
    size: () => entries.size,
  };
}
