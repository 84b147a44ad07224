/**
 * Specification of `contentTypeFor()` and `isCompressible()`.
 *
 * @module
 */
import { contentTypeFor, isCompressible } from "../../../../kernel/services/vfs/content_type.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

const UTF8 = "; charset=utf-8";

const contentTypes: ReadonlyArray<readonly [path: string, type: string]> = [
  ["index.html", "text/html" + UTF8],
  ["page.htm", "text/html" + UTF8],
  ["style.css", "text/css" + UTF8],
  ["app.js", "text/javascript" + UTF8],
  ["mod.mjs", "text/javascript" + UTF8],
  ["legacy.cjs", "text/javascript" + UTF8],
  ["data.json", "application/json" + UTF8],
  ["app.js.map", "application/json" + UTF8],
  ["notes.txt", "text/plain" + UTF8],
  ["README.md", "text/markdown" + UTF8],
  ["table.csv", "text/csv" + UTF8],
  ["feed.xml", "application/xml" + UTF8],
  ["logo.svg", "image/svg+xml" + UTF8],
  ["favicon.ico", "image/x-icon"],
  ["photo.png", "image/png"],
  ["photo.jpg", "image/jpeg"],
  ["photo.jpeg", "image/jpeg"],
  ["anim.gif", "image/gif"],
  ["photo.webp", "image/webp"],
  ["photo.avif", "image/avif"],
  ["old.bmp", "image/bmp"],
  ["scan.tif", "image/tiff"],
  ["scan.tiff", "image/tiff"],
  ["font.woff", "font/woff"],
  ["font.woff2", "font/woff2"],
  ["font.ttf", "font/ttf"],
  ["font.otf", "font/otf"],
  ["font.eot", "application/vnd.ms-fontobject"],
  ["song.mp3", "audio/mpeg"],
  ["sound.wav", "audio/wav"],
  ["sound.ogg", "audio/ogg"],
  ["sound.oga", "audio/ogg"],
  ["sound.flac", "audio/flac"],
  ["sound.m4a", "audio/mp4"],
  ["sound.aac", "audio/aac"],
  ["voice.opus", "audio/ogg"],
  ["clip.mp4", "video/mp4"],
  ["clip.webm", "video/webm"],
  ["clip.ogv", "video/ogg"],
  ["clip.mov", "video/quicktime"],
  ["clip.mkv", "video/x-matroska"],
  ["paper.pdf", "application/pdf"],
  ["bundle.zip", "application/zip"],
  ["bundle.tar.gz", "application/gzip"],
  ["bundle.tar", "application/x-tar"],
  ["module.wasm", "application/wasm"],
  ["site.webmanifest", "application/manifest+json" + UTF8],
  ["offline.manifest", "text/cache-manifest" + UTF8],
  ["feed.rss", "application/rss+xml" + UTF8],
  ["feed.atom", "application/atom+xml" + UTF8],
  ["config.yaml", "application/yaml" + UTF8],
  ["config.yml", "application/yaml" + UTF8],
  ["Cargo.toml", "application/toml" + UTF8],
  ["events.ics", "text/calendar" + UTF8],
  ["captions.vtt", "text/vtt" + UTF8],
  ["captions.srt", "application/x-subrip" + UTF8],
  ["model.glb", "model/gltf-binary"],
  ["model.gltf", "model/gltf+json" + UTF8],
  ["data.jsonld", "application/ld+json" + UTF8],
  ["book.epub", "application/epub+zip"],
  ["page.xhtml", "application/xhtml+xml" + UTF8],
];

for (const [path, type] of contentTypes) {
  Deno.test(`contentTypeFor() maps ${path} to ${type}`, () => {
    assertEquals(contentTypeFor(path), type);
  });
}

const edgeCases: ReadonlyArray<readonly [name: string, path: string, type: string]> = [
  ["matches extensions case-insensitively", "PHOTO.JPG", "image/jpeg"],
  ["matches mixed-case extensions", "Index.HtMl", "text/html" + UTF8],
  ["looks at the basename in nested paths", "assets/img/logo.png", "image/png"],
  ["uses only the last extension", "archive.tar.gz", "application/gzip"],
  ["falls back to octet-stream for unknown extensions", "data.xyz", "application/octet-stream"],
  ["falls back to octet-stream without an extension", "LICENSE", "application/octet-stream"],
  ["does not read a dotfile name as an extension", ".env", "application/octet-stream"],
  ["does not read a nested dotfile as an extension", "dir/.html", "application/octet-stream"],
  ["ignores dots in directory names", "v1.2/README", "application/octet-stream"],
  ["treats a trailing dot as no extension", "file.", "application/octet-stream"],
  ["handles the empty path", "", "application/octet-stream"],
];

for (const [name, path, type] of edgeCases) {
  Deno.test(`contentTypeFor() ${name} (${JSON.stringify(path)})`, () => {
    assertEquals(contentTypeFor(path), type);
  });
}

const compressible: ReadonlyArray<readonly [type: string, expected: boolean]> = [
  ["text/html; charset=utf-8", true],
  ["text/css; charset=utf-8", true],
  ["text/plain", true],
  ["text/javascript; charset=utf-8", true],
  ["application/javascript", true],
  ["application/json; charset=utf-8", true],
  ["application/xml", true],
  ["image/svg+xml; charset=utf-8", true],
  ["application/manifest+json; charset=utf-8", true],
  ["application/rss+xml; charset=utf-8", true],
  ["application/ld+json", true],
  ["application/wasm", true],
  ["application/yaml; charset=utf-8", true],
  ["font/ttf", true],
  ["font/otf", true],
  ["application/vnd.ms-fontobject", true],
  ["image/x-icon", true],
  ["image/vnd.microsoft.icon", true],
  ["image/bmp", true],
  ["TEXT/HTML; Charset=UTF-8", true],
  [" application/json ", true],
  ["image/png", false],
  ["image/jpeg", false],
  ["image/webp", false],
  ["image/avif", false],
  ["image/gif", false],
  ["video/mp4", false],
  ["audio/mpeg", false],
  ["application/zip", false],
  ["application/gzip", false],
  ["application/epub+zip", false],
  ["font/woff", false],
  ["font/woff2", false],
  ["application/pdf", false],
  ["application/octet-stream", false],
  ["", false],
];

for (const [type, expected] of compressible) {
  Deno.test(`isCompressible() is ${expected} for ${JSON.stringify(type)}`, () => {
    assertEquals(isCompressible(type), expected);
  });
}

Deno.test("isCompressible() agrees with contentTypeFor() for every text type it emits", () => {
  for (const [path, type] of contentTypes) {
    if (type.endsWith(UTF8) && !isCompressible(contentTypeFor(path))) {
      throw new Error(`${path} (${type}) should be compressible`);
    }
  }
});
