/**
 * Per-IP rate limit for user (app) traffic: one token bucket per client,
 * refilled at `rate` requests per second up to `burst`. A request costs one
 * token; with none left it is refused with {@linkcode rateLimitedError}
 * (429 + `Retry-After`) and costs nothing else.
 *
 * - **Keys**: IPv4 addresses as they are; IPv6 addresses by their /64
 *   prefix (one host or home usually owns a whole /64, so per-address
 *   buckets would be free to multiply); IPv4-mapped IPv6 as IPv4.
 * - **O(1)**: one map lookup and re-insertion per request. The map's order is
 *   least recently seen first; each request also drops the oldest bucket if
 *   it has refilled (a full bucket is the same as no bucket), so the map
 *   shrinks back to the active clients.
 * - **Bounded**: at most `maxIps` buckets (default 10,000, about 1 MB); a new
 *   client past that evicts the least recently seen one, so a flood of
 *   distinct (spoofed-looking) addresses cannot grow memory.
 * - **Loopback exempt**: a request whose client IP is the loopback peer
 *   itself (no trusted proxy header) is never limited: without
 *   `--trust-proxy` a local reverse proxy or benchmark tool would put every
 *   visitor into one bucket.
 *
 * @example
 * ```ts
 * const limiter = createIpRateLimiter({ rate: 100 });
 * const wait = limiter.take(clientIp, peer);
 * if (wait > 0) throw rateLimitedError(wait); // the HTTP layer renders it: 429
 * ```
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";

/** Seconds of the sustained rate a client may spend at once: burst = rate × this. */
export const RATE_BURST_SECONDS = 4;

/** Clients tracked at most by default. */
export const DEFAULT_MAX_IPS = 10_000;

/** Counters of the limiter. */
export interface IpRateLimiterStats {
  /** Requests per second per client (0: off). */
  rate: number;
  /** Requests a client may send at once. */
  burst: number;
  /** Clients (IPv4 addresses, IPv6 /64s) with a bucket now. */
  trackedIps: number;
  /** Clients tracked at most. */
  maxIps: number;
  /** Requests refused with 429 since start. */
  limited: number;
  /** Buckets dropped early to stay under `maxIps`. */
  evicted: number;
}

/** The per-IP rate limiter. */
export interface IpRateLimiter {
  /** False when the rate is 0 (every request is admitted without a lookup). */
  readonly enabled: boolean;
  /**
   * Takes one token for the client `ip`; returns 0 when the request is
   * admitted, else the whole seconds to wait (at least 1). `peer` is the
   * connection's address: when `ip` is that peer (no trusted proxy header)
   * and it is loopback, or there is no peer (in-process), the request is
   * exempt.
   */
  take(ip: string, peer: string | undefined): number;
  /** Current counters. */
  stats(): IpRateLimiterStats;
}

/** Options for {@linkcode createIpRateLimiter}. */
export interface IpRateLimiterOptions {
  /** Requests per second per client; 0 turns the limiter off. */
  rate: number;
  /** Requests a client may send at once. Default `rate × RATE_BURST_SECONDS`. */
  burst?: number;
  /** Clients tracked at most. Default 10,000. */
  maxIps?: number;
  /** Monotonic clock in ms, for tests. Default `performance.now`. */
  now?: () => number;
}

/** The 8 groups of an IPv6 address as numbers, or null when it is not one. */
function ipv6Groups(ip: string): number[] | null {
  const zone = ip.indexOf("%");
  const addr = zone === -1 ? ip : ip.slice(0, zone);
  const parts = (s: string): string[] => s === "" ? [] : s.split(":");
  const gap = addr.indexOf("::");
  if (gap !== -1 && addr.indexOf("::", gap + 1) !== -1) return null;
  const head = gap === -1 ? parts(addr) : parts(addr.slice(0, gap));
  const tail = gap === -1 ? [] : parts(addr.slice(gap + 2));
  const words: number[][] = [head, tail].map((list) => {
    const out: number[] = [];
    for (const p of list) {
      if (p.includes(".")) {
        const v4 = ipv4Octets(p);
        if (!v4) return [-1];
        out.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return [-1];
    }
    return out;
  });
  if (words[0].includes(-1) || words[1].includes(-1)) return null;
  const n = words[0].length + words[1].length;
  if (gap === -1 ? n !== 8 : n > 7) return null;
  return [...words[0], ...new Array<number>(8 - n).fill(0), ...words[1]];
}

function ipv4Octets(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

/** An address without brackets, port or zone: `[::1]:80` → `::1`, `1.2.3.4:80` → `1.2.3.4`. */
function bare(ip: string): string {
  const s = ip.trim();
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    return end === -1 ? s.slice(1) : s.slice(1, end);
  }
  const colon = s.indexOf(":");
  if (colon !== -1 && s.indexOf(":", colon + 1) === -1) return s.slice(0, colon); // v4:port
  return s;
}

function isMappedV4(g: number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/**
 * The bucket key of a client address: IPv4 as is, IPv6 as its /64 prefix
 * (`2001:db8:1:2::/64`), IPv4-mapped IPv6 as IPv4; anything else (a
 * proxy's `unknown`) as its first 64 characters.
 */
export function rateLimitKey(ip: string): string {
  if (!ip.includes(":") && !ip.includes("[")) return ip.length > 64 ? ip.slice(0, 64) : ip;
  const addr = bare(ip);
  if (!addr.includes(":")) return addr.slice(0, 64);
  const g = ipv6Groups(addr);
  if (!g) return addr.slice(0, 64);
  if (isMappedV4(g)) return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  return `${g.slice(0, 4).map((w) => w.toString(16)).join(":")}::/64`;
}

/** True for 127.0.0.0/8, `::1` and IPv4-mapped 127.x addresses. */
export function isLoopback(ip: string): boolean {
  // Every request asks: the common answers without a regex.
  if (ip === "127.0.0.1" || ip === "::1") return true;
  const addr = bare(ip);
  if (!addr.includes(":")) return addr.startsWith("127.") && ipv4Octets(addr) !== null;
  const g = ipv6Groups(addr);
  if (!g) return false;
  if (isMappedV4(g)) return g[6] >> 8 === 127;
  return g.slice(0, 7).every((w) => w === 0) && g[7] === 1;
}

const errors = new Map<number, FaztError>();

/**
 * The error for a limited request: `rate_limited` (HTTP 429) with
 * `Retry-After` and `details.retryAfterSeconds`. One instance per distinct
 * wait, made once: refusing stays cheap under a flood (a new error costs
 * ~3.5 µs for its stack trace, measured).
 */
export function rateLimitedError(retryAfterSeconds: number): FaztError {
  let err = errors.get(retryAfterSeconds);
  if (err === undefined) {
    const unit = retryAfterSeconds === 1 ? "second" : "seconds";
    err = new FaztError(
      "rate_limited",
      `Too many requests from your address. Try again in ${retryAfterSeconds} ${unit}.`,
      {
        details: Object.freeze({ retryAfterSeconds }),
        headers: Object.freeze({ "retry-after": String(retryAfterSeconds) }),
      },
    );
    if (errors.size < 100) errors.set(retryAfterSeconds, err);
  }
  return err;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Creates the per-IP rate limiter. */
export function createIpRateLimiter(options: IpRateLimiterOptions): IpRateLimiter {
  const rate = options.rate;
  if (!(Number.isFinite(rate) && rate >= 0)) {
    throw new FaztError("invalid_input", `The rate limit must be 0 or more; got ${rate}.`);
  }
  const burst = options.burst ?? Math.max(1, Math.ceil(rate * RATE_BURST_SECONDS));
  const maxIps = options.maxIps ?? DEFAULT_MAX_IPS;
  if (!(Number.isSafeInteger(maxIps) && maxIps > 0) || !(burst >= 1)) {
    throw new FaztError(
      "invalid_input",
      "The rate limit's burst and client cap must be 1 or more.",
    );
  }
  const now = options.now ?? (() => performance.now());
  const perMs = rate / 1000;
  /** An empty bucket is full again after this long; a bucket idle that long can go. */
  const refillMs = rate > 0 ? burst / perMs : Infinity;
  const buckets = new Map<string, Bucket>();
  let limited = 0;
  let evicted = 0;

  return {
    enabled: rate > 0,
    take(ip, peer) {
      if (rate === 0) return 0;
      if (peer === undefined ? ip === "local" : ip === peer && isLoopback(peer)) return 0;
      const key = rateLimitKey(ip);
      const t = now();
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxIps) {
          buckets.delete(buckets.keys().next().value!);
          evicted++;
        }
        b = { tokens: burst, at: t };
      } else {
        buckets.delete(key);
        b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
        b.at = t;
      }
      buckets.set(key, b);
      const oldest = buckets.entries().next().value!;
      if (oldest[1] !== b && t - oldest[1].at >= refillMs) buckets.delete(oldest[0]);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      limited++;
      return Math.max(1, Math.ceil((1 - b.tokens) / rate));
    },
    stats: () => ({ rate, burst, trackedIps: buckets.size, maxIps, limited, evicted }),
  };
}
