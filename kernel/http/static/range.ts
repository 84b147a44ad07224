/**
 * The `Range` request header (RFC 9110 §14.1–14.2), reduced to what a static
 * server needs: one byte range, resolved against the file size. Anything this
 * parser does not accept yields `null`, which the caller treats as "no Range"
 * and answers with the whole file (RFC 9110 lets a server ignore Range).
 *
 * The parser is a single allocation-free scan over the header.
 *
 * @module
 */

/** An inclusive byte range inside a file: `start <= end < size`. */
export interface ByteRange {
  /** First byte, zero-based. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const DASH = 0x2d;
const EQUALS = 0x3d;
const ZERO = 0x30;
const NINE = 0x39;

function isOws(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Matches the range unit `bytes` (case-insensitive) at `i`. */
function isBytesUnit(s: string, i: number): boolean {
  return (s.charCodeAt(i) | 0x20) === 0x62 && // b
    (s.charCodeAt(i + 1) | 0x20) === 0x79 && // y
    (s.charCodeAt(i + 2) | 0x20) === 0x74 && // t
    (s.charCodeAt(i + 3) | 0x20) === 0x65 && // e
    (s.charCodeAt(i + 4) | 0x20) === 0x73; // s
}

/**
 * Parses a `Range` header against a representation of `size` bytes.
 *
 * - `bytes=a-b` → `{ start: a, end: min(b, size - 1) }`; `b < a` is invalid → `null`.
 * - `bytes=a-` → from `a` to the end.
 * - `bytes=-n` → the last `n` bytes (the whole file when `n >= size`);
 *   `bytes=-0` is `"unsatisfiable"`.
 * - `start >= size`, including every range of an empty file → `"unsatisfiable"` (416).
 * - No header, another unit, a malformed value or more than one range → `null`
 *   (ignore Range, send 200). Empty list elements (`bytes=0-1,`) are allowed
 *   as RFC 9110 §5.6.1 requires; whitespace is allowed around list elements.
 */
export function parseRange(
  header: string | null,
  size: number,
): ByteRange | "unsatisfiable" | null {
  if (header === null) return null;
  const len = header.length;
  let i = 0;
  while (i < len && isOws(header.charCodeAt(i))) i++;
  if (len - i < 6 || !isBytesUnit(header, i) || header.charCodeAt(i + 5) !== EQUALS) return null;
  i += 6;

  let seen = false;
  let first = -1; // -1: absent (suffix range)
  let last = -1; // -1: absent (open-ended range)
  while (i < len) {
    let c = header.charCodeAt(i);
    if (isOws(c) || c === COMMA) {
      i++;
      continue;
    }
    if (seen) return null; // a second range: not supported
    seen = true;

    // first-pos
    let digits = 0;
    let n = 0;
    while (i < len && (c = header.charCodeAt(i)) >= ZERO && c <= NINE) {
      n = n * 10 + (c - ZERO);
      digits++;
      i++;
    }
    if (digits > 0) first = n;
    if (i >= len || header.charCodeAt(i) !== DASH) return null;
    i++;

    // last-pos or suffix-length
    digits = 0;
    n = 0;
    while (i < len && (c = header.charCodeAt(i)) >= ZERO && c <= NINE) {
      n = n * 10 + (c - ZERO);
      digits++;
      i++;
    }
    if (digits > 0) last = n;
    else if (first < 0) return null; // a bare "-"

    // The element must end here: whitespace, a comma or the end of the header.
    if (i < len) {
      c = header.charCodeAt(i);
      if (!isOws(c) && c !== COMMA) return null;
    }
  }
  if (!seen) return null;

  if (first < 0) {
    // Suffix range: the last `last` bytes.
    if (last === 0 || size <= 0) return "unsatisfiable";
    return { start: last >= size ? 0 : size - last, end: size - 1 };
  }
  if (last >= 0 && last < first) return null;
  if (first >= size) return "unsatisfiable";
  return { start: first, end: last < 0 || last >= size ? size - 1 : last };
}
