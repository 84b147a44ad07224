/**
 * Operations on the circuit breakers: one status view of memory, cache,
 * disk, egress, the runtime pool, shedding, the per-IP rate limit and the
 * per-app resource limits, and per-app egress limits and memory caps.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import type { Services } from "./services.ts";
import { MAX_APP_MEMORY_MB, MIN_APP_MEMORY_MB } from "../services/cockpit/app_resources.ts";
import { MIB } from "../core/format.ts";

const EgressView = z.object({
  month: z.string().describe("Calendar month (UTC), YYYY-MM."),
  servedBytes: z.number(),
  fetchedBytes: z.number(),
  limitBytes: z.number().nullable(),
});

/** The kernel database's size and free pages, as `system.status` shows them. */
export const StoreView = z.object({
  fileBytes: z.number().describe("The kernel database file plus its WAL (bytes)."),
  walBytes: z.number(),
  pageSize: z.number(),
  pages: z.number(),
  freePages: z.number().describe("Pages freed by deletes and not yet given back to the disk."),
  freeBytes: z.number(),
  autoVacuum: z.enum(["none", "full", "incremental"]).describe(
    "incremental: free pages are given back in the background; none: a file fazt did not create, whose free pages stay in it (later writes reuse them).",
  ),
  vacuum: z.object({
    running: z.boolean(),
    runs: z.number(),
    steps: z.number(),
    pagesFreed: z.number(),
    maxStepMs: z.number().describe("The longest step, during which writes waited."),
    lastRunAt: z.string().nullable(),
  }),
});

const StopView = z.object({
  at: z.string().describe("ISO time of the stop."),
  message: z.string().describe("What happened, as written to the app's logs."),
}).nullable();

/** An app's memory cap and CPU budget with its use, as `apps.get` and `apps.set_memory_limit` show it. */
export const ResourceView = z.object({
  mechanism: z.string().describe(
    "How memory caps are enforced on this server: cgroup-v2, cgroup-v1, rlimit, watchdog or off.",
  ),
  memory: z.object({
    limitBytes: z.number().describe("The cap over all the app's processes (sandbox and SQL)."),
    custom: z.boolean().describe(
      "True when the owner set this app's cap; else the server default.",
    ),
    usedBytes: z.number().describe("Memory the app's processes own now (last watchdog reading)."),
    peakBytes: z.number().describe(
      "The most they held since fazt started (the higher of the watchdog's highest reading and the app's cgroup peak).",
    ),
    sqliteHeapBytes: z.number().describe("SQLite's heap limit in the app's SQL process."),
    stops: z.number().describe("Times the app was stopped for memory since fazt started."),
    lastStop: StopView,
  }),
  cpu: z.object({
    budgetMsPerSecond: z.number().describe(
      "CPU the app may use with no request in flight, ms per second (0: no budget).",
    ),
    burstMs: z.number().describe("The most background CPU it may save up."),
    leftMs: z.number().describe("What is left of it now (negative while paused)."),
    usedMs: z.number().describe("CPU its processes used since fazt started."),
    backgroundMs: z.number().describe("Of that, CPU used with no request in flight."),
    pausedUntil: z.string().nullable().describe("While paused for CPU: until when."),
    stops: z.number().describe("Times the app was stopped for CPU since fazt started."),
    lastStop: StopView,
  }),
});

/** `system.status` */
export const status = defineOperation({
  name: "system.status",
  summary: "Breakers and pressure",
  description:
    "Reports memory, the content cache (size and hit rate), the kernel database's size and free pages, disk use and the disk breaker, egress per app this month, the runtime pool, shed and deferred request counts, the per-IP rate limit and the last backup.",
  input: z.strictObject({}),
  output: z.object({
    memory: z.object({
      kernelRss: z.number(),
      guard: z.object({
        rss: z.number(),
        level: z.string(),
        trips: z.object({ shrink: z.number(), evict: z.number(), shed: z.number() }),
      }).nullable().describe("The memory guard's last reading (servers only)."),
    }),
    cache: z.object({
      bytes: z.number(),
      budget: z.number(),
      entries: z.number(),
      hitRate: z.number(),
    }),
    store: StoreView,
    disk: z.object({
      tripped: z.boolean(),
      reason: z.string().nullable(),
      volume: z.object({ total: z.number(), used: z.number(), ratio: z.number() }).nullable(),
      maxUsedRatio: z.number(),
      dataBytes: z.number(),
      quotaBytes: z.number().nullable(),
    }),
    egress: z.array(EgressView.extend({ appId: z.string() })),
    runtime: z.object({
      warm: z.number(),
      spare: z.boolean(),
      coldStarts: z.number(),
      killed: z.number(),
      evicted: z.number(),
    }),
    shedding: z.object({
      pressure: z.string(),
      userInflight: z.number(),
      userShed: z.number(),
      cockpitInflight: z.number(),
      cockpitShed: z.number(),
      userQueued: z.number().describe(
        "App requests waiting for their turn now, so the cockpit goes first.",
      ),
      userDeferred: z.number().describe("App requests that waited for a turn since start."),
    }),
    rateLimit: z.object({
      rate: z.number().describe("User requests per second per client IP (0: off)."),
      burst: z.number(),
      trackedIps: z.number().describe("Clients (IPv4 addresses, IPv6 /64s) tracked now."),
      maxIps: z.number(),
      limited: z.number().describe("User requests refused with 429 since start."),
    }),
    resources: z.object({
      mechanism: z.string().describe(
        "How per-app memory caps are enforced: cgroup-v2, cgroup-v1, rlimit (RLIMIT_DATA via prlimit), watchdog (only the resident-memory watchdog) or off.",
      ),
      note: z.string().describe(
        "Which cgroup hierarchies were tried, and why one was or was not used.",
      ),
      defaultMemoryLimitBytes: z.number(),
      cpuBudgetMsPerSecond: z.number(),
      watchdog: z.object({
        intervalMs: z.number(),
        checks: z.number(),
        processes: z.number().describe("App processes seen at the last check."),
        lastCheckMicros: z.number(),
        totalCheckMs: z.number(),
      }),
      memoryStops: z.number(),
      cpuStops: z.number(),
    }),
    backups: z.object({
      schedule: z.object({
        everyMs: z.number(),
        keep: z.number(),
        location: z.string(),
        nextAt: z.string().nullable(),
      }).nullable().describe("Scheduled backups (--backup-every), or null when none are set."),
      runningSince: z.string().nullable().describe("When the backup in progress began."),
      last: z.object({
        startedAt: z.string(),
        finishedAt: z.string(),
        ok: z.boolean(),
        name: z.string().nullable(),
        bytes: z.number().nullable(),
        location: z.string(),
        error: z.string().nullable(),
      }).nullable().describe("The last backup since the server started (scheduled or not)."),
    }),
  }),
  access: "system:read",
  hints: { readOnly: true },
  http: { method: "GET", path: "/system/status" },
  cli: { words: ["system", "status"] },
  handler: (_input, { services }) => {
    const cache = services.system.cacheStats();
    const lookups = cache.hits + cache.misses;
    const disk = services.guards.disk.status();
    const shed = services.guards.shedder.stats();
    const turns = services.guards.gate.stats();
    const pool = services.runtime.stats();
    const mem = services.guards.memory();
    const limit = services.guards.ipLimiter.stats();
    const vacuum = services.store.stats();
    return Promise.resolve({
      memory: {
        kernelRss: Deno.memoryUsage().rss,
        guard: mem && { rss: mem.rss, level: mem.level, trips: mem.trips },
      },
      cache: {
        bytes: cache.bytes,
        budget: cache.budget,
        entries: cache.entries,
        hitRate: lookups === 0 ? 0 : cache.hits / lookups,
      },
      store: {
        ...services.store.space(),
        vacuum: {
          running: vacuum.running,
          runs: vacuum.runs,
          steps: vacuum.steps,
          pagesFreed: vacuum.pagesFreed,
          maxStepMs: vacuum.maxStepMs,
          lastRunAt: vacuum.lastRunAt === null ? null : new Date(vacuum.lastRunAt).toISOString(),
        },
      },
      disk: {
        tripped: disk.tripped,
        reason: disk.reason,
        volume: disk.volume,
        maxUsedRatio: disk.maxUsedRatio,
        dataBytes: disk.dataBytes,
        quotaBytes: disk.quotaBytes,
      },
      egress: services.guards.meter.usageAll(),
      runtime: {
        warm: pool.warm,
        spare: pool.spare,
        coldStarts: pool.coldStarts,
        killed: pool.killed,
        evicted: pool.evicted,
      },
      shedding: {
        pressure: shed.pressure,
        userInflight: shed.user.inflight,
        userShed: shed.user.shed,
        cockpitInflight: shed.cockpit.inflight,
        cockpitShed: shed.cockpit.shed,
        userQueued: turns.queued,
        userDeferred: turns.deferred,
      },
      rateLimit: {
        rate: limit.rate,
        burst: limit.burst,
        trackedIps: limit.trackedIps,
        maxIps: limit.maxIps,
        limited: limit.limited,
      },
      resources: services.guards.resources.status(),
      backups: backupStatus(services),
    });
  },
});

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();

function backupStatus(services: Services) {
  const { runningSince, last } = services.backups.status();
  const schedule = services.backupSchedule();
  return {
    schedule: schedule && { ...schedule, nextAt: iso(schedule.nextAt) },
    runningSince: iso(runningSince),
    last: last &&
      { ...last, startedAt: iso(last.startedAt)!, finishedAt: iso(last.finishedAt)! },
  };
}

/** `apps.set_egress_limit` */
export const setEgressLimit = defineOperation({
  name: "apps.set_egress_limit",
  summary: "Limit an app's monthly egress",
  description:
    "Sets how many MiB (1 MiB = 1,048,576 bytes) an app may serve and fetch per calendar month (UTC); past it the app answers 429 until the month ends. A limit of null removes it (from the CLI: --limit none).",
  input: z.strictObject({
    app: z.string().min(1).max(100).describe("App name or ID."),
    limitMb: z.number({
      error: (issue) =>
        issue.input === undefined
          ? "is required: a limit in MiB, or null to remove the limit"
          : undefined,
    }).int().min(1).max(100_000_000).nullable().describe(
      "Monthly limit in MiB (1,048,576 bytes), or null to remove the limit.",
    ),
  }),
  output: EgressView,
  access: "apps:write",
  appField: "app",
  hints: { idempotent: true },
  http: { method: "PUT", path: "/apps/{app}/egress-limit" },
  cli: { words: ["app", "egress-limit"], positionals: ["app"], flagAliases: { limit: "limitMb" } },
  handler: async ({ app, limitMb }, { services }) => {
    const target = services.apps.resolve(app);
    await services.guards.meter.setLimit(target.id, limitMb === null ? null : limitMb * MIB);
    return services.guards.meter.usage(target.id);
  },
});

/** `apps.egress` */
export const appEgress = defineOperation({
  name: "apps.egress",
  summary: "Show an app's egress this month",
  description: "Shows the bytes an app served and fetched this calendar month (UTC) and its limit.",
  input: z.strictObject({ app: z.string().min(1).max(100).describe("App name or ID.") }),
  output: EgressView,
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/egress" },
  cli: { words: ["app", "egress"], positionals: ["app"] },
  handler: ({ app }, { services }) =>
    Promise.resolve(services.guards.meter.usage(services.apps.resolve(app).id)),
});

/** `apps.set_memory_limit` */
export const setMemoryLimit = defineOperation({
  name: "apps.set_memory_limit",
  summary: "Cap an app's memory",
  description:
    `Sets how much memory an app's processes (its sandbox and its SQL process) may hold together, in MiB (${MIN_APP_MEMORY_MB} or more; 1 MiB = 1,048,576 bytes); past it fazt stops the app's largest process and logs why. Omit the limit to go back to the server default (--app-memory). A new cap applies to the app's memory group at once, and to its SQL heap limit and per-process ceilings from its next process start.`,
  input: z.strictObject({
    app: z.string().min(1).max(100).describe("App name or ID."),
    limitMb: z.coerce.number().int().min(MIN_APP_MEMORY_MB).max(MAX_APP_MEMORY_MB).optional()
      .describe("Memory cap in MiB; leave out for the server default."),
  }),
  output: ResourceView,
  access: "apps:write",
  appField: "app",
  hints: { idempotent: true },
  http: { method: "PUT", path: "/apps/{app}/memory-limit" },
  cli: { words: ["app", "memory-limit"], positionals: ["app"], flagAliases: { limit: "limitMb" } },
  handler: async ({ app, limitMb }, { services }) => {
    const target = services.apps.resolve(app);
    const resources = services.guards.resources;
    await resources.setMemoryLimit(target.id, limitMb === undefined ? null : limitMb * MIB);
    return await resources.view(target.id);
  },
});

/** Every breaker operation. */
export const GUARD_OPERATIONS = [status, setEgressLimit, appEgress, setMemoryLimit];
