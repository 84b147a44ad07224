/**
 * The login throttle: brute-force protection that cannot be turned into a
 * lockout of the owner. Every attempt is admitted or refused before any
 * password hash is computed, and an admitted attempt counts as a failure
 * until it succeeds, so concurrent guesses cannot slip past. Refused
 * attempts count nothing: waiting is the only way on.
 *
 * A request from a **known device** (a browser the owner logged in from
 * before, proven by its device cookie; see `known_devices.ts`) is limited
 * only by its own backoff: nobody else's guesses, from any address, slow it.
 *
 * Any other request waits out three backoffs (`backoff.ts`), each a delay
 * that doubles per failure after some free ones, never a lock:
 *
 * - **address**: all attempts from one client address (IPv6 by /64),
 *   whatever the email, so one client cannot spray many accounts;
 * - **address + account**: one client's guesses at one account;
 * - **account** (from unknown devices): the guesses of every address
 *   together, against a distributed attacker. Each address counts toward it
 *   only with its first free failures at the account, so one address alone
 *   (however patient) never slows anybody else; it takes several addresses
 *   to raise its delay, and once raised it spaces every attempt from every
 *   unknown device.
 *
 * A success forgets the keys it passed; `clear()` (a password reset)
 * forgets everything.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import { rateLimitKey } from "../cockpit/ip_rate_limiter.ts";
import { type Backoff, type BackoffPolicy, createBackoff } from "./backoff.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/**
 * The backoff of each scope: after the free failures a caller waits 15 s,
 * then 30 s, 1 min, 2 min, 4 min, 8 min, and 15 min per attempt from then
 * on (about a hundred guesses a day); a day without attempts forgets it.
 */
export const LOGIN_POLICIES: Readonly<Record<LoginScope, BackoffPolicy>> = {
  address: { free: 20, baseMs: 15 * SECOND, maxMs: 15 * MINUTE, forgetAfterMs: DAY },
  pair: { free: 5, baseMs: 15 * SECOND, maxMs: 15 * MINUTE, forgetAfterMs: DAY },
  account: { free: 10, baseMs: 15 * SECOND, maxMs: 15 * MINUTE, forgetAfterMs: DAY },
  device: { free: 5, baseMs: 15 * SECOND, maxMs: 15 * MINUTE, forgetAfterMs: DAY },
};

/** What a login attempt is limited by. */
export type LoginScope = "address" | "pair" | "account" | "device";

/** Who is attempting a login. */
export interface LoginAttemptKeys {
  /** The client's IP address. */
  ip: string;
  /** The account (the email, lower-cased), existing or not. */
  account: string;
  /** The ID of the caller's known device, when its cookie is valid for this account. */
  deviceId?: string;
}

/** An admitted attempt. */
export interface LoginAttempt {
  /** The password was right: forget this caller's failures. */
  succeeded(): void;
}

/** The login throttle. */
export interface LoginThrottle {
  /**
   * Admits one attempt, counted as a failure until `succeeded()`, or throws
   * `rate_limited` (with `Retry-After`) when the caller must wait.
   */
  admit(keys: LoginAttemptKeys): LoginAttempt;
  /** Forgets every failure (after a password reset). */
  clear(): void;
}

/** Options for {@linkcode createLoginThrottle}. */
export interface LoginThrottleOptions {
  /** Policies per scope (default {@linkcode LOGIN_POLICIES}). */
  policies?: Partial<Record<LoginScope, BackoffPolicy>>;
  /** Keys tracked per scope at most (default 10,000). */
  maxKeys?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const MESSAGES: Record<LoginScope, (wait: string) => string> = {
  address: (wait) => `Too many failed logins from your address. Try again in ${wait}.`,
  pair: (wait) => `Too many failed logins from your address. Try again in ${wait}.`,
  account: (wait) =>
    `Too many failed logins for this account from new devices. Try again in ${wait}, log in from a browser you have used here before, or reset the password on the server with \`fazt owner reset-password\`.`,
  device: (wait) => `Too many wrong passwords on this device. Try again in ${wait}.`,
};

/** Creates the login throttle. */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const policies = { ...LOGIN_POLICIES, ...options.policies };
  const make = (scope: LoginScope): Backoff =>
    createBackoff({ ...policies[scope], maxKeys: options.maxKeys, now: options.now });
  const scopes: Record<LoginScope, Backoff> = {
    address: make("address"),
    pair: make("pair"),
    account: make("account"),
    device: make("device"),
  };

  function refuseIfWaiting(keys: [LoginScope, string][]): void {
    let worst: [LoginScope, number] | undefined;
    for (const [scope, key] of keys) {
      const wait = scopes[scope].waitMs(key);
      if (wait > 0 && (!worst || wait > worst[1])) worst = [scope, wait];
    }
    if (!worst) return;
    const seconds = Math.max(1, Math.ceil(worst[1] / 1000));
    const wait = seconds === 1 ? "1 second" : `${seconds} seconds`;
    throw new FaztError("rate_limited", MESSAGES[worst[0]](wait), {
      details: { retryAfterSeconds: seconds, limit: worst[0] === "pair" ? "address" : worst[0] },
      headers: { "retry-after": String(seconds) },
    });
  }

  return {
    admit({ ip, account, deviceId }) {
      if (deviceId !== undefined) {
        refuseIfWaiting([["device", deviceId]]);
        scopes.device.fail(deviceId);
        return { succeeded: () => scopes.device.forget(deviceId) };
      }
      const address = rateLimitKey(ip);
      const pair = `${address} ${account}`;
      refuseIfWaiting([["address", address], ["pair", pair], ["account", account]]);
      scopes.address.fail(address);
      scopes.pair.fail(pair);
      if (scopes.pair.failures(pair) <= policies.pair.free) scopes.account.fail(account);
      else scopes.account.touch(account);
      return {
        succeeded() {
          scopes.address.forget(address);
          scopes.pair.forget(pair);
          scopes.account.forget(account);
        },
      };
    },
    clear() {
      for (const b of Object.values(scopes)) b.clear();
    },
  };
}
