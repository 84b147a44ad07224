/**
 * Giving free pages back. Deleting rows (old versions, an app, expired
 * logs) leaves free pages inside the database file; with
 * `auto_vacuum = INCREMENTAL` SQLite keeps them until asked. The vacuum
 * asks in small steps: each step is one write transaction running
 * `PRAGMA incremental_vacuum(N)` through the serialized writer, then it
 * yields, so requests and other writes run between steps and never wait
 * for more than one step. A run starts shortly after {@linkcode Vacuum.request}
 * (raised after deletes) and on a slow periodic check of the free-page
 * count; when it ends, a passive checkpoint copies the WAL into the main
 * file, which is then cut to its new size.
 *
 * Every database fazt creates has had `auto_vacuum = INCREMENTAL` from the
 * start. A file made elsewhere in mode `none` keeps its free pages (later
 * writes reuse them) and {@linkcode storeSpace} says so: switching it takes
 * a full `VACUUM`, which SQLite runs through an attached database, and Deno
 * refuses `ATTACH` (its limit is 0, and cannot be raised) in any process
 * not started with `--allow-all`, which fazt never is.
 *
 * @module
 */
import { statSync } from "node:fs";
import type { Connection, Database } from "../../store/database.ts";

/** Pages freed per step by default (1 MiB of 4 KiB pages). */
export const DEFAULT_PAGES_PER_STEP = 256;

/** The auto-vacuum mode of a database file. */
export type AutoVacuumMode = "none" | "full" | "incremental";

/** How much room a database file takes and how much of it is free. */
export interface StoreSpace {
  /** Bytes of the database file plus its WAL. */
  fileBytes: number;
  /** Bytes of the WAL alone. */
  walBytes: number;
  /** Page size in bytes. */
  pageSize: number;
  /** Pages in the database (committed state). */
  pages: number;
  /** Free pages waiting to be given back. */
  freePages: number;
  /** `freePages × pageSize`. */
  freeBytes: number;
  /** `incremental`: the vacuum gives pages back in steps; `none`: they stay (reused by later writes). */
  autoVacuum: AutoVacuumMode;
}

/** Counters of the vacuum. */
export interface VacuumStats {
  /** True while a run is going on. */
  running: boolean;
  /** Runs finished since start. */
  runs: number;
  /** Steps taken since start. */
  steps: number;
  /** Pages given back since start. */
  pagesFreed: number;
  /** The longest step (write transaction included), in ms. */
  maxStepMs: number;
  /** When the last run ended (ms since the epoch), or null. */
  lastRunAt: number | null;
}

/** Options for {@linkcode createVacuum}. */
export interface VacuumOptions {
  /** The database to keep compact. */
  db: Database;
  /** Pages freed per step (default {@linkcode DEFAULT_PAGES_PER_STEP}). */
  pagesPerStep?: number;
  /** Pause between steps, in ms, so other work runs (default 5). */
  pauseMs?: number;
  /** How long after a request a run starts, so deletes close together share it (default 1000). */
  delayMs?: number;
  /** How often {@linkcode Vacuum.start} checks the free-page count, in ms (default 60 s). */
  checkEveryMs?: number;
  /** Where failures of a background run are reported (default `console.error`). */
  onError?: (err: unknown) => void;
}

/** Gives a database's free pages back in the background. */
export interface Vacuum {
  /** The file's size and free pages now. */
  space(): StoreSpace;
  /** Asks for a run soon (after deletes); runs already asked for are shared. */
  request(): void;
  /**
   * Gives every free page back, one step at a time, and returns how many
   * pages were freed. A run already going on is joined, not doubled.
   */
  run(): Promise<number>;
  /** The counters. */
  stats(): VacuumStats;
  /** Starts the periodic check. */
  start(): void;
  /** Stops the periodic check and waits for a run in progress to end (after its current step). */
  stop(): Promise<void>;
}

const MODES: AutoVacuumMode[] = ["none", "full", "incremental"];

function pragma(conn: Connection, name: string): number {
  return Number(Object.values(conn.prepare(`PRAGMA ${name}`).get() ?? {})[0] ?? 0);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The space a database file takes (read on the read connection, never blocking). */
export function storeSpace(db: Pick<Database, "read" | "path">): StoreSpace {
  const pageSize = pragma(db.read, "page_size");
  const freePages = pragma(db.read, "freelist_count");
  const walBytes = fileSize(`${db.path}-wal`);
  return {
    fileBytes: fileSize(db.path) + walBytes,
    walBytes,
    pageSize,
    pages: pragma(db.read, "page_count"),
    freePages,
    freeBytes: freePages * pageSize,
    autoVacuum: MODES[pragma(db.read, "auto_vacuum")] ?? "none",
  };
}

/** Creates the vacuum of one database (nothing runs until asked or started). */
export function createVacuum(options: VacuumOptions): Vacuum {
  const { db } = options;
  const pagesPerStep = options.pagesPerStep ?? DEFAULT_PAGES_PER_STEP;
  if (!Number.isSafeInteger(pagesPerStep) || pagesPerStep < 1) {
    throw new RangeError(`pagesPerStep must be a positive integer; got ${pagesPerStep}.`);
  }
  const pauseMs = options.pauseMs ?? 5;
  const delayMs = options.delayMs ?? 1000;
  const checkEveryMs = options.checkEveryMs ?? 60_000;
  const onError = options.onError ?? ((err) => console.error("fazt: vacuum:", err));
  const counters = { runs: 0, steps: 0, pagesFreed: 0, maxStepMs: 0 };
  let lastRunAt: number | null = null;
  let current: Promise<number> | null = null;
  let requested: ReturnType<typeof setTimeout> | undefined;
  let periodic: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  async function steps(): Promise<number> {
    let freed = 0;
    while (!stopped) {
      const space = storeSpace(db);
      if (space.autoVacuum !== "incremental" || space.freePages === 0) break;
      const started = performance.now();
      const gone = await db.write((w) => {
        const before = pragma(w, "freelist_count");
        // Each row stepped frees one page: `all()` steps to the end (`exec` stops after one).
        w.prepare(`PRAGMA incremental_vacuum(${pagesPerStep})`).all();
        return before - pragma(w, "freelist_count");
      });
      counters.maxStepMs = Math.max(counters.maxStepMs, performance.now() - started);
      counters.steps++;
      if (gone <= 0) break;
      freed += gone;
      counters.pagesFreed += gone;
      await sleep(pauseMs);
    }
    if (freed > 0 && !stopped) {
      // Copies the WAL into the main file, which is then cut to its new size; never waits.
      await db.exclusive((w) => w.exec("PRAGMA wal_checkpoint(PASSIVE)"));
    }
    counters.runs++;
    lastRunAt = Date.now();
    return freed;
  }

  function run(): Promise<number> {
    current ??= steps().finally(() => {
      current = null;
    });
    return current;
  }

  function background(): void {
    if (stopped) return;
    run().catch((err) => {
      if (!stopped) onError(err);
    });
  }

  return {
    space: () => storeSpace(db),
    request() {
      if (stopped || requested !== undefined) return;
      requested = setTimeout(() => {
        requested = undefined;
        background();
      }, delayMs);
    },
    run,
    stats: () => ({ running: current !== null, ...counters, lastRunAt }),
    start() {
      if (periodic !== undefined || stopped) return;
      periodic = setInterval(() => {
        if (storeSpace(db).freePages > 0) background();
      }, checkEveryMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(requested);
      clearInterval(periodic);
      requested = periodic = undefined;
      await current?.catch(() => undefined);
    },
  };
}
