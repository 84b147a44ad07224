/**
 * Operations on the circuit breakers: one status view of memory, cache,
 * disk, egress, the runtime pool, shedding and the per-IP rate limit, and
 * per-app egress limits.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";

const MB = 1024 * 1024;

const EgressView = z.object({
  month: z.string().describe("Calendar month (UTC), YYYY-MM."),
  servedBytes: z.number(),
  fetchedBytes: z.number(),
  limitBytes: z.number().nullable(),
});

/** `system.status` */
export const status = defineOperation({
  name: "system.status",
  summary: "Breakers and pressure",
  description:
    "Reports memory, the content cache (size and hit rate), disk use and the disk breaker, egress per app this month, the runtime pool, shed and deferred request counts and the per-IP rate limit.",
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
    });
  },
});

/** `apps.set_egress_limit` */
export const setEgressLimit = defineOperation({
  name: "apps.set_egress_limit",
  summary: "Limit an app's monthly egress",
  description:
    "Sets how many MB an app may serve and fetch per calendar month (UTC); past it the app answers 429 until the month ends. A limit of null removes it (from the CLI: --limit none).",
  input: z.strictObject({
    app: z.string().min(1).max(100).describe("App name or ID."),
    limitMb: z.number({
      error: (issue) =>
        issue.input === undefined
          ? "is required: a limit in MB, or null to remove the limit"
          : undefined,
    }).int().min(1).max(100_000_000).nullable().describe(
      "Monthly limit in MB, or null to remove the limit.",
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
    await services.guards.meter.setLimit(target.id, limitMb === null ? null : limitMb * MB);
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

/** Every breaker operation. */
export const GUARD_OPERATIONS = [status, setEgressLimit, appEgress];
