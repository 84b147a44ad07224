/**
 * Operations about the server itself: health (public) and info.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";

/** `system.health` */
export const health = defineOperation({
  name: "system.health",
  summary: "Health check",
  description: "Answers whether the server is up, with its version. Needs no credentials.",
  input: z.strictObject({}),
  output: z.object({ status: z.literal("ok"), version: z.string() }),
  access: "public",
  hints: { readOnly: true },
  http: { method: "GET", path: "/system/health" },
  cli: { words: ["system", "health"] },
  handler: (_input, { services }) =>
    Promise.resolve({ status: "ok" as const, version: services.system.version }),
});

/** `system.info` */
export const info = defineOperation({
  name: "system.info",
  summary: "Server info",
  description: "Shows the server's version, domain, uptime, data folder and cache use.",
  input: z.strictObject({}),
  output: z.object({
    version: z.string(),
    domain: z.string(),
    url: z.string(),
    adminUrl: z.string().describe(
      "Where the dashboard is: the primary domain while no app is routed at @, else admin.<domain>.",
    ),
    startedAt: z.string(),
    uptimeSeconds: z.number(),
    dataDir: z.string(),
    schemaVersion: z.number().int(),
    apps: z.number().int(),
    cache: z.object({
      bytes: z.number(),
      budget: z.number(),
      entries: z.number(),
      hits: z.number(),
      misses: z.number(),
    }),
  }),
  access: "system:read",
  hints: { readOnly: true },
  http: { method: "GET", path: "/system/info" },
  cli: { words: ["system", "info"] },
  handler: (_input, { services }) => {
    const s = services.system;
    return Promise.resolve({
      version: s.version,
      domain: s.domain,
      url: s.rootUrl,
      adminUrl: s.adminUrl(),
      startedAt: new Date(s.startedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000),
      dataDir: s.dataDir,
      schemaVersion: s.schemaVersion,
      apps: services.apps.list().length,
      cache: s.cacheStats(),
    });
  },
});

/** `system.stats` */
export const stats = defineOperation({
  name: "system.stats",
  summary: "Server statistics",
  description:
    "Shows memory use, the content cache, storage, app counts and the app sandbox processes.",
  input: z.strictObject({}),
  output: z.object({
    memory: z.object({
      rss: z.number().describe("Resident set size of the kernel process (bytes)."),
      heapUsed: z.number(),
      heapTotal: z.number(),
    }),
    cache: z.object({
      bytes: z.number(),
      budget: z.number(),
      entries: z.number(),
      hits: z.number(),
      misses: z.number(),
      hitRate: z.number().describe("Hits / lookups since start (0 when none)."),
    }),
    storage: z.object({
      databaseBytes: z.number(),
      blobs: z.number(),
      blobBytes: z.number(),
      versions: z.number(),
    }),
    apps: z.number().int(),
    uptimeSeconds: z.number(),
    runtime: z.object({
      warm: z.number().int().describe("Warm app sandbox processes."),
      spare: z.boolean().describe("True when a spare sandbox is started ahead of need."),
      coldStarts: z.number().int(),
      killed: z.number().int().describe("Sandboxes stopped for timeouts, crashes or memory."),
      evicted: z.number().int().describe("Sandboxes stopped for being idle or over the warm cap."),
      processes: z.array(z.object({
        appId: z.string(),
        versionId: z.number().int(),
        pid: z.number().int(),
        inflight: z.number().int(),
        idleMs: z.number(),
      })),
    }),
  }),
  access: "system:read",
  hints: { readOnly: true },
  http: { method: "GET", path: "/system/stats" },
  cli: { words: ["system", "stats"] },
  handler: (_input, { services }) => {
    const s = services.system;
    const mem = Deno.memoryUsage();
    const cache = s.cacheStats();
    const lookups = cache.hits + cache.misses;
    return Promise.resolve({
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal },
      cache: { ...cache, hitRate: lookups === 0 ? 0 : cache.hits / lookups },
      storage: s.storageStats(),
      apps: services.apps.list().length,
      uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000),
      runtime: services.runtime.stats(),
    });
  },
});

/** Every system operation. */
export const SYSTEM_OPERATIONS = [health, info, stats];
