/**
 * Specification of `isFingerprinted()` and `cacheControlFor()`.
 *
 * @module
 */
import {
  cacheControlFor,
  IMMUTABLE_CACHE_CONTROL,
  isFingerprinted,
  REVALIDATE_CACHE_CONTROL,
} from "../../../../kernel/http/static/cache_policy.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

const fingerprinted: ReadonlyArray<readonly [path: string, why: string]> = [
  ["app.3f2a1b9c.js", "8 hex chars after a dot"],
  ["main.a1b2c3d4e5f6.css", "12 hex chars after a dot"],
  ["assets/app.3f2a1b9c.js", "a hashed name in a directory"],
  ["/assets/app.3f2a1b9c.js", "a URL path with a leading slash"],
  ["chunk-3f2a1b9c.js", "hex after a dash"],
  ["chunk_3f2a1b9c.js", "hex after an underscore"],
  ["123.8c4f2e1d9a7b6c5d.js", "webpack numeric chunk id plus hex"],
  ["application-5a3f9c2e1b8d7f6a4c3e2d1b0a9f8e7d6c5b4a39.css", "Sprockets 40-hex digest"],
  ["index-D8fj2k_a.js", "Vite base64url with an underscore"],
  ["logo-B3x9Zq1w.svg", "Vite base64url asset"],
  ["index-D8f-2k_a.js", "Vite base64url containing a dash"],
  ["my-component-Ab3dEf9h.js", "Vite hash after a hyphenated name"],
  ["app-5JQ4XBCF.js", "esbuild upper-case base32"],
  ["start.BxY3z4Qw.js", "SvelteKit-style hash after a dot"],
  ["index-Ab3dEf9hIjK0lMnOpQr2.js", "20+ base64url chars"],
  ["app.3f2a1b9c.min.js", "hash before .min.js"],
  ["app.3f2a1b9c.js.map", "hash before .js.map"],
  ["main.min.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.css", "Hugo"],
  ["_next/static/chunks/pages/_app.js", "Next.js static directory"],
  ["_next/static/Ab3dE/_buildManifest.js", "Next.js build-id directory"],
  ["docs/_next/static/css/styles.css", "Next.js static directory under a base path"],
  ["_app/immutable/entry/start.js", "SvelteKit immutable directory"],
];

for (const [path, why] of fingerprinted) {
  Deno.test(`isFingerprinted() recognizes ${path} (${why})`, () => {
    assertEquals(isFingerprinted(path), true);
  });
}

const ordinary: ReadonlyArray<readonly [path: string, why: string]> = [
  ["index.html", "a plain page"],
  ["settings.js", "a plain script"],
  ["Settings.js", "a capitalized name without separator"],
  ["my-component.js", "a hyphenated word"],
  ["jquery-3.7.1.min.js", "a version number"],
  ["lib-10.20.30.js", "a longer version number"],
  ["bootstrap-5.3.3-dist.zip", "a version with a suffix"],
  ["favicon.ico", "an icon"],
  ["2024-report.pdf", "a leading year"],
  ["background-image.png", "two words"],
  ["react-dom.production.min.js", "a dotted build flavour"],
  ["report-20240115.pdf", "a date is all digits, not hex"],
  ["photo_20240115123045.jpg", "a timestamp"],
  ["gallery-photo2.jpg", "a lower-case word with a number"],
  ["hero-desktop2x.png", "a retina suffix"],
  ["icon-twitter2.svg", "a word with a digit"],
  ["logo@2x.png", "an @2x suffix"],
  ["cafe-deadbeef.js", "hex letters without a digit"],
  ["Ab3dEf9h.js", "a hash with no name before it"],
  [".3f2a1b9c.js", "a hash with an empty name before the dot"],
  ["-3f2a1b9c.js", "a hash with an empty name before the dash"],
  ["app.3f2a1b9.js", "only 7 hex chars"],
  ["app-Ab3dEf9hIjK0l.js", "13–19 base64url chars (neither short nor long)"],
  ["very-long-component-name-2.js", "hyphenated words with a number"],
  ["app.3f2a1b9c", "a hash as the extension"],
  ["3f2a1b9c", "a bare hash without extension"],
  ["assets.3f2a1b9c/app.js", "a hash in a directory name"],
  ["not_next/static/app.js", "a directory that only ends like _next"],
  ["app.3f2a1b9c.tar.gz.sig", "a hash three suffixes before the end"],
  ["", "the empty path"],
];

for (const [path, why] of ordinary) {
  Deno.test(`isFingerprinted() rejects ${JSON.stringify(path)} (${why})`, () => {
    assertEquals(isFingerprinted(path), false);
  });
}

const policies: ReadonlyArray<
  readonly [name: string, path: string, contentType: string, expected: string]
> = [
  [
    "makes a fingerprinted script immutable for a year",
    "assets/index-D8fj2k_a.js",
    "text/javascript; charset=utf-8",
    "public, max-age=31536000, immutable",
  ],
  [
    "makes a fingerprinted image immutable",
    "logo-B3x9Zq1w.svg",
    "image/svg+xml; charset=utf-8",
    IMMUTABLE_CACHE_CONTROL,
  ],
  [
    "revalidates an ordinary script",
    "settings.js",
    "text/javascript; charset=utf-8",
    "public, no-cache",
  ],
  ["revalidates HTML", "index.html", "text/html; charset=utf-8", REVALIDATE_CACHE_CONTROL],
  [
    "revalidates HTML even under a hash-like name",
    "page.3f2a1b9c.html",
    "text/html; charset=utf-8",
    REVALIDATE_CACHE_CONTROL,
  ],
  ["revalidates a versioned library", "jquery-3.7.1.min.js", "text/javascript", "public, no-cache"],
  ["revalidates the favicon", "favicon.ico", "image/x-icon", REVALIDATE_CACHE_CONTROL],
];

for (const [name, path, contentType, expected] of policies) {
  Deno.test(`cacheControlFor() ${name} (${path})`, () => {
    assertEquals(cacheControlFor(path, contentType), expected);
  });
}
