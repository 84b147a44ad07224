/**
 * Stable app IDs: `app_` + 16 lowercase base32 characters (80 random bits).
 * The underscore keeps IDs from ever colliding with names, which are DNS
 * labels.
 *
 * @module
 */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Matches an app ID. */
export const APP_ID_PATTERN = /^app_[a-z2-7]{16}$/;

/** Makes a new random app ID. */
export function newAppId(random: (n: number) => Uint8Array = randomBytes): string {
  const bytes = random(10);
  let bits = 0;
  let value = 0;
  let out = "app_";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
