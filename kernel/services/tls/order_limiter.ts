/**
 * How many ACME orders fazt places: at most a few at once (the others wait
 * their turn, first come first served) and, for orders a TLS hello starts,
 * a token bucket, so a stream of hellos for ever new names can never make
 * fazt flood the CA (Let's Encrypt allows 300 new orders per 3 hours per
 * account; the defaults stay far below).
 *
 * @module
 */

/** The limits. */
export interface OrderLimits {
  /** Orders in flight at once. */
  concurrent: number;
  /** New orders per hour, sustained (the bucket's refill rate). */
  perHour: number;
  /** New orders at once after a quiet time (the bucket's size). */
  burst: number;
}

/** The defaults: 2 at once, 30 per hour, bursts of 10. */
export const DEFAULT_ORDER_LIMITS: Readonly<OrderLimits> = Object.freeze({
  concurrent: 2,
  perHour: 30,
  burst: 10,
});

/** An order limiter. */
export interface OrderLimiter {
  /** Takes a token for a new order; false when the bucket is empty (order nothing now). */
  admit(): boolean;
  /** Runs `fn` once fewer than `concurrent` orders run. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** Creates an order limiter. */
export function createOrderLimiter(
  limits: OrderLimits,
  now: () => number = Date.now,
): OrderLimiter {
  let tokens = limits.burst;
  let refilledAt = now();
  let running = 0;
  const waiting: (() => void)[] = [];

  return {
    admit() {
      const t = now();
      tokens = Math.min(limits.burst, tokens + (t - refilledAt) * limits.perHour / 3_600_000);
      refilledAt = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    async run(fn) {
      if (running >= limits.concurrent) await new Promise<void>((r) => waiting.push(r));
      else running++;
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}
