/**
 * How often an action may happen: fixed-window counters per key (an IP, a
 * token), held in memory and bounded in size. Used for setup attempts and
 * deploys. (Requests per client IP are the IP rate limiter's, a token
 * bucket; logins are the login throttle's, an exponential delay.)
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";

/** An action limiter. */
export interface ActionLimiter {
  /** Counts one event for `key`; throws `rate_limited` once over the limit. */
  hit(key: string): void;
  /** Throws `rate_limited` when `key` is over the limit, without counting. */
  check(key: string): void;
  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void;
}

/** Options for {@linkcode createActionLimiter}. */
export interface ActionLimiterOptions {
  /** Events allowed per window. */
  limit: number;
  /** Window length (ms). */
  windowMs: number;
  /** What is being limited, for the error message ("login attempts"). */
  what: string;
  /** Keys tracked at most (oldest windows are dropped first). */
  maxKeys?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Creates an action limiter. */
export function createActionLimiter(options: ActionLimiterOptions): ActionLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const windows = new Map<string, { count: number; resetAt: number }>();

  function current(key: string): { count: number; resetAt: number } {
    const t = now();
    let w = windows.get(key);
    if (!w || w.resetAt <= t) {
      windows.delete(key);
      if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
      w = { count: 0, resetAt: t + options.windowMs };
      windows.set(key, w);
    }
    return w;
  }

  function refuse(w: { resetAt: number }): never {
    const seconds = Math.max(1, Math.ceil((w.resetAt - now()) / 1000));
    throw new FaztError(
      "rate_limited",
      `Too many ${options.what}. Try again in ${seconds} seconds.`,
      { details: { retryAfterSeconds: seconds }, headers: { "retry-after": String(seconds) } },
    );
  }

  return {
    hit(key) {
      const w = current(key);
      if (w.count >= options.limit) refuse(w);
      w.count++;
    },
    check(key) {
      const w = current(key);
      if (w.count >= options.limit) refuse(w);
    },
    reset: (key) => void windows.delete(key),
  };
}
