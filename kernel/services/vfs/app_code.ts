/**
 * An app version's server code, as the runtime loads it: every code file
 * (`.js .mjs .cjs .ts .json`) of the version as text, and its entry
 * (`api/main.*`). Versions are immutable, so the result is cached per
 * version (a small LRU).
 *
 * @module
 */
import type { Connection } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { apiEntryOf } from "../../../apps/api_entry.ts";
import { versionFiles } from "./version_store.ts";
import { readBlob } from "./content_store.ts";

/** File types sent to a sandbox as code. */
const CODE_FILE = /\.(?:js|mjs|cjs|ts|json)$/;
/** Most code bytes sent to a sandbox. */
const MAX_CODE_BYTES = 20 * 1024 * 1024;
/** Versions whose code is kept in memory. */
const CACHED_VERSIONS = 64;

/** An app version's code files (path → source) and its entry file. */
export interface AppCode {
  /** Path → source text. */
  files: Record<string, string>;
  /** The entry file, e.g. `api/main.js`. */
  entry: string;
}

/** Reads an app version's code; throws `not_found` without an entry, `payload_too_large` past 20 MiB. */
export type AppCodeReader = (versionId: number) => AppCode;

/** Creates the code reader over the kernel database's read connection. */
export function createAppCodeReader(db: Connection): AppCodeReader {
  const cache = new Map<number, AppCode>();
  return (versionId) => {
    const cached = cache.get(versionId);
    if (cached) return cached;
    const all = versionFiles(db, versionId);
    const entry = apiEntryOf(all.map((f) => f.path));
    if (!entry) throw new FaztError("not_found", "This app has no api/main.js.");
    const decoder = new TextDecoder();
    const files: Record<string, string> = {};
    let total = 0;
    for (const f of all) {
      if (!CODE_FILE.test(f.path)) continue;
      total += f.size;
      if (total > MAX_CODE_BYTES) {
        throw new FaztError("payload_too_large", `The app's code is over ${MAX_CODE_BYTES} bytes.`);
      }
      files[f.path] = decoder.decode(readBlob(db, f.hash) ?? new Uint8Array());
    }
    const code = { files, entry };
    if (cache.size >= CACHED_VERSIONS) cache.delete(cache.keys().next().value!);
    cache.set(versionId, code);
    return code;
  };
}
