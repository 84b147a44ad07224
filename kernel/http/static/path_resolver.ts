/**
 * URL → file policy for static apps, modelled on Cloudflare Pages so that
 * relative links inside pages always resolve the same way:
 *
 * | request         | exists                  | result                  |
 * | --------------- | ----------------------- | ----------------------- |
 * | `/`             | `index.html`            | file                    |
 * | `/x`            | `x`                     | file (exact name wins)  |
 * | `/x`            | `x.html`                | file (clean URL)        |
 * | `/x`            | `x/index.html`          | redirect `/x/`          |
 * | `/x/`           | `x/index.html`          | file                    |
 * | `/x/`           | `x.html`, else `x`      | redirect `/x`           |
 * | `/x.html`       | `x.html` (and no `x`)   | redirect `/x`           |
 * | `/d/index.html` | `d/index.html`          | redirect `/d/`          |
 * | unmatched, SPA  | `index.html`; the last segment has no extension of a known file type (`/users/john.doe`, `/v1.2`) | spa |
 * | unmatched, SPA  | `index.html`; the last segment ends in a known file type (`/missing.js`, `/a/b.png`) | spa_navigation: `index.html` for a browser navigation, else not found |
 * | unmatched       |                         | not found               |
 *
 * Input is the raw (percent-encoded) URL pathname and a membership test over
 * the app's relative file paths; output is plain data. Redirect locations
 * are pathnames: the caller appends the query string and answers 308.
 *
 * @module
 */
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from "../../services/vfs/content_type.ts";

/** Where a request path leads. */
export type ResolvedPath =
  | { kind: "file"; path: string }
  | { kind: "redirect"; location: string }
  | { kind: "spa"; path: "index.html" }
  | { kind: "spa_navigation"; path: "index.html" }
  | { kind: "not_found" }
  | { kind: "bad_request" };

/** Options for {@linkcode resolvePath}. */
export interface ResolveOptions {
  /** Single-page app: unmatched paths serve `index.html` (see {@linkcode resolvePath}). */
  readonly spa: boolean;
}

const BAD_REQUEST: ResolvedPath = Object.freeze({ kind: "bad_request" });
const NOT_FOUND: ResolvedPath = Object.freeze({ kind: "not_found" });
const SPA: ResolvedPath = Object.freeze({ kind: "spa", path: "index.html" });
const SPA_NAVIGATION: ResolvedPath = Object.freeze({ kind: "spa_navigation", path: "index.html" });
const ROOT_INDEX: ResolvedPath = Object.freeze({ kind: "file", path: "index.html" });

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const PERCENT = 0x25;

/** True for `.` and `..` as a whole segment `s[start..end)`. */
function isDotSegment(s: string, start: number, end: number): boolean {
  const len = end - start;
  return (len === 1 || len === 2) && s.charCodeAt(start) === DOT &&
    (len === 1 || s.charCodeAt(start + 1) === DOT);
}

/**
 * Decodes a raw pathname into a relative path (`/docs/a%20b/` → `docs/a b/`,
 * `/` → ``), or `null` when it must be rejected: not starting with `/`, an
 * empty segment (`//`), a `.`/`..` segment (raw or encoded), malformed
 * percent-encoding, or a segment that decodes to contain `/`, `\` or NUL.
 */
function decodePath(raw: string): string | null {
  const len = raw.length;
  if (len === 0 || raw.charCodeAt(0) !== SLASH) return null;
  let encoded = false;
  let segStart = 1;
  for (let i = 1; i <= len; i++) {
    const c = i < len ? raw.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      if (i === segStart) {
        if (i < len) return null; // "//": an empty segment
      } else if (isDotSegment(raw, segStart, i)) return null;
      segStart = i + 1;
    } else if (c === PERCENT) encoded = true;
    else if (c === BACKSLASH || c === 0) return null;
  }
  if (!encoded) return raw.slice(1);

  const segments = raw.slice(1).split("/");
  for (let k = 0; k < segments.length; k++) {
    const segment = segments[k];
    if (segment.indexOf("%") < 0) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return null;
    }
    if (
      decoded.indexOf("/") >= 0 || decoded.indexOf("\\") >= 0 || decoded.indexOf("\0") >= 0 ||
      isDotSegment(decoded, 0, decoded.length)
    ) return null;
    segments[k] = decoded;
  }
  return segments.join("/");
}

/** True when every character of `path` may appear unescaped in a Location path. */
function isPlainPath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (
      !((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
        c === SLASH || c === DOT || c === 0x2d || c === 0x5f || c === 0x7e)
    ) return false;
  }
  return true;
}

/**
 * A redirect to the decoded relative `path` (`""` is the root). Each segment
 * is percent-encoded with `encodeURIComponent`, so `?`, `#` and `%` in file
 * names cannot turn into a query, a fragment or a second decoding; since
 * segments are never empty, the location starts with exactly one `/`.
 */
function redirect(path: string): ResolvedPath {
  let location: string;
  if (isPlainPath(path)) location = "/" + path;
  else {
    try {
      location = "/" + path.split("/").map(encodeURIComponent).join("/");
    } catch {
      return BAD_REQUEST; // a lone surrogate: not a real URL path
    }
  }
  if (location.charCodeAt(1) === SLASH) return BAD_REQUEST; // never "//host"
  return { kind: "redirect", location };
}

/**
 * The canonical URL path (decoded, no leading slash) of an existing file:
 * `d/index.html` → `d/`, `x.html` → `x` unless a file named `x` would shadow
 * it, anything else → itself.
 */
function canonicalPath(file: string, has: (path: string) => boolean): string {
  const nameStart = file.lastIndexOf("/") + 1;
  if (file.length - nameStart === 10 && file.endsWith("index.html")) {
    return file.slice(0, nameStart);
  }
  if (file.length - nameStart > 5 && file.endsWith(".html")) {
    const base = file.slice(0, -5);
    if (!has(base)) return base;
  }
  return file;
}

/** The answer when no file matched the decoded relative `path`. */
function unmatched(
  path: string,
  has: (path: string) => boolean,
  options: ResolveOptions,
): ResolvedPath {
  if (!options.spa || !has("index.html")) return NOT_FOUND;
  const end = path.charCodeAt(path.length - 1) === SLASH ? path.length - 1 : path.length;
  const name = path.slice(path.lastIndexOf("/", end - 1) + 1, end);
  // A name of a known file type (`app.js`, `logo.png`) is most likely a missing
  // asset: a script or an image must get a real 404, not the app's HTML.
  return contentTypeFor(name) === DEFAULT_CONTENT_TYPE ? SPA : SPA_NAVIGATION;
}

/**
 * Maps a raw URL pathname (still percent-encoded, e.g. `URL.pathname`) to a
 * file of the app, a canonicalizing redirect, the SPA fallback, or a 404/400.
 *
 * - `has(path)` tells whether the app has a file at the relative path
 *   (`index.html`, `docs/index.html`); it is called with decoded paths.
 * - Percent-encoding is decoded per segment. Rejected with `bad_request`:
 *   a path not starting with `/`, empty segments (`//`, never collapsed),
 *   `.` and `..` segments (also as `%2e`), `%2F` inside a segment, a
 *   backslash or NUL (raw or encoded), malformed percent-encoding.
 * - `.html` is matched case-sensitively, as file names are.
 * - `/x.html` redirects to `/x` only when no file `x` exists (otherwise `/x`
 *   would serve that file); then `x.html` is served under its own name.
 * - Unmatched paths of an SPA fall back to `index.html` (`spa`) unless the
 *   last segment ends in an extension of a known file type (`.js`, `.css`,
 *   `.png`, `.json`, `.html`, … as `contentTypeFor` knows them), so
 *   `/users/john.doe` and `/releases/v1.2.3` still reach the app. Those with
 *   a known extension are `spa_navigation`: the caller serves `index.html`
 *   only to a browser navigation and a 404 otherwise. Without SPA (or
 *   without an `index.html`): `not_found` (the caller serves `404.html`).
 * - File names are stored in Unicode NFC: a path that matches no file as
 *   sent (say `cafe%CC%81.html`, NFD, as macOS spells it) is looked up again
 *   in NFC and serves that file under the address asked for. An exact match
 *   wins, so files an older version stored in NFD are still found.
 */
export function resolvePath(
  pathname: string,
  has: (path: string) => boolean,
  options: ResolveOptions,
): ResolvedPath {
  const path = decodePath(pathname);
  if (path === null) return BAD_REQUEST;
  const found = resolveDecoded(path, has, options);
  if (!unfound(found) || !NON_ASCII.test(path)) return found;
  const nfc = path.normalize("NFC");
  if (nfc === path) return found;
  const again = resolveDecoded(nfc, has, options);
  return unfound(again) ? found : again;
}

/** True when no file matched: a 404 or an SPA fallback. */
function unfound(r: ResolvedPath): boolean {
  return r.kind === "not_found" || r.kind === "spa" || r.kind === "spa_navigation";
}

const NON_ASCII = /[\u0080-\uffff]/;

/** {@linkcode resolvePath} for a decoded relative path. */
function resolveDecoded(
  path: string,
  has: (path: string) => boolean,
  options: ResolveOptions,
): ResolvedPath {
  if (path.length === 0) return has("index.html") ? ROOT_INDEX : NOT_FOUND;

  if (path.charCodeAt(path.length - 1) === SLASH) {
    const index = path + "index.html";
    if (has(index)) return { kind: "file", path: index };
    const dir = path.slice(0, -1);
    if (has(dir + ".html")) return redirect(dir);
    if (has(dir)) return redirect(canonicalPath(dir, has));
    return unmatched(path, has, options);
  }

  if (path.endsWith(".html") && has(path)) {
    const canonical = canonicalPath(path, has);
    return canonical === path ? { kind: "file", path } : redirect(canonical);
  }
  if (has(path)) return { kind: "file", path };
  const html = path + ".html";
  if (has(html)) return { kind: "file", path: html };
  if (has(path + "/index.html")) return redirect(path + "/");
  return unmatched(path, has, options);
}
