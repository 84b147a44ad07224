/**
 * The sandbox pool: one warm process per app (for its live version), a
 * pre-spawned spare so a cold start only loads code, idle eviction (scale
 * to zero) and an LRU cap on warm processes. A redeploy starts a process
 * for the new version; the old one finishes its in-flight requests, then
 * exits.
 *
 * @module
 */
import { Sandbox, SandboxError, type SpawnSpec } from "./sandbox.ts";
import type { RuntimeHost, RuntimeTarget } from "./host.ts";

/** Pool settings. */
export interface PoolOptions {
  /** The kernel side of the bridge. */
  host: RuntimeHost;
  /** How to start a sandbox process. */
  spawn: SpawnSpec;
  /** Warm app processes kept at most (least recently used go first). */
  maxWarm: number;
  /** A process idle this long is stopped (ms). */
  idleMs: number;
  /** Keep one spare process started ahead of need. */
  spare: boolean;
  /** A process whose code has not loaded after this long is killed (ms). */
  loadTimeoutMs: number;
}

interface Slot {
  target: RuntimeTarget;
  loading: Promise<Sandbox>;
  /** Set once loaded. */
  sandbox?: Sandbox;
}

/** Counters and the state of each warm process. */
export interface PoolStats {
  /** Warm app processes. */
  warm: number;
  /** True when a spare process is ready. */
  spare: boolean;
  /** Cold starts since boot. */
  coldStarts: number;
  /** Processes stopped for timeouts, crashes or memory. */
  killed: number;
  /** Processes stopped for being idle or over the warm cap. */
  evicted: number;
  /** Each warm process. */
  processes: { appId: string; versionId: number; pid: number; inflight: number; idleMs: number }[];
}

/** A sandbox bound to an app, for the per-app resource watchdog. */
export interface BoundProcess {
  /** The app. */
  appId: string;
  /** The process ID. */
  pid: number;
  /** Requests in flight. */
  inflight: number;
  /** Milliseconds it has spent loading its app's code or with requests in flight. */
  busyMs: number;
}

/** The sandbox pool. */
export interface Pool {
  /** A loaded sandbox for the target's version (starting one if needed). */
  acquire(target: RuntimeTarget): Promise<Sandbox>;
  /** The target's sandbox when it is loaded and alive (no waiting), else undefined. */
  ready(target: RuntimeTarget): Sandbox | undefined;
  /** Stops a sandbox that misbehaved. */
  kill(sandbox: Sandbox, reason: string): void;
  /** Stops every loaded sandbox with no request in flight; returns how many. */
  evictIdle(): number;
  /** Every live sandbox bound to an app (warm, loading or retiring). */
  bound(): BoundProcess[];
  /**
   * Stops every sandbox of an app at once (it went over its limits);
   * requests in flight fail with 502 and `message`. Returns how many.
   */
  stopApp(appId: string, message: string): number;
  /** Starts the spare process ahead of need (when spares are on and there is none). */
  prewarm(): void;
  /** Current state. */
  stats(): PoolStats;
  /** Stops every process. */
  close(): Promise<void>;
}

/**
 * True when a process loaded for `a` can serve `b`: the same version and
 * name (a rename needs a new process: the app's code sees `fazt.app.name`).
 */
function sameTarget(a: RuntimeTarget, b: RuntimeTarget): boolean {
  return a.versionId === b.versionId && a.appName === b.appName;
}

/** Creates a pool. */
export function createPool(options: PoolOptions): Pool {
  const slots = new Map<string, Slot>();
  const retiring = new Set<Sandbox>();
  let spare: Sandbox | undefined;
  let coldStarts = 0;
  let killed = 0;
  let evicted = 0;
  let closed = false;
  const live = new Set<Sandbox>();

  function spawn(): Sandbox {
    const sandbox = new Sandbox(options.spawn, options.host);
    live.add(sandbox);
    sandbox.exited.then(() => live.delete(sandbox));
    return sandbox;
  }

  function refillSpare(): void {
    if (!options.spare || closed || (spare && !spare.dead)) return;
    spare = spawn();
  }

  function retire(sandbox: Sandbox): void {
    if (sandbox.inflight === 0) sandbox.kill("retired");
    else retiring.add(sandbox);
  }

  function evict(): void {
    const now = Date.now();
    for (const [appId, slot] of slots) {
      const s = slot.sandbox;
      if (!s) continue;
      if (s.dead) {
        slots.delete(appId);
      } else if (s.inflight === 0 && now - s.lastUsed > options.idleMs) {
        s.kill("idle");
        slots.delete(appId);
        evicted++;
      }
    }
    const idle = [...slots.entries()].filter(([, slot]) => slot.sandbox?.inflight === 0)
      .sort((a, b) => a[1].sandbox!.lastUsed - b[1].sandbox!.lastUsed);
    while (slots.size > options.maxWarm && idle.length > 0) {
      const [appId, slot] = idle.shift()!;
      slot.sandbox!.kill("evicted");
      slots.delete(appId);
      evicted++;
    }
    for (const s of retiring) {
      if (s.inflight === 0 || s.dead) {
        s.kill("retired");
        retiring.delete(s);
      }
    }
  }

  const timer = setInterval(evict, Math.min(10_000, Math.max(250, options.idleMs / 2)));

  /** Loads the code, killing the process if that takes too long (e.g. a loop at top level). */
  async function loadWithin(
    sandbox: Sandbox,
    target: RuntimeTarget,
    code: { files: Record<string, string>; entry: string },
  ): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `The app's code took longer than ${options.loadTimeoutMs} ms to load.`;
        killed++;
        sandbox.kill(message);
        reject(new SandboxError(504, message));
      }, options.loadTimeoutMs);
    });
    const bindAndLoad = async () => {
      if (options.host.bound) {
        // The app's limits apply before any of its code runs.
        await sandbox.ready();
        await options.host.bound(target.appId, sandbox.pid);
      }
      await sandbox.load({ id: target.appId, name: target.appName }, code);
    };
    try {
      await Promise.race([bindAndLoad(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function start(target: RuntimeTarget): Promise<Sandbox> {
    // An app paused by its limits gets the host's error before any process is used.
    options.host.admit?.(target.appId);
    coldStarts++;
    let sandbox = spare && !spare.dead ? spare : spawn();
    spare = undefined;
    refillSpare();
    try {
      const code = await options.host.code(target.appId, target.versionId);
      try {
        await loadWithin(sandbox, target, code);
      } catch (err) {
        // Only a spare that died before it got the code is replaced.
        if (!sandbox.dead || (err instanceof SandboxError && err.status === 504)) throw err;
        sandbox = spawn();
        await loadWithin(sandbox, target, code);
      }
      // A spare may have waited long; it counts as used from now, or the
      // idle sweep that follows every load would stop it at once.
      sandbox.lastUsed = Date.now();
      return sandbox;
    } catch (err) {
      sandbox.kill("failed to load");
      throw err;
    }
  }

  return {
    ready(target) {
      const s = slots.get(target.appId);
      return s?.sandbox && !s.sandbox.dead && sameTarget(s.target, target) ? s.sandbox : undefined;
    },
    acquire(target) {
      const slot = slots.get(target.appId);
      const same = slot !== undefined && sameTarget(slot.target, target);
      if (slot && !slot.sandbox?.dead && same) {
        return slot.loading;
      }
      if (slot && !same) {
        slot.loading.then(retire, () => {});
      }
      const loading = start(target);
      const fresh: Slot = { target, loading };
      slots.set(target.appId, fresh);
      loading.then((sandbox) => {
        if (slots.get(target.appId) === fresh) fresh.sandbox = sandbox;
        else retire(sandbox);
        evict();
      }, () => {
        if (slots.get(target.appId) === fresh) slots.delete(target.appId);
      });
      return loading;
    },
    prewarm: refillSpare,
    evictIdle() {
      let n = 0;
      for (const [appId, slot] of slots) {
        if (slot.sandbox && !slot.sandbox.dead && slot.sandbox.inflight === 0) {
          slot.sandbox.kill("evicted under memory pressure");
          slots.delete(appId);
          evicted++;
          n++;
        }
      }
      return n;
    },
    bound() {
      const out: BoundProcess[] = [];
      for (const s of live) {
        if (s.dead || !s.appId) continue;
        out.push({ appId: s.appId, pid: s.pid, inflight: s.inflight, busyMs: s.busyMs });
      }
      return out;
    },
    stopApp(appId, message) {
      const stopped = new Set<Sandbox>();
      for (const s of live) {
        if (s.dead || s.appId !== appId) continue;
        s.kill(message, 502);
        killed++;
        stopped.add(s);
      }
      const slot = slots.get(appId);
      if (slot?.sandbox && stopped.has(slot.sandbox)) slots.delete(appId);
      return stopped.size;
    },
    kill(sandbox, reason) {
      killed++;
      sandbox.kill(reason);
      for (const [appId, slot] of slots) if (slot.sandbox === sandbox) slots.delete(appId);
    },
    stats() {
      const now = Date.now();
      const processes = [...slots.values()].flatMap((s) =>
        s.sandbox && !s.sandbox.dead
          ? [{
            appId: s.target.appId,
            versionId: s.target.versionId,
            pid: s.sandbox.pid,
            inflight: s.sandbox.inflight,
            idleMs: s.sandbox.inflight > 0 ? 0 : now - s.sandbox.lastUsed,
          }]
          : []
      );
      return {
        warm: processes.length,
        spare: spare !== undefined && !spare.dead,
        coldStarts,
        killed,
        evicted,
        processes,
      };
    },
    async close() {
      closed = true;
      clearInterval(timer);
      const all = [...live];
      slots.clear();
      retiring.clear();
      spare = undefined;
      for (const s of all) s.kill("shutdown");
      await Promise.all(all.map((s) => s.exited));
    },
  };
}
