/**
 * `Accept-Encoding` negotiation (RFC 9110 §12.5.3) between the precompressed
 * variants a static file has (Brotli, gzip) and what the client accepts.
 *
 * The header strings browsers actually send are answered by one `Set`
 * lookup; anything else goes through an allocation-free scan that honours
 * q-values, `*` and `identity`.
 *
 * @module
 */

/** A content coding a static file may be stored in besides identity. */
export type Encoding = "br" | "gzip";

/** Exact headers (as browsers send them) that accept both br and gzip at q=1. */
const BR_AND_GZIP: ReadonlySet<string> = new Set([
  "gzip, deflate, br, zstd", // Chrome, Edge
  "gzip, deflate, br", // Firefox, Safari, older Chrome
  "br, gzip, deflate",
  "gzip, br",
  "br, gzip",
  "gzip,deflate,br",
  "gzip,deflate,br,zstd",
  "br,gzip",
  "gzip, deflate, zstd, br",
]);

/** Exact headers that accept gzip at q=1 but not br. */
const GZIP_ONLY: ReadonlySet<string> = new Set([
  "gzip, deflate",
  "gzip,deflate",
  "deflate, gzip",
  "gzip",
  "gzip, deflate, zstd",
]);

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

function isOws(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** True when `s[start..end)` equals the lower-case ASCII literal `lit`, ignoring case. */
function tokenIs(s: string, start: number, end: number, lit: string): boolean {
  if (end - start !== lit.length) return false;
  for (let k = 0; k < lit.length; k++) {
    if ((s.charCodeAt(start + k) | 0x20) !== lit.charCodeAt(k)) return false;
  }
  return true;
}

/** Parses an RFC 9110 qvalue at `s[start..end)` into thousandths, or -1 if invalid. */
function parseQ(s: string, start: number, end: number): number {
  if (start >= end) return -1;
  const lead = s.charCodeAt(start);
  if (lead !== ZERO && lead !== ZERO + 1) return -1;
  let q = lead === ZERO ? 0 : 1000;
  if (start + 1 === end) return q;
  if (s.charCodeAt(start + 1) !== DOT || end - start > 5) return -1;
  let scale = 100;
  for (let k = start + 2; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c < ZERO || c > NINE) return -1;
    q += (c - ZERO) * scale;
    scale /= 10;
  }
  return q > 1000 ? -1 : q;
}

function includes(available: readonly Encoding[], encoding: Encoding): boolean {
  for (let k = 0; k < available.length; k++) if (available[k] === encoding) return true;
  return false;
}

/**
 * Picks the content coding to send: the `available` coding with the highest
 * q-value in `acceptEncoding`, preferring `br` over `gzip` on a tie.
 * Returns `null` for identity (send the file as stored), which is also the
 * answer when the header is absent, empty, or accepts no available coding.
 *
 * - `q=0` excludes a coding; a malformed q-value makes the member ignored.
 * - `*` gives its q-value to every coding not listed by name.
 * - `x-gzip` is `gzip` (RFC 9110 §8.4.1.3); names are case-insensitive.
 * - An explicitly listed `identity` with a q-value strictly higher than the
 *   best coding wins (`gzip;q=0.5, identity` → `null`). When even identity is
 *   excluded the answer is still `null`: a static server sends the file
 *   rather than 406.
 */
export function negotiateEncoding(
  acceptEncoding: string | null,
  available: readonly Encoding[],
): Encoding | null {
  if (acceptEncoding === null || available.length === 0) return null;
  if (BR_AND_GZIP.has(acceptEncoding)) {
    return includes(available, "br") ? "br" : includes(available, "gzip") ? "gzip" : null;
  }
  if (GZIP_ONLY.has(acceptEncoding)) return includes(available, "gzip") ? "gzip" : null;

  // q-values in thousandths; -1 = not listed.
  let br = -1;
  let gzip = -1;
  let star = -1;
  let identity = -1;
  const s = acceptEncoding;
  const len = s.length;
  let i = 0;
  while (i < len) {
    let c = s.charCodeAt(i);
    if (isOws(c) || c === COMMA) {
      i++;
      continue;
    }
    // The coding token.
    const tokenStart = i;
    while (i < len && (c = s.charCodeAt(i)) !== COMMA && c !== SEMI && !isOws(c)) i++;
    const tokenEnd = i;
    // Parameters: only q matters.
    let q = 1000;
    let valid = true;
    while (i < len) {
      c = s.charCodeAt(i);
      if (isOws(c)) {
        i++;
        continue;
      }
      if (c !== SEMI) break;
      i++;
      while (i < len && isOws(s.charCodeAt(i))) i++;
      const nameStart = i;
      while (
        i < len && (c = s.charCodeAt(i)) !== EQUALS && c !== COMMA && c !== SEMI && !isOws(c)
      ) {
        i++;
      }
      const nameEnd = i;
      while (i < len && isOws(s.charCodeAt(i))) i++;
      let valueStart = i;
      let valueEnd = i;
      if (i < len && s.charCodeAt(i) === EQUALS) {
        i++;
        while (i < len && isOws(s.charCodeAt(i))) i++;
        valueStart = i;
        while (i < len && (c = s.charCodeAt(i)) !== COMMA && c !== SEMI && !isOws(c)) i++;
        valueEnd = i;
      }
      if (tokenIs(s, nameStart, nameEnd, "q")) {
        q = parseQ(s, valueStart, valueEnd);
        if (q < 0) valid = false;
      }
    }
    if (i < len && s.charCodeAt(i) !== COMMA) {
      valid = false; // junk after the member
      const comma = s.indexOf(",", i);
      i = comma < 0 ? len : comma;
    }
    if (!valid) continue;
    if (tokenIs(s, tokenStart, tokenEnd, "br")) br = Math.max(br, q);
    else if (
      tokenIs(s, tokenStart, tokenEnd, "gzip") || tokenIs(s, tokenStart, tokenEnd, "x-gzip")
    ) {
      gzip = Math.max(gzip, q);
    } else if (tokenIs(s, tokenStart, tokenEnd, "*")) star = Math.max(star, q);
    else if (tokenIs(s, tokenStart, tokenEnd, "identity")) identity = Math.max(identity, q);
  }

  const qBr = includes(available, "br") ? (br >= 0 ? br : star) : -1;
  const qGzip = includes(available, "gzip") ? (gzip >= 0 ? gzip : star) : -1;
  const best = qBr >= qGzip ? qBr : qGzip;
  if (best <= 0 || identity > best) return null;
  return qBr >= qGzip ? "br" : "gzip";
}
