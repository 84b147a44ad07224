/**
 * The login throttle as a specification, on a simulated clock: what an
 * attacker with one address, with many addresses, or with the owner's own
 * network gets, and what the owner keeps. The same rules through a real
 * server are in tests/e2e/auth_lockout_test.ts.
 */
import assert from "node:assert/strict";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  createLoginThrottle,
  type LoginAttempt,
  type LoginAttemptKeys,
  type LoginThrottle,
} from "../../../../kernel/services/auth/login_throttle.ts";

const OWNER = "owner@example.com";
const DAY = 86_400_000;

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** The attempt, or the refusal's `Retry-After` (s) and which limit refused. */
function tryLogin(
  throttle: LoginThrottle,
  keys: LoginAttemptKeys,
): LoginAttempt | { retryAfter: number; limit: string; message: string } {
  try {
    return throttle.admit(keys);
  } catch (err) {
    assert.ok(err instanceof FaztError && err.code === "rate_limited", String(err));
    const retryAfter = Number(err.headers?.["retry-after"]);
    assert.equal(err.details.retryAfterSeconds, retryAfter);
    return { retryAfter, limit: String(err.details.limit), message: err.message };
  }
}

function admitted(r: ReturnType<typeof tryLogin>): r is LoginAttempt {
  return "succeeded" in r;
}

function refusal(r: ReturnType<typeof tryLogin>): { retryAfter: number; limit: string } {
  assert.ok(!admitted(r), "expected a refusal");
  return r;
}

Deno.test("throttle: one address gets five free guesses, then waits 15 s, 30 s, 1 min … 15 min per guess", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  const keys = { ip: "198.51.100.1", account: OWNER };
  for (let i = 0; i < 5; i++) assert.ok(admitted(tryLogin(throttle, keys)));
  const waits: number[] = [];
  for (let i = 0; i < 9; i++) {
    const r = refusal(tryLogin(throttle, keys));
    assert.equal(r.limit, "address");
    waits.push(r.retryAfter);
    c.advance(r.retryAfter * 1000);
    assert.ok(admitted(tryLogin(throttle, keys)), "admitted once the wait is over");
  }
  assert.deepEqual(waits, [15, 30, 60, 120, 240, 480, 900, 900, 900]);
});

Deno.test("throttle: refused attempts count nothing; only waiting helps", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  const keys = { ip: "198.51.100.1", account: OWNER };
  for (let i = 0; i < 5; i++) tryLogin(throttle, keys);
  for (let i = 0; i < 1000; i++) {
    assert.equal(refusal(tryLogin(throttle, keys)).retryAfter > 0, true);
  }
  c.advance(15_000);
  assert.ok(admitted(tryLogin(throttle, keys)));
  assert.equal(refusal(tryLogin(throttle, keys)).retryAfter, 30, "the delay grew by one step");
});

Deno.test("throttle: however patient, one address never slows down anybody else", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  const attacker = { ip: "198.51.100.1", account: OWNER };
  let guesses = 0;
  const end = c.now() + 7 * DAY;
  while (c.now() < end) {
    const r = tryLogin(throttle, attacker);
    if (admitted(r)) guesses++;
    else c.advance(r.retryAfter * 1000);
  }
  assert.ok(guesses < 7 * 110, `${guesses} guesses in a week`);
  assert.ok(admitted(tryLogin(throttle, { ip: "203.0.113.9", account: OWNER })));
  assert.ok(admitted(tryLogin(throttle, { ip: "198.51.100.1", account: "other@example.com" })));
});

Deno.test("throttle: an address spraying many accounts is slowed after twenty failures", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  for (let i = 0; i < 20; i++) {
    assert.ok(admitted(tryLogin(throttle, { ip: "198.51.100.1", account: `u${i}@example.com` })));
  }
  const r = refusal(tryLogin(throttle, { ip: "198.51.100.1", account: "u99@example.com" }));
  assert.deepEqual([r.limit, r.retryAfter], ["address", 15]);
});

Deno.test("throttle: IPv6 clients are one address per /64", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  for (let i = 0; i < 5; i++) tryLogin(throttle, { ip: `2001:db8:1:2::${i + 1}`, account: OWNER });
  assert.equal(
    refusal(tryLogin(throttle, { ip: "2001:db8:1:2::ff", account: OWNER })).limit,
    "address",
  );
  assert.ok(admitted(tryLogin(throttle, { ip: "2001:db8:1:3::1", account: OWNER })));
});

Deno.test("throttle: guesses from several addresses slow down new devices, never a known device", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  for (const ip of ["198.51.100.1", "198.51.100.2"]) {
    for (let i = 0; i < 5; i++) assert.ok(admitted(tryLogin(throttle, { ip, account: OWNER })));
  }
  const newDevice = refusal(tryLogin(throttle, { ip: "203.0.113.1", account: OWNER }));
  assert.deepEqual([newDevice.limit, newDevice.retryAfter], ["account", 15]);
  // The owner's browser, from any address, even an attacking one.
  for (const ip of ["203.0.113.1", "198.51.100.1"]) {
    assert.ok(admitted(tryLogin(throttle, { ip, account: OWNER, deviceId: "dev_1" })));
  }
  // The account-wide limit is per account.
  assert.ok(admitted(tryLogin(throttle, { ip: "203.0.113.1", account: "other@example.com" })));
});

Deno.test("throttle: a distributed attacker gets about a hundred guesses a day, from any number of addresses", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  let guesses = 0;
  let next = 0;
  const end = c.now() + DAY;
  while (c.now() < end) {
    // Every second a fresh address of a 100,000-address botnet tries.
    const ip = `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`;
    next = (next + 1) % 100_000;
    const r = tryLogin(throttle, { ip, account: OWNER });
    if (admitted(r)) guesses++;
    c.advance(1000);
  }
  assert.ok(guesses <= 10 + 6 + 96 + 1, `${guesses} guesses in a day`);
  // The owner's browser still gets in at once.
  assert.ok(admitted(tryLogin(throttle, { ip: "10.0.0.1", account: OWNER, deviceId: "dev_1" })));
});

Deno.test("throttle: concurrent attempts are counted when admitted, before any outcome", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  const keys = { ip: "198.51.100.1", account: OWNER };
  // Ten at once, none finished: only five are admitted.
  const answers = Array.from({ length: 10 }, () => tryLogin(throttle, keys));
  assert.equal(answers.filter(admitted).length, 5);
  // Across addresses, once the account-wide delay runs: one per delay.
  for (const ip of ["198.51.100.2", "198.51.100.3"]) {
    for (let i = 0; i < 5; i++) tryLogin(throttle, { ip, account: OWNER });
  }
  c.advance(15 * 60_000);
  const burst = Array.from(
    { length: 50 },
    (_, i) => tryLogin(throttle, { ip: `203.0.113.${i}`, account: OWNER }),
  );
  assert.equal(burst.filter(admitted).length, 1);
});

Deno.test("throttle: a known device is limited by its own failures only", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  const device = { ip: "198.51.100.1", account: OWNER, deviceId: "dev_1" };
  for (let i = 0; i < 5; i++) assert.ok(admitted(tryLogin(throttle, device)));
  const r = refusal(tryLogin(throttle, device));
  assert.deepEqual([r.limit, r.retryAfter], ["device", 15]);
  // Another device, and a new device at the same address, are not affected.
  assert.ok(admitted(tryLogin(throttle, { ...device, deviceId: "dev_2" })));
  assert.ok(admitted(tryLogin(throttle, { ip: "198.51.100.1", account: OWNER })));
});

Deno.test("throttle: a success forgets the caller's failures; clear() forgets everyone's", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  const keys = { ip: "198.51.100.1", account: OWNER };
  for (let i = 0; i < 4; i++) tryLogin(throttle, keys);
  const ok = tryLogin(throttle, keys);
  assert.ok(admitted(ok));
  ok.succeeded();
  for (let i = 0; i < 5; i++) assert.ok(admitted(tryLogin(throttle, keys)), `attempt ${i + 1}`);

  for (const ip of ["198.51.100.2", "198.51.100.3", "198.51.100.4"]) {
    for (let i = 0; i < 5; i++) tryLogin(throttle, { ip, account: OWNER });
  }
  for (let i = 0; i < 6; i++) tryLogin(throttle, { ...keys, deviceId: "dev_1" });
  throttle.clear();
  for (const k of [keys, { ...keys, deviceId: "dev_1" }, { ip: "203.0.113.1", account: OWNER }]) {
    assert.ok(admitted(tryLogin(throttle, k)));
  }
});

Deno.test("throttle: the refusal tells the owner what to do", () => {
  const c = clock();
  const throttle = createLoginThrottle({ now: c.now });
  for (const ip of ["198.51.100.1", "198.51.100.2"]) {
    for (let i = 0; i < 5; i++) tryLogin(throttle, { ip, account: OWNER });
  }
  const r = tryLogin(throttle, { ip: "203.0.113.1", account: OWNER });
  assert.ok(!admitted(r));
  assert.equal(
    r.message,
    "Too many failed logins for this account from new devices. Try again in 15 seconds, log in from a browser you have used here before, or reset the password on the server with `fazt owner reset-password`.",
  );
});
