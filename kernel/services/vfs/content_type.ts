/**
 * Content types for static files, chosen by file extension, and whether a
 * content type is worth compressing. Both answers come from tables built
 * once at module load, so a request costs one or two `Map` lookups.
 *
 * Textual types carry `; charset=utf-8`: `text/*`, JavaScript, JSON, XML,
 * SVG and the `+json` / `+xml` families (web manifest, RSS, Atom, …).
 *
 * @module
 */

/** The type sent for an unknown or missing extension. */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

const UTF8 = "; charset=utf-8";

/** Extension → media type, without parameters; `true` marks textual types. */
const TYPES: ReadonlyArray<readonly [exts: string, type: string, text: boolean]> = [
  // Documents and code.
  ["html htm shtml", "text/html", true],
  ["xhtml xht", "application/xhtml+xml", true],
  ["css", "text/css", true],
  ["js mjs cjs", "text/javascript", true],
  ["json map", "application/json", true],
  ["jsonld", "application/ld+json", true],
  ["geojson", "application/geo+json", true],
  ["topojson", "application/json", true],
  ["webmanifest", "application/manifest+json", true],
  ["manifest appcache", "text/cache-manifest", true],
  ["txt text log", "text/plain", true],
  ["md markdown mdx", "text/markdown", true],
  ["csv", "text/csv", true],
  ["tsv", "text/tab-separated-values", true],
  ["xml xsd", "application/xml", true],
  ["xsl xslt", "application/xslt+xml", true],
  ["dtd", "application/xml-dtd", true],
  ["rss", "application/rss+xml", true],
  ["atom", "application/atom+xml", true],
  ["kml", "application/vnd.google-earth.kml+xml", true],
  ["gpx", "application/gpx+xml", true],
  ["yaml yml", "application/yaml", true],
  ["toml", "application/toml", true],
  ["ics ifb", "text/calendar", true],
  ["vcf vcard", "text/vcard", true],
  ["vtt", "text/vtt", true],
  ["srt", "application/x-subrip", true],
  ["m3u8", "application/vnd.apple.mpegurl", true],
  ["mpd", "application/dash+xml", true],
  ["rtf", "application/rtf", false],
  ["ps eps ai", "application/postscript", false],
  // Images.
  ["svg", "image/svg+xml", true],
  ["ico cur", "image/x-icon", false],
  ["png", "image/png", false],
  ["apng", "image/apng", false],
  ["jpg jpeg jpe jfif pjpeg pjp", "image/jpeg", false],
  ["gif", "image/gif", false],
  ["webp", "image/webp", false],
  ["avif", "image/avif", false],
  ["jxl", "image/jxl", false],
  ["heic", "image/heic", false],
  ["heif", "image/heif", false],
  ["bmp", "image/bmp", false],
  ["tif tiff", "image/tiff", false],
  ["psd", "image/vnd.adobe.photoshop", false],
  // Fonts.
  ["woff", "font/woff", false],
  ["woff2", "font/woff2", false],
  ["ttf", "font/ttf", false],
  ["otf", "font/otf", false],
  ["ttc", "font/collection", false],
  ["eot", "application/vnd.ms-fontobject", false],
  // Audio.
  ["mp3", "audio/mpeg", false],
  ["wav", "audio/wav", false],
  ["ogg oga opus spx", "audio/ogg", false],
  ["flac", "audio/flac", false],
  ["m4a", "audio/mp4", false],
  ["aac", "audio/aac", false],
  ["weba", "audio/webm", false],
  ["mid midi", "audio/midi", false],
  // Video.
  ["mp4 m4v", "video/mp4", false],
  ["webm", "video/webm", false],
  ["ogv", "video/ogg", false],
  ["mov qt", "video/quicktime", false],
  ["mkv", "video/x-matroska", false],
  ["avi", "video/x-msvideo", false],
  ["mpeg mpg", "video/mpeg", false],
  ["3gp", "video/3gpp", false],
  // Archives, binaries and other documents.
  ["pdf", "application/pdf", false],
  ["zip", "application/zip", false],
  ["gz tgz", "application/gzip", false],
  ["tar", "application/x-tar", false],
  ["bz2", "application/x-bzip2", false],
  ["xz", "application/x-xz", false],
  ["zst", "application/zstd", false],
  ["7z", "application/x-7z-compressed", false],
  ["rar", "application/vnd.rar", false],
  ["jar", "application/java-archive", false],
  ["wasm", "application/wasm", false],
  ["epub", "application/epub+zip", false],
  ["glb", "model/gltf-binary", false],
  ["gltf", "model/gltf+json", true],
  ["usdz", "model/vnd.usdz+zip", false],
  ["doc", "application/msword", false],
  ["docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", false],
  ["xls", "application/vnd.ms-excel", false],
  ["xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false],
  ["ppt", "application/vnd.ms-powerpoint", false],
  ["pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", false],
  ["odt", "application/vnd.oasis.opendocument.text", false],
  ["ods", "application/vnd.oasis.opendocument.spreadsheet", false],
  ["odp", "application/vnd.oasis.opendocument.presentation", false],
];

/** Lower-case extension → full `Content-Type` value. */
const BY_EXTENSION: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const [exts, type, text] of TYPES) {
    for (const ext of exts.split(" ")) map.set(ext, text ? type + UTF8 : type);
  }
  return map;
})();

/**
 * Returns the `Content-Type` for a file path by its extension
 * (case-insensitive), with `; charset=utf-8` on textual types.
 * A path without an extension, or with an unknown one, gets
 * {@linkcode DEFAULT_CONTENT_TYPE}. A leading dot (`.env`) is not an
 * extension separator, and neither is a dot in a directory name.
 */
export function contentTypeFor(path: string): string {
  const dot = path.lastIndexOf(".");
  if (dot < 0) return DEFAULT_CONTENT_TYPE;
  const slash = path.lastIndexOf("/");
  if (dot <= slash + 1 || dot === path.length - 1) return DEFAULT_CONTENT_TYPE;
  const ext = path.slice(dot + 1);
  return BY_EXTENSION.get(ext) ?? BY_EXTENSION.get(ext.toLowerCase()) ?? DEFAULT_CONTENT_TYPE;
}

/** Media types (no parameters) that compress well besides `text/*`, `+json` and `+xml`. */
const COMPRESSIBLE_TYPES: ReadonlySet<string> = new Set([
  "application/javascript",
  "application/x-javascript",
  "application/ecmascript",
  "application/json",
  "application/xml",
  "application/xml-dtd",
  "application/wasm",
  "application/yaml",
  "application/x-yaml",
  "application/toml",
  "application/x-subrip",
  "application/vnd.apple.mpegurl",
  "application/rtf",
  "application/postscript",
  "application/vnd.ms-fontobject",
  "application/x-font-ttf",
  "application/x-font-otf",
  "font/ttf",
  "font/otf",
  "font/sfnt",
  "font/collection",
  "image/x-icon",
  "image/vnd.microsoft.icon",
  "image/bmp",
]);

/** Every full value {@linkcode contentTypeFor} can return → compressibility. */
const KNOWN_VALUES: Map<string, boolean> = new Map();

function compressibleMediaType(type: string): boolean {
  if (type.startsWith("text/")) return true;
  if (type.endsWith("+json") || type.endsWith("+xml")) return true;
  return COMPRESSIBLE_TYPES.has(type);
}

for (const value of BY_EXTENSION.values()) {
  const semi = value.indexOf(";");
  KNOWN_VALUES.set(value, compressibleMediaType(semi < 0 ? value : value.slice(0, semi)));
}
KNOWN_VALUES.set(DEFAULT_CONTENT_TYPE, false);

/**
 * Tells whether a response of this `Content-Type` is worth compressing:
 * `text/*`, JavaScript, JSON, XML, SVG and other `+json` / `+xml` types,
 * WebAssembly, YAML/TOML, uncompressed fonts (TTF, OTF, EOT), ICO and BMP.
 * Already-compressed formats (most images, audio, video, archives, WOFF,
 * WOFF2, PDF) are not. Parameters and case are ignored.
 */
export function isCompressible(contentType: string): boolean {
  const known = KNOWN_VALUES.get(contentType);
  if (known !== undefined) return known;
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return compressibleMediaType(type);
}
