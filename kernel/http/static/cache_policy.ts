/**
 * `Cache-Control` for static files. Files whose name carries a content hash
 * (what bundlers emit: `app.3f2a1b9c.js`, `index-D8fj2k_a.js`) never change
 * under the same URL, so browsers may keep them for a year without asking.
 * Everything else is cacheable but revalidated on every use through
 * ETag / Last-Modified, so a redeploy is visible immediately.
 *
 * Misreading an ordinary name as a hash would pin stale content in browsers
 * for a year, while missing a real hash only costs a 304 round trip, so the
 * detection below errs firmly on the side of "not a hash".
 *
 * @module
 */

/** `Cache-Control` for content-hashed files. */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** `Cache-Control` for everything else: cache, but revalidate before each use. */
export const REVALIDATE_CACHE_CONTROL = "public, no-cache";

/** Directories whose files frameworks always emit content-addressed. */
const IMMUTABLE_DIRS: readonly string[] = ["_next/static/", "_app/immutable/"];

const DASH = 0x2d;
const UNDERSCORE = 0x5f;

/** Character classes, as bit flags, of one candidate hash segment. */
const DIGIT = 1;
const LOWER_HEX = 2; // a-f
const LOWER = 4; // any a-z
const UPPER = 8;
const PUNCT = 16; // - or _
const OTHER = 32; // anything outside [A-Za-z0-9_-]

function classes(s: string, start: number, end: number): number {
  let flags = 0;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x30 && c <= 0x39) flags |= DIGIT;
    else if (c >= 0x61 && c <= 0x7a) flags |= c <= 0x66 ? LOWER | LOWER_HEX : LOWER;
    else if (c >= 0x41 && c <= 0x5a) flags |= UPPER;
    else if (c === DASH || c === UNDERSCORE) flags |= PUNCT;
    else flags |= OTHER;
  }
  return flags;
}

function isLowerHex(s: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Whether `s[start..end)` looks like a content hash (see {@linkcode isFingerprinted}). */
function isHash(s: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 8) return false;
  const f = classes(s, start, end);
  if ((f & OTHER) !== 0 || (f & DIGIT) === 0) return false;
  // Lower-case hex with at least one letter: rules out dates such as 20240115.
  if ((f & LOWER_HEX) !== 0 && isLowerHex(s, start, end)) return true;
  // Short base64url (Vite/Rollup) or base32 (esbuild): needs an upper-case letter,
  // which rules out lower-case words with a number (gallery1, desktop2x).
  if (len <= 12) return (f & UPPER) !== 0;
  // Long base64url: mixed case, which rules out hyphenated words with a number.
  return len >= 20 && (f & UPPER) !== 0 && (f & LOWER) !== 0;
}

/**
 * Whether the dot-free segment `s[start..end)` ends with a hash introduced by
 * `-` or `_`, or is one as a whole (introduced by `.`) when `nameBefore` says
 * a non-empty name precedes that dot.
 */
function tailHasHash(s: string, start: number, end: number, nameBefore: boolean): boolean {
  if (nameBefore && isHash(s, start, end)) return true;
  for (let k = end - 9; k > start; k--) {
    const c = s.charCodeAt(k);
    if ((c === DASH || c === UNDERSCORE) && isHash(s, k + 1, end)) return true;
  }
  return false;
}

/**
 * Tells whether a file path names content-hashed (fingerprinted) output.
 * The basename must carry the hash right before its extension (optionally
 * followed by one more suffix, as in `app.3f2a1b9c.min.js` or
 * `app.3f2a1b9c.js.map`), separated from a non-empty name by `.`, `-` or `_`.
 * A hash is one of:
 *
 * - lower-case hex, at least 8 characters, with a digit and a letter
 *   (`app.3f2a1b9c.js`; `report-20240115.pdf` is a date, not a hash);
 * - 8–12 characters of `[A-Za-z0-9_-]` with a digit and an upper-case letter
 *   (Vite `index-D8fj2k_a.js`, esbuild `app-5JQ4XBCF.js`; not `gallery-photo2.jpg`);
 * - 20 or more characters of `[A-Za-z0-9_-]` with a digit and both cases.
 *
 * Version numbers never qualify: their parts are separated by dots, so the
 * segment before the extension is a short number (`jquery-3.7.1.min.js`).
 * Files under `_next/static/` (Next.js) and `_app/immutable/` (SvelteKit)
 * are fingerprinted by construction.
 */
export function isFingerprinted(path: string): boolean {
  for (const dir of IMMUTABLE_DIRS) {
    const at = path.indexOf(dir);
    if (at >= 0 && (at === 0 || path.charCodeAt(at - 1) === 0x2f)) return true;
  }
  const base = path.lastIndexOf("/") + 1;
  let end = path.lastIndexOf(".");
  // Try the segment before the extension, then the one before that.
  for (let round = 0; round < 2 && end > base; round++) {
    const dot = path.lastIndexOf(".", end - 1);
    const start = dot < base ? base : dot + 1;
    if (tailHasHash(path, start, end, dot > base)) return true;
    end = dot;
  }
  return false;
}

/**
 * Returns the `Cache-Control` value for a static file:
 * {@linkcode IMMUTABLE_CACHE_CONTROL} for fingerprinted files,
 * {@linkcode REVALIDATE_CACHE_CONTROL} otherwise. HTML is always revalidated,
 * even under a hash-like name: it is what users bookmark and what points at
 * the fingerprinted assets.
 */
export function cacheControlFor(path: string, contentType: string): string {
  if (contentType.startsWith("text/html")) return REVALIDATE_CACHE_CONTROL;
  return isFingerprinted(path) ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL;
}
