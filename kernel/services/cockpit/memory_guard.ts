/**
 * The memory breaker. On a 1 GB box the kernel must never be the process
 * the OOM killer picks, so the guard watches fazt's total resident memory
 * (kernel + app sandboxes + app SQL processes) and trips the breakers in
 * order, cheapest first:
 *
 * 1. at `shrinkCacheAt` it shrinks the content cache;
 * 2. at `evictAt` it also stops idle app sandboxes and idle app SQL processes;
 * 3. at `shedAt` it also sets the load shedder's pressure to `"shed"`, so
 *    app requests get a 503 while the cockpit keeps working.
 *
 * Shrinking and evicting run on every check while memory is above their
 * threshold (a cache refills, sandboxes and SQL processes restart).
 * Shedding has hysteresis: `setPressure("shed")` is called once when
 * memory reaches `shedAt`, and
 * shedding stays on (shrinking and evicting too) until memory falls below
 * `shedAt × (1 − hysteresis)` (default 10% below); then `setPressure("ok")`
 * is called once, so the server does not flap between serving and shedding.
 * Actions that throw are reported through `onError` and never stop the
 * next action or the next check.
 *
 * @example
 * ```ts
 * const total = Deno.systemMemoryInfo().total; // needs --allow-sys=systemMemoryInfo
 * const guard = createMemoryGuard({
 *   limits: defaultMemoryLimits(total),
 *   probe: () => treeResident(Deno.pid, sandboxPids()),
 *   actions: { shrinkCache, evictIdle, setPressure: shedder.setPressure },
 * });
 * guard.start();
 * ```
 *
 * @module
 */
import { MIB } from "../../core/format.ts";

/** What memory pressure the last check found, from none to worst. */
export type MemoryLevel = "ok" | "shrink" | "evict" | "shed";

/** Resident-memory thresholds in bytes; each must be at least the previous one. */
export interface MemoryLimits {
  /** Shrink the content cache at or above this. */
  shrinkCacheAt: number;
  /** Stop idle sandboxes and app SQL processes at or above this. */
  evictAt: number;
  /** Shed app requests at or above this. */
  shedAt: number;
}

/** What the guard does at each level. */
export interface MemoryActions {
  /**
   * Frees cache memory. Receives the current level, so it can free more at
   * `"evict"`/`"shed"` than at `"shrink"`.
   */
  shrinkCache(level: Exclude<MemoryLevel, "ok">): void;
  /** Stops idle sandboxes and app SQL processes; returns how many were stopped. */
  evictIdle(): Promise<number> | number;
  /** Turns shedding of app requests on (`"shed"`) or off (`"ok"`). */
  setPressure(level: "ok" | "shed"): void;
}

/** Options for {@linkcode createMemoryGuard}. */
export interface MemoryGuardOptions {
  /** Resident-memory thresholds (bytes). */
  limits: MemoryLimits;
  /** What fazt holds in RAM, in bytes: kernel, sandboxes, SQL processes (see {@linkcode treeResident}). */
  probe: () => number | Promise<number>;
  /** What to do when a threshold is reached. */
  actions: MemoryActions;
  /** How often {@linkcode MemoryGuard.start} checks, in ms. Default 1000. */
  intervalMs?: number;
  /** Shedding stops below `shedAt × (1 − hysteresis)`. Default 0.1. */
  hysteresis?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
  /** Where action and probe failures are reported. Default `console.error`. */
  onError?: (err: unknown) => void;
}

/** Counters of the memory guard. */
export interface MemoryGuardStats {
  /** Resident memory the probe read at the last check (bytes). */
  rss: number;
  /** Level at the last check. */
  level: MemoryLevel;
  /**
   * `shrink`/`evict`: how many checks ran that action; `shed`: how many times
   * shedding was switched on.
   */
  trips: { shrink: number; evict: number; shed: number };
  /** When the last check ran (ms since epoch; 0 = never). */
  checkedAt: number;
}

/** The memory breaker. */
export interface MemoryGuard {
  /** Measures now, runs the actions the level calls for, and returns the level. */
  check(): Promise<MemoryLevel>;
  /** Checks every `intervalMs` until {@linkcode stop}. */
  start(): void;
  /**
   * Stops checking (idempotent). The promise settles once a check still in
   * flight has finished; awaiting it is optional.
   */
  stop(): Promise<void>;
  /** Current counters. */
  stats(): MemoryGuardStats;
}

/**
 * Thresholds derived from total system memory: shrink the cache at 45%,
 * evict idle sandboxes at 60%, shed app traffic at 75% (on a 1 GB box:
 * ~460, ~614 and ~768 MiB held by fazt).
 */
export function defaultMemoryLimits(totalBytes: number): MemoryLimits {
  return {
    shrinkCacheAt: Math.floor(totalBytes * 0.45),
    evictAt: Math.floor(totalBytes * 0.6),
    shedAt: Math.floor(totalBytes * 0.75),
  };
}

/** The content cache budget for a box: 6% of RAM, at least 16 MiB, at most 256 MiB. */
export function defaultCacheBudget(totalBytes: number): number {
  return Math.min(256 * MIB, Math.max(16 * MIB, Math.floor(totalBytes * 0.06)));
}

/** Sums `fields` (kB) of `/proc/<pid>/status` in bytes; 0 when the process is gone. */
function statusBytes(pid: number, fields: string[]): number {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return 0;
  }
  let total = 0;
  for (const field of fields) {
    const match = new RegExp(`^${field}:\\s*(\\d+)\\s*kB`, "m").exec(text);
    if (match) total += Number(match[1]) * 1024;
  }
  return total;
}

/**
 * The resident memory of a process in bytes, from `VmRSS` in
 * `/proc/<pid>/status` (Linux; needs read access to `/proc`). Returns 0
 * when the process is gone or the file cannot be read.
 */
export function processRss(pid: number): number {
  return statusBytes(pid, ["VmRSS"]);
}

/**
 * The memory only this process holds, in bytes: its anonymous and shared
 * memory pages (`RssAnon` + `RssShmem` of `/proc/<pid>/status`), without
 * the pages of files it maps. 0 when the process is gone.
 */
export function processAnon(pid: number): number {
  return statusBytes(pid, ["RssAnon", "RssShmem"]);
}

/**
 * What fazt holds in RAM, cheaply: the kernel's whole RSS plus each child's
 * own memory ({@linkcode processAnon}). Reads `/proc` directly, which Deno
 * allows only with `--allow-all` (tests, benchmarks); a server gets the
 * same figure from the per-app watchdog, which reads through
 * `sys_files.ts`. Every child (sandbox, SQL process)
 * runs the same deno executable as the kernel, so the executable's pages a
 * child maps are the kernel's pages too; summing each process's RSS would
 * count them once per process (about 30 MiB per child: with ten warm apps,
 * more than twice what is really used, see docs/BENCHMARKS.md). Duplicate
 * and kernel PIDs among `children` count once.
 */
export function treeResident(kernelPid: number, children: number[]): number {
  let total = processRss(kernelPid);
  for (const pid of new Set(children)) if (pid !== kernelPid) total += processAnon(pid);
  return total;
}

/** The summed resident memory of processes (see {@linkcode processRss}); duplicates count once. */
export function totalRss(pids: number[]): number {
  let total = 0;
  for (const pid of new Set(pids)) total += processRss(pid);
  return total;
}

/** Creates the memory guard. */
export function createMemoryGuard(options: MemoryGuardOptions): MemoryGuard {
  const { limits, probe, actions } = options;
  if (
    !(limits.shrinkCacheAt > 0 && limits.shrinkCacheAt <= limits.evictAt &&
      limits.evictAt <= limits.shedAt)
  ) {
    throw new RangeError(
      `Memory limits must satisfy 0 < shrinkCacheAt ≤ evictAt ≤ shedAt; got ${
        JSON.stringify(limits)
      }.`,
    );
  }
  const hysteresis = options.hysteresis ?? 0.1;
  const recoverBelow = limits.shedAt * (1 - hysteresis);
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((err) => console.error("fazt: memory guard:", err));

  let rss = 0;
  let level: MemoryLevel = "ok";
  let shedding = false;
  let checkedAt = 0;
  const trips = { shrink: 0, evict: 0, shed: 0 };
  let inflight: Promise<MemoryLevel> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  function attempt(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      onError(err);
    }
  }

  async function run(): Promise<MemoryLevel> {
    try {
      // A synchronous probe is used at once: the actions run in the same turn as before.
      const reading = probe();
      rss = typeof reading === "number" ? reading : await reading;
    } catch (err) {
      onError(err);
      return level;
    }
    checkedAt = now();
    if (!shedding && rss >= limits.shedAt) {
      shedding = true;
      trips.shed++;
      attempt(() => actions.setPressure("shed"));
    } else if (shedding && rss < recoverBelow) {
      shedding = false;
      attempt(() => actions.setPressure("ok"));
    }
    level = shedding
      ? "shed"
      : rss >= limits.evictAt
      ? "evict"
      : rss >= limits.shrinkCacheAt
      ? "shrink"
      : "ok";
    if (level === "ok") return level;
    const lvl = level;
    if (rss >= limits.shrinkCacheAt || shedding) {
      trips.shrink++;
      attempt(() => actions.shrinkCache(lvl));
    }
    if (rss >= limits.evictAt || shedding) {
      trips.evict++;
      try {
        await actions.evictIdle();
      } catch (err) {
        onError(err);
      }
    }
    return lvl;
  }

  function check(): Promise<MemoryLevel> {
    inflight ??= run().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  function schedule(): void {
    if (!running || timer !== undefined) return; // one timer chain, even after stop() + start()
    timer = setTimeout(() => {
      timer = undefined;
      check().finally(schedule);
    }, intervalMs);
  }

  return {
    check,
    start() {
      if (running) return;
      running = true;
      check().finally(schedule);
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await inflight;
    },
    stats() {
      return { rss, level, trips: { ...trips }, checkedAt };
    },
  };
}
