import assert from "node:assert/strict";
import {
  createIpRateLimiter,
  isLoopback,
  rateLimitedError,
  rateLimitKey,
} from "../../../../kernel/services/cockpit/ip_rate_limiter.ts";

/** A clock the test moves by hand (ms). */
function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const PEER = "10.0.0.1";

Deno.test("a client gets its burst at once, then the sustained rate", () => {
  const c = clock();
  const limiter = createIpRateLimiter({ rate: 10, burst: 5, now: c.now });
  for (let i = 0; i < 5; i++) assert.equal(limiter.take("198.51.100.1", PEER), 0, `request ${i}`);
  assert.equal(limiter.take("198.51.100.1", PEER), 1, "the 6th request waits");
  // 10/s: one token per 100 ms.
  c.advance(99);
  assert.equal(limiter.take("198.51.100.1", PEER), 1);
  c.advance(1);
  assert.equal(limiter.take("198.51.100.1", PEER), 0);
  assert.equal(limiter.take("198.51.100.1", PEER), 1);
  // A refused request takes nothing: 250 ms later two tokens are there (2.5).
  c.advance(250);
  assert.equal(limiter.take("198.51.100.1", PEER), 0);
  assert.equal(limiter.take("198.51.100.1", PEER), 0);
  assert.equal(limiter.take("198.51.100.1", PEER), 1);
  // Long idle refills to the burst, never more.
  c.advance(60_000);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take("198.51.100.1", PEER), 0);
  assert.equal(limiter.take("198.51.100.1", PEER), 1);
  assert.equal(limiter.stats().limited, 5);
});

Deno.test("the default burst is 4 s of the rate, and Retry-After covers the wait", () => {
  const c = clock();
  const fast = createIpRateLimiter({ rate: 100, now: c.now });
  assert.equal(fast.stats().burst, 400);
  for (let i = 0; i < 400; i++) assert.equal(fast.take("192.0.2.1", PEER), 0);
  assert.equal(fast.take("192.0.2.1", PEER), 1);
  // A slow rate: one request per 4 s (0.25/s) → wait 4 s from empty.
  const slow = createIpRateLimiter({ rate: 0.25, burst: 1, now: c.now });
  assert.equal(slow.take("192.0.2.1", PEER), 0);
  assert.equal(slow.take("192.0.2.1", PEER), 4);
  c.advance(3_000);
  assert.equal(slow.take("192.0.2.1", PEER), 1);
});

Deno.test("clients have their own buckets", () => {
  const c = clock();
  const limiter = createIpRateLimiter({ rate: 1, burst: 2, now: c.now });
  assert.equal(limiter.take("203.0.113.7", PEER), 0);
  assert.equal(limiter.take("203.0.113.7", PEER), 0);
  assert.equal(limiter.take("203.0.113.7", PEER), 1);
  assert.equal(limiter.take("203.0.113.8", PEER), 0);
  assert.deepEqual(limiter.stats(), {
    rate: 1,
    burst: 2,
    trackedIps: 2,
    maxIps: 10_000,
    limited: 1,
    evicted: 0,
  });
});

Deno.test("IPv6 clients share a bucket per /64; IPv4-mapped addresses are IPv4", () => {
  assert.equal(rateLimitKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  assert.equal(rateLimitKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  assert.equal(rateLimitKey("2001:DB8:0001:0002::ffff"), "2001:db8:1:2::/64");
  assert.equal(rateLimitKey("[2001:db8:1:2::5]:443"), "2001:db8:1:2::/64");
  assert.equal(rateLimitKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(rateLimitKey("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  assert.equal(rateLimitKey("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(rateLimitKey("203.0.113.7"), "203.0.113.7");
  assert.equal(rateLimitKey("203.0.113.7:5678"), "203.0.113.7");
  assert.equal(rateLimitKey("unknown"), "unknown");
  assert.equal(rateLimitKey("x".repeat(500)).length, 64);
  assert.equal(rateLimitKey("1:2:3"), "1:2:3", "not an address: kept as text");

  const c = clock();
  const limiter = createIpRateLimiter({ rate: 1, burst: 2, now: c.now });
  assert.equal(limiter.take("2001:db8:1:2::1", PEER), 0);
  assert.equal(limiter.take("2001:db8:1:2::2", PEER), 0);
  assert.equal(limiter.take("2001:db8:1:2:ffff::9", PEER), 1, "same /64, same bucket");
  assert.equal(limiter.take("2001:db8:1:3::1", PEER), 0, "the next /64 is another client");
  assert.equal(limiter.stats().trackedIps, 2);
});

Deno.test("loopback peers are exempt unless a proxy header named the client", () => {
  assert.ok(isLoopback("127.0.0.1"));
  assert.ok(isLoopback("127.8.9.10"));
  assert.ok(isLoopback("::1"));
  assert.ok(isLoopback("0:0:0:0:0:0:0:1"));
  assert.ok(isLoopback("::ffff:127.0.0.1"));
  assert.ok(!isLoopback("128.0.0.1"));
  assert.ok(!isLoopback("::2"));
  assert.ok(!isLoopback("10.0.0.1"));
  assert.ok(!isLoopback("local"));
  assert.ok(!isLoopback("127.example.com"), "not an address");
  assert.ok(!isLoopback("127.0.0.300"));

  const limiter = createIpRateLimiter({ rate: 1, burst: 1, now: clock().now });
  for (let i = 0; i < 10; i++) {
    assert.equal(limiter.take("127.0.0.1", "127.0.0.1"), 0);
    assert.equal(limiter.take("::1", "::1"), 0);
    assert.equal(limiter.take("local", undefined), 0, "in-process requests have no peer");
  }
  assert.equal(limiter.stats().trackedIps, 0);
  // Behind a local proxy with --trust-proxy the header's client is limited.
  assert.equal(limiter.take("203.0.113.7", "127.0.0.1"), 0);
  assert.equal(limiter.take("203.0.113.7", "127.0.0.1"), 1);
  // A remote peer is limited.
  assert.equal(limiter.take("10.0.0.1", "10.0.0.1"), 0);
  assert.equal(limiter.take("10.0.0.1", "10.0.0.1"), 1);
});

Deno.test("a flood of distinct addresses cannot grow memory past the cap", () => {
  const c = clock();
  const limiter = createIpRateLimiter({ rate: 1, burst: 2, maxIps: 1_000, now: c.now });
  // The victim is seen, then 100,000 spoofed-looking addresses arrive at once.
  assert.equal(limiter.take("198.51.100.1", PEER), 0);
  for (let i = 0; i < 100_000; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    assert.equal(limiter.take(ip, PEER), 0);
    if (i % 10_000 === 0) assert.ok(limiter.stats().trackedIps <= 1_000);
  }
  const s = limiter.stats();
  assert.equal(s.trackedIps, 1_000);
  assert.equal(s.evicted, 100_001 - 1_000);
  // The least recently seen went first: a recent flooder is still limited.
  const recent = `10.1.134.159`; // i = 99,999
  assert.equal(limiter.take(recent, PEER), 0);
  assert.equal(limiter.take(recent, PEER), 1);
});

Deno.test("idle buckets are dropped as traffic goes on (a full bucket is no bucket)", () => {
  const c = clock();
  const limiter = createIpRateLimiter({ rate: 10, burst: 20, now: c.now });
  for (let i = 0; i < 50; i++) limiter.take(`192.0.2.${i}`, PEER);
  assert.equal(limiter.stats().trackedIps, 50);
  // 2 s later every bucket has refilled; each request drops one stale bucket.
  c.advance(2_000);
  for (let i = 0; i < 60; i++) {
    c.advance(1);
    limiter.take("198.51.100.1", PEER);
  }
  assert.equal(limiter.stats().trackedIps, 1);
  assert.equal(limiter.stats().evicted, 0, "dropping refilled buckets is not eviction");
});

Deno.test("rate 0 turns the limiter off", () => {
  const limiter = createIpRateLimiter({ rate: 0 });
  assert.equal(limiter.enabled, false);
  for (let i = 0; i < 1_000; i++) assert.equal(limiter.take("203.0.113.7", PEER), 0);
  assert.equal(limiter.stats().trackedIps, 0);
  assert.equal(limiter.stats().limited, 0);
  assert.throws(() => createIpRateLimiter({ rate: -1 }), /rate limit/);
});

Deno.test("a limited request's error is `rate_limited` with Retry-After, made once per wait", () => {
  const err = rateLimitedError(3);
  assert.equal(err.code, "rate_limited");
  assert.equal(err.status, 429);
  assert.deepEqual(err.headers, { "retry-after": "3" });
  assert.match(err.message, /Try again in 3 seconds/);
  assert.deepEqual(err.details, { retryAfterSeconds: 3 });
  assert.equal(rateLimitedError(3), err, "the same instance for the same wait");
  assert.match(rateLimitedError(1).message, /in 1 second\./);
  assert.throws(() => {
    (err.details as Record<string, unknown>).retryAfterSeconds = 0;
  }, TypeError);
});
