/**
 * Where an app's server code starts: `api/main.js` (or `.ts`, `.mjs`,
 * `.cjs`). An app with one of these is full-stack (or headless); without,
 * it is static.
 *
 * @module
 */

/** Entry files, in order of preference. */
export const API_ENTRIES: readonly string[] = [
  "api/main.js",
  "api/main.ts",
  "api/main.mjs",
  "api/main.cjs",
];

/** The first API entry file among a version's paths, if any. */
export function apiEntryOf(paths: Iterable<string>): string | null {
  const set = new Set(paths);
  return API_ENTRIES.find((e) => set.has(e)) ?? null;
}
