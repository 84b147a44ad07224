/**
 * Per-app resource limits: a hard memory cap over all of an app's
 * processes (its sandbox and its SQL process) and a budget for CPU spent
 * with no request in flight.
 *
 * **Memory.** An app's memory is what its processes own: their resident
 * anonymous memory (JavaScript heap, ArrayBuffers, strings, WebAssembly
 * memory, malloc and SQLite), not the pages of the fazt executable they
 * share with the kernel. Each app has a cap (the server's `--app-memory`,
 * 128 MiB by default, or the owner's per-app setting) enforced by the
 * strongest mechanism the machine offers, detected at start:
 *
 * - `cgroup-v2` / `cgroup-v1` (see `cgroups.ts`): one memory group per app
 *   holds its processes and is capped at the cap; the kernel's OOM killer
 *   stops the largest process of an app the moment the app reaches it.
 * - `rlimit` (no usable cgroup; util-linux `prlimit` present, see
 *   `rlimit.ts`): each process gets an `RLIMIT_DATA` ceiling when it
 *   starts serving the app, so that the two together stay under 1.5 × the
 *   cap ({@linkcode ceilings}). An allocation past its ceiling fails (a
 *   `RangeError`, SQLite's "out of memory", or an out-of-memory end of the
 *   process), and the watchdog then stops the app, now over its cap.
 * - `watchdog` only: nothing but the watchdog below.
 *
 * Everywhere, a watchdog reads each app process's owned memory from
 * `/proc/<pid>/statm` every `intervalMs` (500 ms, 250 ms when it is the only
 * mechanism; through
 * {@linkcode SysFiles}, as Deno needs `--allow-all` for `/proc`) and stops the largest
 * process of an app whose processes together hold more than its cap. And
 * the app's SQL process sets SQLite's `hard_heap_limit` to a quarter of
 * the cap, so a SQLite allocation bomb fails with a clear error and never
 * grows the process.
 *
 * **CPU.** Every `cpuIntervalMs` (1 s) the watchdog reads the CPU time of
 * each app's processes (`/proc/<pid>/stat`) and the time its sandboxes had
 * requests in flight. CPU beyond 1.25 cores' worth of that time (one
 * JavaScript thread and V8's helper threads) is background CPU: it
 * is drawn from a per-app token bucket that refills at the budget
 * (`--cpu-budget`, 100 ms per second: a tenth of a core) up to 30 s worth.
 * An app that empties its bucket is stopped and paused until the bucket is
 * back above zero: its requests get 503 with `Retry-After` meanwhile. So a
 * handler that leaves `setInterval(busy 95 ms, 100)` behind runs for about
 * 3–10 s under steady traffic, then at most about a tenth of a core on
 * average; an app that spends its CPU serving requests is never stopped.
 * What this cannot tell apart: background work that runs while requests
 * are in flight all the time (traffic that saturates the app) looks like
 * serving them, so such an app can keep a core busy, as one slow handler
 * can (bounded by the request time limit and the app's low CPU priority).
 *
 * Every stop is written to the app's logs and shown in its status
 * ({@linkcode AppResources.view}); requests in flight in a stopped sandbox
 * get 502 naming the cap, and after a stop nobody heard of (no request in
 * flight) the app's next request gets one 503 saying what happened; the
 * one after starts a fresh process.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { formatBytes, MIB } from "../../core/format.ts";
import {
  type AppCgroup,
  type CgroupDetection,
  cgroupNumber,
  type CgroupTree,
  detectCgroups,
  oomKillsIn,
} from "../../../runtime/process/cgroups.ts";
import type { DataLimiter } from "../../../runtime/process/rlimit.ts";
import { createProcReader, type ProcReader } from "../../../runtime/process/proc_stats.ts";
import type { SysFiles } from "../../../runtime/process/sys_files.ts";

/** The smallest memory cap an owner may set, in MiB (an idle sandbox and SQL process own about 23 MiB). */
export const MIN_APP_MEMORY_MB = 64;

/** The largest memory cap an owner may set, in MiB. */
export const MAX_APP_MEMORY_MB = 1024 * 1024;

/** The default memory cap of an app, in MiB. */
export const DEFAULT_APP_MEMORY_MB = 128;

/** The default background CPU budget of an app, in ms of CPU per second. */
export const DEFAULT_CPU_BUDGET_MS = 100;

/** The background CPU an app may save up, in seconds of its budget. */
export const CPU_BURST_SECONDS = 30;

/**
 * CPU ms credited per ms an app has requests in flight: one JavaScript
 * thread, plus a quarter for V8's helper threads (GC, compilers) and SQL
 * work overlapping it.
 */
const CPU_PER_BUSY_MS = 1.25;

/** What sets the memory cap apart from the watchdog. */
export type ResourceMechanism = "cgroup-v2" | "cgroup-v1" | "rlimit" | "watchdog" | "off";

/**
 * How limits are enforced: `auto` (the strongest available), `rlimit` (no
 * cgroups), `watchdog` (only the watchdog), `off` (nothing runs; for the
 * in-process CLI and tests; SQLite's heap limit still applies).
 */
export type ResourceLimitsMode = "auto" | "rlimit" | "watchdog" | "off";

/** One process of an app, as the runtime and app data report it. */
export interface AppProcess {
  /** The app it serves. */
  appId: string;
  /** Its process ID. */
  pid: number;
  /** A sandbox (runs the app's code) or the app's SQL process. */
  kind: "sandbox" | "sql";
  /** Sandboxes: total ms with at least one request in flight since it started. */
  busyMs?: number;
  /** Sandboxes: requests in flight now. */
  inflight?: number;
}

/** Where the watchdog finds and stops app processes. */
export interface AppProcessSource {
  /** Every running app process. */
  list(): AppProcess[];
  /**
   * Stops an app's processes of `kind` (or all); requests and SQL calls in
   * progress fail with `message`.
   */
  stop(appId: string, kind: AppProcess["kind"] | "all", message: string): void;
}

/** Options for {@linkcode createAppResources}. */
export interface AppResourcesOptions {
  /** The kernel database (per-app caps in `app_limits.memory_bytes`). */
  db: Database;
  /** How to enforce the limits. */
  mode: ResourceLimitsMode;
  /** The cap of an app the owner has not set one for, in bytes. */
  defaultMemoryBytes: number;
  /** Background CPU budget per app, ms per second (0: no budget). */
  cpuBudgetMs: number;
  /** Writes a line to an app's logs. */
  log(appId: string, level: "info" | "warn" | "error", message: string): void;
  /** Sets `RLIMIT_DATA` (mode `auto` without cgroups, or `rlimit`); null when `prlimit` is missing. */
  dataLimiter: DataLimiter | null;
  /** Reads `/proc` and `/sys`; null when nothing can read them (then no limit but SQLite's applies). */
  files: SysFiles | null;
  /**
   * Memory check interval, ms (default 500 with cgroups or rlimits, which
   * stop a fast bomb themselves; 250 with the watchdog alone).
   */
  intervalMs?: number;
  /** CPU check interval, ms (default 1000). */
  cpuIntervalMs?: number;
  /** Finds cgroups (default {@linkcode detectCgroups}). */
  detect?: (files: SysFiles) => Promise<CgroupDetection>;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

/** One stop of an app by its limits. */
export interface ResourceStop {
  /** When (ISO time). */
  at: string;
  /** What happened, as written to the app's logs. */
  message: string;
}

/** An app's limits and use, as its status shows them. */
export interface AppResourceView {
  /** How the memory cap is enforced on this server. */
  mechanism: ResourceMechanism;
  /** Memory. */
  memory: {
    /** The cap over all the app's processes, in bytes. */
    limitBytes: number;
    /** True when the owner set this app's cap (else the server default). */
    custom: boolean;
    /** What the app's processes own now (last watchdog reading), in bytes. */
    usedBytes: number;
    /**
     * The most they held since fazt started: the higher of the watchdog's
     * highest reading and the app's cgroup peak (which misses a sandbox's
     * memory from before it joined, but catches what happens between readings).
     */
    peakBytes: number;
    /** SQLite's heap limit in the app's SQL process, in bytes. */
    sqliteHeapBytes: number;
    /** Times the app was stopped for memory since fazt started. */
    stops: number;
    /** The last such stop. */
    lastStop: ResourceStop | null;
  };
  /** CPU. */
  cpu: {
    /** Background CPU budget, ms per second (0: none). */
    budgetMsPerSecond: number;
    /** The most background CPU the app may save up, in ms. */
    burstMs: number;
    /** What is left of it now, in ms (negative while paused). */
    leftMs: number;
    /** CPU the app's processes used since fazt started (as sampled), in ms. */
    usedMs: number;
    /** Of that, CPU used with no request in flight, in ms. */
    backgroundMs: number;
    /** While paused for CPU: until when (ISO time). */
    pausedUntil: string | null;
    /** Times the app was stopped for CPU since fazt started. */
    stops: number;
    /** The last such stop. */
    lastStop: ResourceStop | null;
  };
}

/** The limits' state for `system.status`. */
export interface ResourceStatus {
  /** How memory caps are enforced. */
  mechanism: ResourceMechanism;
  /** Why (which cgroup hierarchies were tried, and how it went). */
  note: string;
  /** The cap of apps without their own, in bytes. */
  defaultMemoryLimitBytes: number;
  /** Background CPU budget per app, ms per second (0: none). */
  cpuBudgetMsPerSecond: number;
  /** Watchdog counters. */
  watchdog: {
    /** Memory check interval, ms (0 when it does not run). */
    intervalMs: number;
    /** Checks since start. */
    checks: number;
    /** App processes seen at the last check. */
    processes: number;
    /** How long the last check took, µs. */
    lastCheckMicros: number;
    /** Total time spent checking since start, ms. */
    totalCheckMs: number;
  };
  /** Stops for memory since start, all apps. */
  memoryStops: number;
  /** Stops for CPU since start, all apps. */
  cpuStops: number;
}

/** Per-app limits: the kernel side. */
export interface AppResources {
  /** How memory caps are enforced. */
  readonly mechanism: ResourceMechanism;
  /** Tells the watchdog where app processes are; call once, before {@linkcode start}. */
  attach(source: AppProcessSource): void;
  /** Starts the watchdog (no-op in mode `off`). */
  start(): void;
  /** Stops the watchdog and removes the app groups (their processes must be gone). */
  close(): Promise<void>;
  /** Runs one memory check (and a CPU check when one is due), now. */
  check(): Promise<void>;
  /**
   * What every app process owned at the last check, summed, in bytes (the
   * memory guard's reading of the children); null while the watchdog does
   * not run or has not checked yet.
   */
  lastOwned(): number | null;

  /** A sandbox is about to load `appId`'s code: put it under the app's limits. */
  sandboxBound(appId: string, pid: number): Promise<void>;
  /** An app SQL process was just spawned: put it in the app's group (in the background). */
  sqlSpawned(appId: string, pid: number): void;
  /** An app SQL process is ready (started up): waits for its group, sets its ceiling. */
  sqlReady(appId: string, pid: number): Promise<void>;
  /** SQLite's hard heap limit for the app's SQL process, in bytes. */
  sqliteHeapBytes(appId: string): number;
  /**
   * Why an app process ended, when its limits did it (the OOM killer in its
   * group, or running out of memory under its ceiling); null otherwise.
   * `inflight`: requests it had in flight.
   */
  exitReason(
    appId: string,
    pid: number,
    status: Deno.CommandStatus,
    inflight: number,
  ): Promise<string | null>;
  /** Throws (503) when the app may not start a process now: paused for CPU, or a stop to report. */
  admit(appId: string): void;

  /** The app's memory cap in bytes, and whether the owner set it. */
  memoryLimit(appId: string): { bytes: number; custom: boolean };
  /** Sets (bytes) or clears (null: back to the default) an app's memory cap. */
  setMemoryLimit(appId: string, bytes: number | null): Promise<void>;
  /** The app's limits and use. */
  view(appId: string): Promise<AppResourceView>;
  /** State for `system.status`. */
  status(): ResourceStatus;
}

interface AppState {
  /** Owner's cap (bytes), null for the default; undefined until read. */
  custom?: number | null;
  group: Promise<AppCgroup | null> | null;
  /** OOM kills in the group already accounted for. */
  oomSeen: number;
  used: number;
  peakSeen: number;
  memoryStops: number;
  lastMemoryStop: ResourceStop | null;
  /** A stop no request heard of, told to the next request. */
  notice: string | null;
  tokens: number;
  tokensAt: number;
  cpuMs: number;
  backgroundMs: number;
  pausedUntil: number;
  cpuStops: number;
  lastCpuStop: ResourceStop | null;
}

interface PidState {
  appId: string;
  cpuMs: number;
  busyMs: number;
}

/**
 * The per-process ceilings of mode `rlimit` for a cap, in owned bytes: the
 * SQL process gets `max(32 MiB, cap / 2 − 12 MiB)`, the sandbox `cap + 8 MiB`
 * (so after an allocation fails at its ceiling the watchdog sees the app
 * over its cap and stops it with a clear message) unless that would take
 * the two past `1.5 × cap − 4 MiB`.
 */
export function ceilings(cap: number): { sandbox: number; sql: number } {
  const sql = Math.max(32 * MIB, cap / 2 - 12 * MIB);
  return { sql, sandbox: Math.min(cap + 8 * MIB, 1.5 * cap - sql - 4 * MIB) };
}

/** The error of a request refused while its app is paused or must hear of a stop. */
function refusal(message: string, retrySeconds: number): FaztError {
  return new FaztError("unavailable", message, {
    headers: { "retry-after": String(Math.max(1, Math.ceil(retrySeconds))) },
  });
}

/** How to raise an app's cap, for its logs. */
function capAdvice(appId: string): string {
  return `The owner can raise the cap: fazt app memory-limit ${appId} --limit <MiB>.`;
}

/** Creates the per-app limits; finds cgroups when `mode` is `auto`. */
export async function createAppResources(options: AppResourcesOptions): Promise<AppResources> {
  const { db, mode, files } = options;
  const now = options.now ?? Date.now;
  const cpuIntervalMs = options.cpuIntervalMs ?? 1000;
  const rate = Math.max(0, options.cpuBudgetMs);
  const burst = rate * CPU_BURST_SECONDS;

  let tree: CgroupTree | null = null;
  let mechanism: ResourceMechanism = "off";
  let note = "limits are off (no server)";
  let procs: ProcReader | null = null;
  if (mode !== "off" && !files) {
    note = "cannot read /proc (no awk or /bin/sh helper): only SQLite's heap limit applies";
  } else if (mode !== "off" && files) {
    procs = await createProcReader(files);
    const detection = mode === "auto"
      ? await (options.detect ?? ((f) => detectCgroups(f, { companions: f.pids() })))(files)
      : { tree: null, note: `cgroups not used (--resource-limits ${mode})` };
    tree = detection.tree;
    note = detection.note;
    if (tree) mechanism = tree.version === 2 ? "cgroup-v2" : "cgroup-v1";
    else if (mode !== "watchdog" && options.dataLimiter) {
      mechanism = "rlimit";
      note += "; RLIMIT_DATA via prlimit";
    } else {
      mechanism = "watchdog";
      if (mode !== "watchdog") note += "; no prlimit";
    }
  }
  const limiter = mechanism === "rlimit" ? options.dataLimiter : null;
  const active = procs !== null;
  const intervalMs = options.intervalMs ?? (mechanism === "watchdog" ? 250 : 500);
  let lastOwned: number | null = null;

  const apps = new Map<string, AppState>();
  const pids = new Map<number, PidState>();
  /** SQL processes being put in their group. */
  const joining = new Map<number, Promise<void>>();
  let source: AppProcessSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let inflight: Promise<void> | null = null;
  let lastCpuCheck = now();
  let checks = 0;
  let lastProcesses = 0;
  let lastCheckMicros = 0;
  let totalCheckMs = 0;
  let memoryStops = 0;
  let cpuStops = 0;

  const capStatement = db.read.prepare("SELECT memory_bytes AS m FROM app_limits WHERE app_id = ?");

  function state(appId: string): AppState {
    let s = apps.get(appId);
    if (!s) {
      s = {
        group: null,
        oomSeen: 0,
        used: 0,
        peakSeen: 0,
        memoryStops: 0,
        lastMemoryStop: null,
        notice: null,
        tokens: burst,
        tokensAt: now(),
        cpuMs: 0,
        backgroundMs: 0,
        pausedUntil: 0,
        cpuStops: 0,
        lastCpuStop: null,
      };
      apps.set(appId, s);
    }
    return s;
  }

  function memoryLimit(appId: string): { bytes: number; custom: boolean } {
    const s = state(appId);
    if (s.custom === undefined) {
      const row = capStatement.get(appId) as { m: number | null } | undefined;
      s.custom = row?.m ?? null;
    }
    return { bytes: s.custom ?? options.defaultMemoryBytes, custom: s.custom !== null };
  }

  const cap = (appId: string) => memoryLimit(appId).bytes;

  /** The app's group, made and capped on first use; null without cgroups or when that failed. */
  function group(appId: string): Promise<AppCgroup | null> {
    const s = state(appId);
    if (!tree || !files) return Promise.resolve(null);
    const t = tree;
    s.group ??= (async () => {
      try {
        const g = await t.group(appId);
        await g.setMemoryLimit(cap(appId));
        const [events] = await files.read([g.oomFile]);
        s.oomSeen = oomKillsIn(events);
        return g;
      } catch (err) {
        console.error(`fazt: could not make the memory group of ${appId}:`, err);
        s.group = null;
        return null;
      }
    })();
    return s.group;
  }

  async function join(appId: string, pid: number): Promise<void> {
    try {
      await (await group(appId))?.add(pid);
    } catch {
      // the process is already gone
    }
  }

  /**
   * Sets process `pid`'s `RLIMIT_DATA` so that it can own at most about
   * `owned` bytes: what it has mapped now plus what it may still own.
   */
  async function ceiling(pid: number, owned: number): Promise<void> {
    if (!limiter || !procs) return;
    const m = (await procs.read([pid], false)).get(pid)?.memory;
    if (m) await limiter.limit(pid, m.data + Math.max(8 * MIB, owned - m.owned));
  }

  /** Remembers the CPU a process has used so far: only what it uses from now on counts. */
  async function baseline(appId: string, pid: number): Promise<void> {
    const cpu = (await procs?.read([pid], true))?.get(pid)?.cpuMs;
    pids.set(pid, { appId, cpuMs: cpu ?? 0, busyMs: 0 });
  }

  /**
   * Applies a new cap to an app's group. Cgroup v1 refuses a cap below what
   * the group holds: then the app's processes are stopped and it is tried
   * again while their memory is freed.
   */
  async function regroup(appId: string, g: AppCgroup, limit: number): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        await g.setMemoryLimit(limit);
        return;
      } catch (err) {
        if (attempt === 40) {
          console.error(`fazt: could not set the memory cap of ${appId}:`, err);
          return;
        }
        if (attempt === 0) {
          source?.stop(
            appId,
            "all",
            `The app's memory cap was lowered to ${
              formatBytes(limit)
            }; fazt restarted its processes.`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  function sqliteHeapBytes(appId: string): number {
    return Math.max(16 * MIB, Math.floor(cap(appId) / 4));
  }

  function stamp(): string {
    return new Date(now()).toISOString();
  }

  function memoryStopped(appId: string, message: string, unheard: boolean): void {
    const s = state(appId);
    s.memoryStops++;
    memoryStops++;
    s.lastMemoryStop = { at: stamp(), message };
    if (unheard) s.notice = message;
    options.log(appId, "error", message);
  }

  function checkMemory(list: AppProcess[], readings: Map<number, { memory?: { owned: number } }>) {
    const byApp = new Map<string, { proc: AppProcess; owned: number }[]>();
    for (const proc of list) {
      const owned = readings.get(proc.pid)?.memory?.owned;
      if (owned === undefined) continue;
      let procs = byApp.get(proc.appId);
      if (!procs) byApp.set(proc.appId, procs = []);
      procs.push({ proc, owned });
    }
    for (const [appId, s] of apps) if (!byApp.has(appId)) s.used = 0;
    for (const [appId, procs] of byApp) {
      const s = state(appId);
      const total = procs.reduce((sum, p) => sum + p.owned, 0);
      s.used = total;
      s.peakSeen = Math.max(s.peakSeen, total);
      const limit = cap(appId);
      if (total <= limit || !source) continue;
      const largest = procs.reduce((a, b) => (b.owned > a.owned ? b : a));
      const parts = procs.map((p) =>
        `${p.proc.kind === "sql" ? "SQL" : "sandbox"} ${formatBytes(p.owned)}`
      );
      const what = largest.proc.kind === "sql" ? "its SQL process" : "its runtime";
      const message = `The app's processes held ${formatBytes(total)} (${
        parts.join(", ")
      }), more than its memory cap of ${
        formatBytes(limit)
      }, so fazt stopped ${what}. The next request starts a fresh one. ${capAdvice(appId)}`;
      const unheard = largest.proc.kind === "sandbox" &&
        procs.every((p) => p.proc.kind !== "sandbox" || (p.proc.inflight ?? 0) === 0);
      source.stop(appId, largest.proc.kind, message);
      memoryStopped(appId, message, unheard);
    }
  }

  function refill(s: AppState, t: number): void {
    s.tokens = Math.min(burst, s.tokens + (rate * (t - s.tokensAt)) / 1000);
    s.tokensAt = t;
  }

  function checkCpu(list: AppProcess[], readings: Map<number, { cpuMs?: number }>): void {
    const t = now();
    const seconds = Math.max(0.001, (t - lastCpuCheck) / 1000);
    lastCpuCheck = t;
    const usage = new Map<string, { cpu: number; busy: number }>();
    const seen = new Set<number>();
    for (const proc of list) {
      seen.add(proc.pid);
      const cpu = readings.get(proc.pid)?.cpuMs;
      if (cpu === undefined) continue;
      const busy = proc.busyMs ?? 0;
      const prev = pids.get(proc.pid);
      pids.set(proc.pid, { appId: proc.appId, cpuMs: cpu, busyMs: busy });
      // A process first seen here is measured from now on.
      if (!prev || prev.appId !== proc.appId) continue;
      let u = usage.get(proc.appId);
      if (!u) usage.set(proc.appId, u = { cpu: 0, busy: 0 });
      u.cpu += Math.max(0, cpu - prev.cpuMs);
      u.busy += Math.max(0, busy - prev.busyMs);
    }
    for (const pid of pids.keys()) if (!seen.has(pid) && !joining.has(pid)) pids.delete(pid);
    for (const [appId, u] of usage) {
      const s = state(appId);
      const background = Math.max(0, u.cpu - CPU_PER_BUSY_MS * u.busy);
      s.cpuMs += u.cpu;
      s.backgroundMs += background;
      if (rate === 0) continue;
      refill(s, t);
      s.tokens -= background;
      if (s.tokens >= 0 || !source) continue;
      const pause = Math.ceil(-s.tokens / rate);
      s.pausedUntil = t + pause * 1000;
      const message = `The app used ${Math.round(background)} ms of CPU in the last ${
        seconds.toFixed(1)
      } s with no request in flight (${Math.round(u.cpu)} ms in all; requests in flight for ${
        Math.round(u.busy)
      } ms), more than its background CPU budget of ${rate} ms per second (saved up to ${burst} ms), so fazt stopped it. It can run again in ${pause} s. Work left running after a response (timers, loops) counts against the budget.`;
      s.cpuStops++;
      cpuStops++;
      s.lastCpuStop = { at: stamp(), message };
      source.stop(appId, "all", message);
      options.log(appId, "error", message);
    }
  }

  async function runCheck(): Promise<void> {
    if (!source || !procs) return;
    const started = performance.now();
    const list = source.list();
    lastProcesses = list.length;
    const cpuDue = now() - lastCpuCheck >= cpuIntervalMs - intervalMs / 2;
    const readings = await procs.read(list.map((p) => p.pid), cpuDue);
    let owned = 0;
    for (const r of readings.values()) owned += r.memory?.owned ?? 0;
    lastOwned = owned;
    checkMemory(list, readings);
    if (cpuDue) checkCpu(list, readings);
    checks++;
    const took = performance.now() - started;
    lastCheckMicros = Math.round(took * 1000);
    totalCheckMs += took;
  }

  function check(): Promise<void> {
    inflight ??= runCheck().catch((err) => console.error("fazt: resource watchdog:", err))
      .finally(() => inflight = null);
    return inflight;
  }

  function schedule(): void {
    if (!running || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      check().finally(schedule);
    }, intervalMs);
    Deno.unrefTimer(timer);
  }

  return {
    get mechanism() {
      return mechanism;
    },
    attach(s) {
      source = s;
    },
    start() {
      if (!active || running) return;
      running = true;
      lastCpuCheck = now();
      schedule();
    },
    async close() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      await inflight;
      await tree?.close();
    },
    check,
    lastOwned: () => lastOwned,

    async sandboxBound(appId, pid) {
      if (!active) return;
      await Promise.all([
        join(appId, pid),
        baseline(appId, pid),
        ceiling(pid, ceilings(cap(appId)).sandbox),
      ]);
    },
    sqlSpawned(appId, pid) {
      if (!active || !tree) return;
      const joined = join(appId, pid).finally(() => joining.delete(pid));
      joining.set(pid, joined);
    },
    async sqlReady(appId, pid) {
      if (!active) return;
      await Promise.all([
        joining.get(pid),
        baseline(appId, pid),
        ceiling(pid, ceilings(cap(appId)).sql),
      ]);
    },
    sqliteHeapBytes,
    async exitReason(appId, _pid, status, inflight) {
      if (!active || !files) return null;
      const s = state(appId);
      const g = s.group ? await s.group : null;
      if (g && status.signal === "SIGKILL") {
        const [events] = await files.read([g.oomFile]);
        if (oomKillsIn(events) > s.oomSeen) {
          s.oomSeen++;
          const message = `The app's processes reached its memory cap of ${
            formatBytes(cap(appId))
          }, so the system stopped the largest of them. The next request starts a fresh one. ${
            capAdvice(appId)
          }`;
          memoryStopped(appId, message, inflight === 0);
          return message;
        }
      }
      const outOfMemory = status.code === 133 || status.signal === "SIGTRAP" ||
        status.signal === "SIGABRT";
      // An allocation refused by a ceiling (rlimit) or by V8's heap limit:
      // with the watchdog alone, a fast bomb can end its process this way
      // between two of the watchdog's samples.
      if (outOfMemory) {
        const message = `The app ran out of memory (memory cap of ${
          formatBytes(cap(appId))
        }) and its process was stopped. The next request starts a fresh one. ${capAdvice(appId)}`;
        memoryStopped(appId, message, inflight === 0);
        return message;
      }
      return null;
    },
    admit(appId) {
      const s = apps.get(appId);
      if (!s) return;
      const t = now();
      if (s.pausedUntil > t) {
        throw refusal(
          `This app is paused for ${
            Math.ceil((s.pausedUntil - t) / 1000)
          } s: it used more CPU with no request in flight than its budget of ${rate} ms per second. See its logs.`,
          (s.pausedUntil - t) / 1000,
        );
      }
      if (s.notice) {
        const message = s.notice;
        s.notice = null;
        throw refusal(`This app was stopped: ${message}`, 1);
      }
    },

    memoryLimit,
    async setMemoryLimit(appId, bytes) {
      if (bytes !== null && !(Number.isSafeInteger(bytes) && bytes >= MIN_APP_MEMORY_MB * MIB)) {
        throw new FaztError(
          "invalid_input",
          `A memory cap must be a whole number of bytes, at least ${MIN_APP_MEMORY_MB} MiB; got ${bytes}.`,
        );
      }
      await db.write((w) => {
        if (!w.prepare("SELECT 1 FROM apps WHERE id = ?").get(appId)) {
          throw new FaztError(
            "not_found",
            `No app has the ID "${appId}". Run \`fazt app list\` to see your apps.`,
            { details: { app: appId } },
          );
        }
        w.prepare(
          `INSERT INTO app_limits (app_id, memory_bytes) VALUES (?, ?)
           ON CONFLICT (app_id) DO UPDATE SET memory_bytes = excluded.memory_bytes`,
        ).run(appId, bytes);
        w.prepare(
          "DELETE FROM app_limits WHERE app_id = ? AND egress_monthly_bytes IS NULL AND memory_bytes IS NULL",
        ).run(appId);
      });
      const s = state(appId);
      s.custom = bytes;
      const limit = cap(appId);
      const g = s.group ? await s.group : null;
      if (g) await regroup(appId, g, limit);
      options.log(
        appId,
        "info",
        `The app's memory cap is now ${formatBytes(limit)}${
          bytes === null ? " (the server default)" : ""
        }; its SQL heap limit and per-process ceilings follow from its next process start.`,
      );
    },
    async view(appId) {
      const { bytes, custom } = memoryLimit(appId);
      const s = state(appId);
      const t = now();
      if (rate > 0) refill(s, t);
      const g = s.group ? await s.group : null;
      const groupPeak = g && files ? cgroupNumber((await files.read([g.peakFile]))[0]) : null;
      return {
        mechanism,
        memory: {
          limitBytes: bytes,
          custom,
          usedBytes: s.used,
          peakBytes: Math.max(groupPeak ?? 0, s.peakSeen),
          sqliteHeapBytes: sqliteHeapBytes(appId),
          stops: s.memoryStops,
          lastStop: s.lastMemoryStop,
        },
        cpu: {
          budgetMsPerSecond: rate,
          burstMs: burst,
          leftMs: Math.round(s.tokens),
          usedMs: Math.round(s.cpuMs),
          backgroundMs: Math.round(s.backgroundMs),
          pausedUntil: s.pausedUntil > t ? new Date(s.pausedUntil).toISOString() : null,
          stops: s.cpuStops,
          lastStop: s.lastCpuStop,
        },
      };
    },
    status() {
      return {
        mechanism,
        note,
        defaultMemoryLimitBytes: options.defaultMemoryBytes,
        cpuBudgetMsPerSecond: rate,
        watchdog: {
          intervalMs: active ? intervalMs : 0,
          checks,
          processes: lastProcesses,
          lastCheckMicros,
          totalCheckMs: Math.round(totalCheckMs * 1000) / 1000,
        },
        memoryStops,
        cpuStops,
      };
    },
  };
}
