/**
 * The VFS subsystem: per-version file indexes, the byte-budget content
 * cache, and the reader of an app version's server code.
 *
 * @module
 */
import { createFileIndexCache, type FileIndexCache } from "../../services/vfs/file_index.ts";
import { type ContentCache, createContentCache } from "../../services/vfs/content_cache.ts";
import { type AppCodeReader, createAppCodeReader } from "../../services/vfs/app_code.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Version file indexes (an LRU). */
    fileIndexes: FileIndexCache;
    /** File contents in memory, within a byte budget. */
    content: ContentCache;
    /** An app version's code, for sandboxes. */
    appCode: AppCodeReader;
  }
}

/** Builds the VFS read side. */
export const vfs: Subsystem = {
  name: "vfs",
  install(ctx) {
    const read = ctx.get("db").read;
    ctx.provide("fileIndexes", createFileIndexCache(read));
    ctx.provide(
      "content",
      createContentCache(read, {
        budgetBytes: ctx.config.cacheBytes,
        maxEntryBytes: ctx.config.maxCachedFileBytes,
      }),
    );
    ctx.provide("appCode", createAppCodeReader(read));
  },
};
