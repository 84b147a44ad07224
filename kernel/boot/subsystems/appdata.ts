/**
 * The app data subsystem: each app's kv, documents and blobs (`store.db`)
 * and its SQL (`sql.db`, run in a killable subprocess per app, within the
 * app's memory cap).
 *
 * @module
 */
import {
  type AppDataService,
  createAppDataService,
} from "../../services/appdata/app_data_service.ts";
import { DEFAULT_SQL_IDLE_MS } from "../../services/appdata/sql/sql_process.ts";
import { findApp } from "../../services/apps/app_service.ts";
import { getVersion } from "../../services/vfs/version_store.ts";
import { type DocIndexes, DocIndexesSchema, normalizeIndexes } from "../../../apps/doc_indexes.ts";
import type { Connection } from "../../store/database.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Each app's own data. */
    appData: AppDataService;
  }
}

/**
 * Apps whose data stays open at once: each with SQL in use holds a
 * subprocess (~40 MB), so few on a 1 GB box.
 */
const MAX_OPEN_APPS = 8;

/** The document indexes the live version of `appId` declares in its `app.json`. */
function declaredIndexes(db: Connection, appId: string): DocIndexes {
  const live = findApp(db, appId)?.liveVersionId;
  const manifest = live == null ? undefined : getVersion(db, live)?.manifest;
  const parsed = DocIndexesSchema.safeParse(manifest?.indexes ?? {});
  return parsed.success ? normalizeIndexes(parsed.data) : {};
}

/** Builds the app data service. */
export const appdata: Subsystem = {
  name: "appdata",
  install(ctx) {
    const limits = ctx.get("resources");
    const db = ctx.get("db");
    const service = createAppDataService({
      dataDir: ctx.config.dataDir,
      maxOpenApps: MAX_OPEN_APPS,
      // An unused SQL process stops no later than an idle sandbox (the memory guard: sooner).
      sqlIdleMs: Math.min(ctx.config.sandboxIdleMs, DEFAULT_SQL_IDLE_MS),
      sqlLimits: (appId) => ({
        spawned: (pid) => limits.sqlSpawned(appId, pid),
        ready: (pid) => limits.sqlReady(appId, pid),
        exitReason: (pid, status) => limits.exitReason(appId, pid, status, 0),
        heapLimitBytes: () => limits.sqliteHeapBytes(appId),
      }),
      docIndexes: (appId) => declaredIndexes(db.read, appId),
    });
    // A deploy or a rollback may change what an open app declares.
    ctx.get("appChanges").listen(() => service.refreshIndexes());
    ctx.onClose(() => service.close());
    ctx.provide("appData", service);
  },
};
