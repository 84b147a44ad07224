/**
 * Each app's own data, isolated per app ID. An app's data lives in its own
 * folder, `<dataDir>/apps/<appId>/`, as two SQLite files:
 *
 * - `store.db`: kv, documents and blobs (fazt's tables; one serialized
 *   writer, see `kernel/store/database.ts`, with statements compiled once
 *   per connection and concurrent writes sharing commits, see
 *   `app_store.ts`; pages freed by deletes are given back in small steps
 *   shortly after the writes, see `maintenance/vacuum.ts`);
 * - `sql.db`: the app's own SQL, holding nothing of fazt's. It is used only
 *   by the app's own SQL process (`sql_process.ts`), started on the app's
 *   first SQL call, so a runaway statement can be killed without touching
 *   the kernel.
 *
 * The document indexes an app declares in `app.json` (`doc_index_sync.ts`)
 * are synced when its `store.db` opens and again when
 * {@linkcode AppDataService.refreshIndexes} finds the declaration changed
 * (a deploy, a rollback), each time in a write queued before any other.
 *
 * Files are opened on first use and kept open in a small LRU cache; an app
 * in the middle of a call is never evicted. An app's SQL process also stops
 * after a while unused, or at once when the memory guard asks
 * ({@linkcode AppDataService.stopIdleSql}). Because every file belongs to
 * exactly one app and each handle is looked up by the validated app ID, one
 * app's calls cannot name another app's data.
 *
 * @module
 */
import { join } from "node:path";
import { FaztError } from "../../core/errors.ts";
import { APP_ID_PATTERN } from "../apps/app_id.ts";
import { openDatabase } from "../../store/database.ts";
import { createVacuum, type Vacuum } from "../maintenance/vacuum.ts";
import { type AppStore, createAppStore } from "./app_store.ts";
import { createBlobStore } from "./blob_store.ts";
import type { BlobStore } from "./blob_store.ts";
import { type AppDataLimits, resolveLimits, type StoreContext } from "./context.ts";
import { describe } from "../../core/text.ts";
import { createDocStore, type DocStore } from "./doc_store.ts";
import { createKvStore, type KvStore } from "./kv_store.ts";
import { type SqlLimits, SqlProcess } from "./sql/sql_process.ts";
import type { SpawnSpec } from "../../../runtime/process/launcher.ts";
import { createSqlStore, type SqlStore } from "./sql_store.ts";
import { APPDATA_MIGRATIONS } from "./store_schema.ts";
import type { DocIndexes } from "../../../apps/doc_fields.ts";
import { syncDocIndexes } from "./doc_index_sync.ts";

export type { AppDataLimits } from "./context.ts";
export { DEFAULT_APPDATA_LIMITS } from "./context.ts";

/** The file holding an app's kv, documents and blobs. */
export const STORE_DB_FILE = "store.db";

/** The file holding an app's own SQL tables. */
export const SQL_DB_FILE = "sql.db";

/** How many apps keep their files open by default. */
export const DEFAULT_MAX_OPEN_APPS = 32;

/** How many apps' store objects {@linkcode AppDataService.forApp} keeps for reuse. */
const MAX_HANDLES = 256;

/** One app's data. */
export interface AppData {
  /** The app's ID. */
  readonly appId: string;
  /** Key-value pairs with optional expiry. */
  readonly kv: KvStore;
  /** Collections of JSON documents. */
  readonly docs: DocStore;
  /** Binary files under paths. */
  readonly blobs: BlobStore;
  /** The app's own SQL database. */
  readonly sql: SqlStore;
}

/** Options for {@linkcode createAppDataService}. */
export interface AppDataServiceOptions {
  /** The fazt data folder; app data goes under `apps/<appId>/`. */
  dataDir: string;
  /** The clock, in ms since the epoch (default `Date.now`). */
  now?: () => number;
  /** Overrides of {@linkcode DEFAULT_APPDATA_LIMITS}. */
  limits?: Partial<AppDataLimits>;
  /** How many apps keep their files open (default 32). */
  maxOpenApps?: number;
  /** How long a connection waits for a lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** How long after an app's writes its `store.db` is checked for free pages, in ms (default 1000). */
  vacuumDelayMs?: number;
  /** How long an app's unused SQL process is kept, in ms (default 2 minutes). */
  sqlIdleMs?: number;
  /** How to start an app's SQL process, given its data folder (default: fazt's own code). */
  sqlSpawn?: (dir: string) => Promise<SpawnSpec>;
  /** The resource limits of an app's SQL process (default: none). */
  sqlLimits?: (appId: string) => SqlLimits;
  /**
   * The document indexes an app declares now (its live version's
   * `app.json`); without it, no index is created or dropped.
   */
  docIndexes?: (appId: string) => DocIndexes;
}

/** Every app's data. */
export interface AppDataService {
  /** The data of one app (`invalid_input` if `appId` is not an app ID). Cheap; opens nothing yet. */
  forApp(appId: string): AppData;
  /** Closes the app's files, stops its SQL process and deletes its data folder (for app deletion). */
  drop(appId: string): Promise<void>;
  /** The process ID of the app's SQL process, or `null` when none runs. */
  sqlPid(appId: string): number | null;
  /** The process IDs of every running app SQL process (for the memory guard's probe). */
  sqlPids(): number[];
  /** Every running app SQL process with its app (for the per-app resource watchdog). */
  sqlProcesses(): { appId: string; pid: number }[];
  /**
   * Kills the app's SQL process at once, busy or not (it went over the
   * app's limits); a call in progress fails with `reason`. Returns whether
   * one was running.
   */
  killSql(appId: string, reason: FaztError): boolean;
  /**
   * Stops every app SQL process with no call in progress or queued (memory
   * pressure); an app's next SQL call starts a fresh one. Returns how many
   * were stopped.
   */
  stopIdleSql(): number;
  /**
   * Re-reads the declared document indexes of every app with an open
   * `store.db` and queues a sync for those whose declaration changed (after
   * any change to apps or versions); an app opened later syncs as it opens.
   */
  refreshIndexes(): void;
  /** Waits for pending writes and closes every open file. */
  close(): Promise<void>;
}

/** An app's open files. */
interface Entry {
  appId: string;
  dir: string;
  store: AppStore | null;
  /** Gives the free pages of `store.db` back after writes that delete. */
  vacuum: Vacuum | null;
  /** The declared document indexes last synced into `store.db` (JSON), `null` before. */
  indexes: string | null;
  sql: SqlProcess | null;
  /** Calls in progress; a pinned entry is never evicted. */
  pins: number;
}

function checkAppId(appId: unknown): string {
  if (typeof appId !== "string" || !APP_ID_PATTERN.test(appId)) {
    throw new FaztError(
      "invalid_input",
      `${
        describe(appId)
      } is not an app ID. App IDs look like "app_" followed by 16 characters a-z and 2-7.`,
    );
  }
  return appId;
}

/** Makes the app data service. */
export function createAppDataService(options: AppDataServiceOptions): AppDataService {
  const limits = resolveLimits(options.limits);
  const now = options.now ?? Date.now;
  const maxOpen = options.maxOpenApps ?? DEFAULT_MAX_OPEN_APPS;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(maxOpen) || maxOpen < 1) {
    throw new FaztError("invalid_input", "maxOpenApps must be a positive integer.");
  }
  const appsDir = join(options.dataDir, "apps");

  /** Open apps, least recently used first. */
  const entries = new Map<string, Entry>();
  /** Apps whose files are being closed. */
  const closing = new Map<string, Promise<void>>();
  const dropping = new Set<string>();
  /**
   * The stores handed out per app ID (they hold no state of their own, only
   * the app's ID), so the call path builds them once, not per call.
   */
  const handles = new Map<string, AppData>();
  let closed = false;

  function closeEntry(entry: Entry): Promise<void> {
    const { sql, store, vacuum } = entry;
    entry.sql = null;
    entry.store = null;
    entry.vacuum = null;
    const done = (async () => {
      try {
        await sql?.close();
      } finally {
        await vacuum?.stop();
        await store?.close();
      }
    })().catch(() => undefined).finally(() => {
      if (closing.get(entry.appId) === done) closing.delete(entry.appId);
    });
    closing.set(entry.appId, done);
    return done;
  }

  function evict(): void {
    for (const entry of entries.values()) {
      if (entries.size <= maxOpen) return;
      if (entry.pins > 0) continue;
      entries.delete(entry.appId);
      void closeEntry(entry);
    }
  }

  async function withEntry<T>(appId: string, fn: (entry: Entry) => T | Promise<T>): Promise<T> {
    for (;;) {
      if (closed) {
        throw new FaztError("unavailable", "App data is shut down; fazt is stopping.");
      }
      if (dropping.has(appId)) {
        throw new FaztError("unavailable", `The data of ${appId} is being deleted.`);
      }
      const pending = closing.get(appId);
      if (!pending) break;
      await pending;
    }
    let entry = entries.get(appId);
    if (entry) entries.delete(appId);
    else {
      entry = {
        appId,
        dir: join(appsDir, appId),
        store: null,
        vacuum: null,
        indexes: null,
        sql: null,
        pins: 0,
      };
    }
    entries.set(appId, entry);
    entry.pins++;
    try {
      // Called in the same turn as the lookup: nothing can close the entry
      // before `fn` has started its reads and queued its writes.
      return await fn(entry);
    } finally {
      entry.pins--;
      evict();
    }
  }

  function openStore(entry: Entry): AppStore {
    Deno.mkdirSync(entry.dir, { recursive: true, mode: 0o700 });
    const db = openDatabase({
      path: join(entry.dir, STORE_DB_FILE),
      migrations: APPDATA_MIGRATIONS,
      busyTimeoutMs,
    });
    // A run starts a while after writes stop and ends at once when nothing was freed.
    const vacuum = createVacuum({ db, delayMs: options.vacuumDelayMs });
    entry.vacuum = vacuum;
    const store = createAppStore(db, () => vacuum.request());
    entry.indexes = null;
    syncIndexes(entry, store);
    return store;
  }

  /** Queues a sync of the app's declared indexes into `store` when the declaration changed. */
  function syncIndexes(entry: Entry, store: AppStore): void {
    if (!options.docIndexes) return;
    let declared: DocIndexes;
    try {
      declared = options.docIndexes(entry.appId);
    } catch (err) {
      console.error(`fazt: reading the declared indexes of ${entry.appId} failed:`, err);
      return;
    }
    const text = JSON.stringify(declared);
    if (text === entry.indexes) return;
    entry.indexes = text;
    store.write((w) => syncDocIndexes(w, declared)).catch((err) => {
      if (entry.indexes === text) entry.indexes = null;
      console.error(`fazt: syncing the document indexes of ${entry.appId} failed:`, err);
    });
  }

  function openSql(entry: Entry): SqlProcess {
    Deno.mkdirSync(entry.dir, { recursive: true, mode: 0o700 });
    return new SqlProcess({
      dir: entry.dir,
      busyTimeoutMs,
      maxSqlBytes: limits.maxSqlBytes,
      maxRows: limits.maxSqlRows,
      maxResultBytes: limits.maxSqlResultBytes,
      timeoutMs: limits.sqlTimeoutMs,
      idleMs: options.sqlIdleMs,
      spawn: options.sqlSpawn,
      limits: options.sqlLimits?.(entry.appId),
    });
  }

  return {
    forApp(appId) {
      const known = handles.get(appId);
      if (known) return known;
      const id = checkAppId(appId);
      const ctx: StoreContext = {
        appId: id,
        limits,
        now,
        withStore: (fn) => withEntry(id, (e) => fn(e.store ??= openStore(e))),
        withSql: (fn) => withEntry(id, (e) => fn(e.sql ??= openSql(e))),
      };
      const data: AppData = {
        appId: id,
        kv: createKvStore(ctx),
        docs: createDocStore(ctx),
        blobs: createBlobStore(ctx),
        sql: createSqlStore(ctx),
      };
      if (handles.size >= MAX_HANDLES) handles.delete(handles.keys().next().value!);
      handles.set(id, data);
      return data;
    },

    sqlPid(appId) {
      return entries.get(checkAppId(appId))?.sql?.pid ?? null;
    },

    sqlPids() {
      const pids: number[] = [];
      for (const entry of entries.values()) {
        const pid = entry.sql?.pid ?? null;
        if (pid !== null) pids.push(pid);
      }
      return pids;
    },

    sqlProcesses() {
      const out: { appId: string; pid: number }[] = [];
      for (const entry of entries.values()) {
        const pid = entry.sql?.pid ?? null;
        if (pid !== null) out.push({ appId: entry.appId, pid });
      }
      return out;
    },

    killSql(appId, reason) {
      return entries.get(checkAppId(appId))?.sql?.kill(reason) ?? false;
    },

    stopIdleSql() {
      let stopped = 0;
      for (const entry of entries.values()) {
        if (entry.pins === 0 && entry.sql?.stopIdle()) stopped++;
      }
      return stopped;
    },

    async drop(appId) {
      const id = checkAppId(appId);
      if (closed) throw new FaztError("unavailable", "App data is shut down; fazt is stopping.");
      dropping.add(id);
      try {
        const entry = entries.get(id);
        if (entry) {
          entries.delete(id);
          await closeEntry(entry);
        }
        await closing.get(id);
        await Deno.remove(join(appsDir, id), { recursive: true }).catch((err) => {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        });
      } finally {
        dropping.delete(id);
      }
    },

    refreshIndexes() {
      for (const entry of entries.values()) if (entry.store) syncIndexes(entry, entry.store);
    },

    async close() {
      closed = true;
      for (const entry of entries.values()) void closeEntry(entry);
      entries.clear();
      await Promise.all(closing.values());
    },
  };
}
