/**
 * The embedded standard library that sandboxed app code can `require()`: lodash, cheerio,
 * uuid and zod, each prebundled (by `deno task stdlib`, see `build.ts`) into one
 * self-contained CommonJS source string under `dist/`.
 *
 * Sources are loaded lazily: a library's module is imported only the first time it is
 * asked for, then kept. Each `import()` uses a literal specifier so that `deno compile`
 * and `deno bundle` embed the generated files with no build step at run time.
 *
 * The returned text is CommonJS: evaluate it in a function scope that provides
 * `module`, `exports` and `require` (the bundles never call `require`), then read
 * `module.exports`.
 *
 * @module
 */

/** Names app code may pass to `require()` to get an embedded library. */
export const STDLIB_NAMES = ["lodash", "cheerio", "uuid", "zod"] as const;

/** One of {@link STDLIB_NAMES}. */
export type StdlibName = typeof STDLIB_NAMES[number];

const NAME_SET: ReadonlySet<string> = new Set(STDLIB_NAMES);

/**
 * Reports whether `s` names an embedded library.
 *
 * @param s A module name as app code passed it to `require()`.
 * @returns `true` when `s` is exactly one of {@link STDLIB_NAMES}.
 */
export function isStdlibName(s: string): s is StdlibName {
  return NAME_SET.has(s);
}

const cache = new Map<StdlibName, Promise<string>>();

function importSource(name: StdlibName): Promise<{ default: string }> {
  // One literal specifier per library, so bundlers and `deno compile` include each file.
  switch (name) {
    case "lodash":
      return import("./dist/lodash.ts");
    case "cheerio":
      return import("./dist/cheerio.ts");
    case "uuid":
      return import("./dist/uuid.ts");
    case "zod":
      return import("./dist/zod.ts");
  }
}

/**
 * Returns the CommonJS source of an embedded library, importing its generated module on
 * first use and caching it after (concurrent first calls share one import).
 *
 * @param name The library to load.
 * @returns The library's self-contained CommonJS source text.
 */
export function loadStdlib(name: StdlibName): Promise<string> {
  let pending = cache.get(name);
  if (pending === undefined) {
    pending = importSource(name).then((mod) => mod.default);
    cache.set(name, pending);
    // A failed import is not cached, so a later call can try again.
    pending.catch(() => cache.delete(name));
  }
  return pending;
}
