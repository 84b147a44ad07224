/**
 * Conditional-request validators (RFC 9110 §13): `If-Match`,
 * `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since`, `If-Range`,
 * and the HTTP-date format used by `Last-Modified`. Header values are scanned in place, without regular
 * expressions or substrings, so the common path allocates nothing.
 *
 * Precedence between the headers (RFC 9110 §13.2.2: If-Match, else
 * If-Unmodified-Since; then If-None-Match, else If-Modified-Since; If-Range
 * only matters with a Range) is the caller's job.
 *
 * @module
 */

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const QUOTE = 0x22;
const STAR = 0x2a;
const SLASH = 0x2f;
const W = 0x57;
const ZERO = 0x30;
const NINE = 0x39;

function isOws(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** The opaque part of an entity tag: `W/"x"` → `"x"`, `"x"` → `"x"`. */
function opaqueTag(etag: string): string {
  return etag.charCodeAt(0) === W && etag.charCodeAt(1) === SLASH ? etag.slice(2) : etag;
}

/**
 * Tells whether an `If-None-Match` header matches `etag` (weak comparison,
 * RFC 9110 §8.8.3.2): `W/` prefixes are ignored on both sides, the header may
 * list several comma-separated tags, and `*` matches any current
 * representation. Unquoted (malformed) list members never match. A `true`
 * answer means 304 Not Modified for GET/HEAD. No header → `false`.
 */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const tag = opaqueTag(etag);
  const len = header.length;
  let i = 0;
  while (i < len) {
    let c = header.charCodeAt(i);
    if (isOws(c) || c === COMMA) {
      i++;
      continue;
    }
    if (c === STAR) return true;
    if (c === W && header.charCodeAt(i + 1) === SLASH) {
      i += 2;
      c = header.charCodeAt(i);
    }
    if (c !== QUOTE) {
      // Malformed member: skip to the next comma.
      const comma = header.indexOf(",", i);
      if (comma < 0) return false;
      i = comma + 1;
      continue;
    }
    const close = header.indexOf('"', i + 1);
    if (close < 0) return false;
    if (close + 1 - i === tag.length && header.startsWith(tag, i)) return true;
    i = close + 1;
  }
  return false;
}

/**
 * Tells whether an `If-Match` header lets the request go on for a current
 * representation tagged `etag` (RFC 9110 §13.1.1): `*` matches any current
 * representation; otherwise one of the comma-separated tags must match
 * `etag` strongly (both strong and identical, so a `W/` tag never matches).
 * A `false` answer means 412 Precondition Failed. No header → `true`.
 */
export function ifMatchAllows(header: string | null, etag: string): boolean {
  if (header === null) return true;
  if (etag.charCodeAt(0) !== QUOTE) return false; // ours is weak (or malformed)
  const len = header.length;
  let i = 0;
  while (i < len) {
    const c = header.charCodeAt(i);
    if (isOws(c) || c === COMMA) {
      i++;
      continue;
    }
    if (c === STAR) return true;
    if (c !== QUOTE) {
      // A weak or malformed member never matches: skip to the next comma.
      const comma = header.indexOf(",", i);
      if (comma < 0) return false;
      i = comma + 1;
      continue;
    }
    const close = header.indexOf('"', i + 1);
    if (close < 0) return false;
    if (close + 1 - i === etag.length && header.startsWith(etag, i)) return true;
    i = close + 1;
  }
  return false;
}

/**
 * Tells whether `If-Unmodified-Since` lets the request go on (RFC 9110
 * §13.1.4): the representation, last modified at `lastModifiedMs` (truncated
 * to seconds), was not modified after the header's date. No header or an
 * invalid date → `true` (the header is ignored). A `false` answer means 412
 * Precondition Failed. Ignore it when the request also carries If-Match;
 * that decision belongs to the caller.
 */
export function unmodifiedSince(header: string | null, lastModifiedMs: number): boolean {
  if (header === null) return true;
  const since = parseHttpDate(header);
  return since === null || toSeconds(lastModifiedMs) <= since;
}

/** Last-modified time truncated to whole seconds, as HTTP dates carry it. */
function toSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * Tells whether `If-Modified-Since` says the client's copy is current: the
 * header is a valid HTTP-date and `lastModifiedMs`, truncated to seconds, is
 * not after it (RFC 9110 §13.1.3). A `true` answer means 304 Not Modified.
 * No header or an invalid date → `false`. Ignore If-Modified-Since when the
 * request also carries If-None-Match; that decision belongs to the caller.
 */
export function notModifiedSince(header: string | null, lastModifiedMs: number): boolean {
  if (header === null) return false;
  const since = parseHttpDate(header);
  return since !== null && toSeconds(lastModifiedMs) <= since;
}

/**
 * Tells whether a `Range` may be honoured under `If-Range` (RFC 9110 §13.1.5).
 * No header → `true`. An entity tag must match `etag` strongly: both strong
 * and identical, so a weak tag on either side fails. An HTTP-date must equal
 * the last-modified time truncated to seconds. Anything else → `false`, and
 * the caller sends the whole representation with 200.
 */
export function ifRangeAllows(
  header: string | null,
  etag: string,
  lastModifiedMs: number,
): boolean {
  if (header === null) return true;
  let start = 0;
  let end = header.length;
  while (start < end && isOws(header.charCodeAt(start))) start++;
  while (end > start && isOws(header.charCodeAt(end - 1))) end--;
  const c = header.charCodeAt(start);
  if (c === QUOTE) {
    if (etag.charCodeAt(0) !== QUOTE) return false; // ours is weak (or malformed)
    return end - start === etag.length && header.startsWith(etag, start);
  }
  if (c === W && header.charCodeAt(start + 1) === SLASH) return false;
  const date = parseHttpDate(
    start === 0 && end === header.length ? header : header.slice(start, end),
  );
  return date !== null && date === toSeconds(lastModifiedMs);
}

let cachedSecond = NaN;
let cachedDate = "";

/**
 * Formats a time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), exactly
 * like `new Date(ms).toUTCString()`. The last result is cached per second,
 * since a busy server formats the same few timestamps over and over.
 */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedDate = new Date(ms).toUTCString();
    cachedSecond = second;
  }
  return cachedDate;
}

const DAYS = "sunmontuewedthufrisat";
const MONTHS = "janfebmaraprmayjunjulaugsepoctnovdec";
const LONG_DAYS: readonly string[] = [
  "sunday",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
];

/** Index of the 3-letter name at `s[i..i+3]` in `table` (case-insensitive), or -1. */
function nameIndex(table: string, s: string, i: number): number {
  const a = s.charCodeAt(i) | 0x20;
  const b = s.charCodeAt(i + 1) | 0x20;
  const c = s.charCodeAt(i + 2) | 0x20;
  for (let k = 0; k < table.length; k += 3) {
    if (
      table.charCodeAt(k) === a && table.charCodeAt(k + 1) === b && table.charCodeAt(k + 2) === c
    ) return k / 3;
  }
  return -1;
}

/** The number written with `count` ASCII digits at `s[i..]`, or -1. */
function digitsAt(s: string, i: number, count: number): number {
  let n = 0;
  for (let k = i; k < i + count; k++) {
    const c = s.charCodeAt(k);
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return n;
}

/** `HH:MM:SS` at `s[i..i+8]` as seconds since midnight, or -1. */
function timeAt(s: string, i: number): number {
  const h = digitsAt(s, i, 2);
  const m = digitsAt(s, i + 3, 2);
  const sec = digitsAt(s, i + 6, 2);
  if (s.charCodeAt(i + 2) !== 0x3a || s.charCodeAt(i + 5) !== 0x3a) return -1;
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;
  return h * 3600 + m * 60 + sec;
}

/** True when `s[i..]` is ` GMT` and nothing follows. */
function gmtAt(s: string, i: number): boolean {
  return s.length === i + 4 && s.charCodeAt(i) === SPACE && s.startsWith("GMT", i + 1);
}

const DAYS_IN_MONTH: readonly number[] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function toMs(year: number, month: number, day: number, seconds: number): number | null {
  if (month < 0 || day < 1 || seconds < 0) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 1 && leap ? 29 : DAYS_IN_MONTH[month])) return null;
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const ms = year < 100 ? new Date(0).setUTCFullYear(year, month, day) : Date.UTC(year, month, day);
  return ms + seconds * 1000;
}

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) into epoch milliseconds, or `null`
 * when the value is not one. Accepts the preferred IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850
 * (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`)
 * forms; day and month names are matched case-insensitively and the weekday
 * is not checked against the date. An RFC 850 two-digit year `yy` means
 * `20yy` below 70 and `19yy` otherwise (a fixed pivot keeps this pure).
 * Unlike `Date.parse`, nothing else is accepted.
 */
export function parseHttpDate(value: string): number | null {
  const len = value.length;
  if (len === 29 && value.charCodeAt(3) === COMMA) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (
      nameIndex(DAYS, value, 0) < 0 || value.charCodeAt(4) !== SPACE ||
      value.charCodeAt(7) !== SPACE || value.charCodeAt(11) !== SPACE ||
      value.charCodeAt(16) !== SPACE || !gmtAt(value, 25)
    ) return null;
    const year = digitsAt(value, 12, 4);
    if (year < 0) return null;
    return toMs(year, nameIndex(MONTHS, value, 8), digitsAt(value, 5, 2), timeAt(value, 17));
  }
  if (len === 24 && value.charCodeAt(3) === SPACE) {
    // asctime: "Sun Nov  6 08:49:37 1994"
    if (
      nameIndex(DAYS, value, 0) < 0 || value.charCodeAt(7) !== SPACE ||
      value.charCodeAt(10) !== SPACE || value.charCodeAt(19) !== SPACE
    ) return null;
    const day = value.charCodeAt(8) === SPACE ? digitsAt(value, 9, 1) : digitsAt(value, 8, 2);
    const year = digitsAt(value, 20, 4);
    if (year < 0) return null;
    return toMs(year, nameIndex(MONTHS, value, 4), day, timeAt(value, 11));
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  const comma = value.indexOf(",");
  if (comma < 6 || comma > 9 || len !== comma + 24) return null;
  const dayName = LONG_DAYS[nameIndex(DAYS, value, 0)];
  if (dayName === undefined || dayName.length !== comma) return null;
  for (let k = 3; k < comma; k++) {
    if ((value.charCodeAt(k) | 0x20) !== dayName.charCodeAt(k)) return null;
  }
  const d = comma + 2; // start of "06-Nov-94"
  if (
    value.charCodeAt(comma + 1) !== SPACE || value.charCodeAt(d + 2) !== 0x2d ||
    value.charCodeAt(d + 6) !== 0x2d || value.charCodeAt(d + 9) !== SPACE || !gmtAt(value, d + 18)
  ) return null;
  const yy = digitsAt(value, d + 7, 2);
  if (yy < 0) return null;
  return toMs(
    yy < 70 ? 2000 + yy : 1900 + yy,
    nameIndex(MONTHS, value, d + 3),
    digitsAt(value, d, 2),
    timeAt(value, d + 10),
  );
}
