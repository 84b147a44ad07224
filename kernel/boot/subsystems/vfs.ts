/**
 * The VFS subsystem: per-version file indexes, the byte-budget content
 * cache, the reader of an app version's server code, and the background
 * compressor of deployed files.
 *
 * @module
 */
import { createFileIndexCache, type FileIndexCache } from "../../services/vfs/file_index.ts";
import { type ContentCache, createContentCache } from "../../services/vfs/content_cache.ts";
import { type AppCodeReader, createAppCodeReader } from "../../services/vfs/app_code.ts";
import {
  createVariantCompressor,
  type VariantCompressor,
} from "../../services/vfs/variant_compressor.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Version file indexes (an LRU). */
    fileIndexes: FileIndexCache;
    /** File contents in memory, within a byte budget. */
    content: ContentCache;
    /** An app version's code, for sandboxes. */
    appCode: AppCodeReader;
    /** Stores br and gzip encodings of deployed files in the background. */
    compressor: VariantCompressor;
  }
}

/** Builds the VFS read side. */
export const vfs: Subsystem = {
  name: "vfs",
  install(ctx) {
    const db = ctx.get("db");
    const read = db.read;
    const fileIndexes = createFileIndexCache(read);
    ctx.provide("fileIndexes", fileIndexes);
    ctx.provide(
      "content",
      createContentCache(read, {
        budgetBytes: ctx.config.cacheBytes,
        maxEntryBytes: ctx.config.maxCachedFileBytes,
      }),
    );
    ctx.provide("appCode", createAppCodeReader(read));
    const compressor = createVariantCompressor({
      db,
      onPublished: () => fileIndexes.clear(),
      onError: (err) => console.error("fazt: background compression failed:", err),
    });
    ctx.provide("compressor", compressor);
    // Every deploy (and a start after a crash) may leave files to compress.
    ctx.get("appChanges").listen(() => compressor.wake());
    compressor.wake();
    ctx.onClose(() => compressor.stop());
  },
};
