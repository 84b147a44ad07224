/**
 * Password hashing with scrypt (memory-hard) from `node:crypto`, run off
 * the event loop. Hashes are self-describing (`scrypt$N$r$p$salt$hash`) so
 * parameters can be raised later without breaking stored passwords.
 *
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_BYTES, {
      N: n,
      r,
      p,
      maxmem: 256 * n * r,
    }, (err, key) => err ? reject(err) : resolve(key))
  );
}

/** Hashes a password for storage. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/**
 * What an unknown account's password is checked against, so that it costs
 * the same scrypt work as a wrong password: a random salt and key in the
 * stored format, which no password matches. Built from random bytes rather
 * than by hashing, so that boot does not run scrypt (32 MiB for a moment).
 */
export const DUMMY_HASH: string = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString("base64")}$${
  randomBytes(KEY_BYTES).toString("base64")
}`;

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await derive(password, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** The rules a new password must meet; returns the problem or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return "Use at least 10 characters for the password.";
  if (password.length > 1024) return "Use at most 1,024 characters for the password.";
  return undefined;
}
