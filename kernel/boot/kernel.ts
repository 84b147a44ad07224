/**
 * Builds a kernel from its configuration: opens the store, wires services,
 * operations and the HTTP handler. Used by `fazt serve` and, for a local
 * data folder with no server running, by the CLI in-process.
 *
 * @module
 */
import { join } from "node:path";
import { type Database, openDatabase } from "../store/database.ts";
import { KERNEL_MIGRATIONS } from "../store/schema.ts";
import { createRouteTable } from "../services/routing/route_table.ts";
import { createRouteService } from "../services/routing/route_service.ts";
import { createAppService } from "../services/apps/app_service.ts";
import { createDeployService } from "../services/apps/deploy_service.ts";
import { createTokenService } from "../services/auth/token_service.ts";
import { ensureOwnerToken } from "../services/auth/owner_credential.ts";
import { ANONYMOUS, type Principal } from "../services/auth/scopes.ts";
import { createOwnerService } from "../services/auth/owner_service.ts";
import { createActionLimiter } from "../services/cockpit/action_limiter.ts";
import { createLoginThrottle } from "../services/auth/login_throttle.ts";
import { createKnownDeviceService } from "../services/auth/known_devices.ts";
import { createSecretService, loadSecretKey } from "../services/secrets/secret_service.ts";
import { createLogService } from "../services/logs/log_service.ts";
import { sessionCookies } from "../http/session_cookie.ts";
import type { RequestMeta } from "../http/rest/rest_codec.ts";
import { createAppDataService } from "../services/appdata/app_data_service.ts";
import { DEFAULT_SQL_IDLE_MS } from "../services/appdata/sql/sql_process.ts";
import { createEgressGuard } from "../services/egress/egress_guard.ts";
import { createRuntimeHost } from "../capabilities/runtime_host.ts";
import { createRuntime, sandboxSpawnSpec } from "../../runtime/mod.ts";
import { createDiskGuard } from "../services/cockpit/disk_guard.ts";
import { createEgressMeter } from "../services/metering/egress_meter.ts";
import { createLoadShedder } from "../services/cockpit/load_shedder.ts";
import { createIoYield } from "../services/cockpit/io_yield.ts";
import { createPriorityGate } from "../services/cockpit/priority_gate.ts";
import { createIpRateLimiter } from "../services/cockpit/ip_rate_limiter.ts";
import {
  type AppProcess,
  createAppResources,
  DEFAULT_APP_MEMORY_MB,
  DEFAULT_CPU_BUDGET_MS,
  type ResourceLimitsMode,
} from "../services/cockpit/app_resources.ts";
import { createDataLimiter } from "../../runtime/process/rlimit.ts";
import { openSysFiles } from "../../runtime/process/sys_files.ts";
import { createProcReader } from "../../runtime/process/proc_stats.ts";
import { FaztError } from "../core/errors.ts";
import {
  createMemoryGuard,
  defaultMemoryLimits,
  type MemoryLimits,
} from "../services/cockpit/memory_guard.ts";
import { createTrafficMeter } from "../services/metering/traffic_meter.ts";
import { createFileIndexCache } from "../services/vfs/file_index.ts";
import { createContentCache } from "../services/vfs/content_cache.ts";
import { createStaticServer } from "../http/static/static_serve.ts";
import { createRestCodec } from "../http/rest/rest_codec.ts";
import { createHttpHandler, type HttpHandler } from "../http/handler.ts";
import { faztMounts } from "../http/fazt_mounts.ts";
import { createAppTraffic } from "../http/app_traffic.ts";
import { createMcpCodec } from "../http/mcp/mcp_codec.ts";
import { OPERATIONS } from "../ops/registry.ts";
import { health } from "../ops/system_ops.ts";
import type { Services } from "../ops/services.ts";
import { VERSION } from "../core/version.ts";
import { createAppCodeReader } from "../services/vfs/app_code.ts";
import { streamBlob } from "../services/vfs/content_store.ts";

/** Everything a kernel needs to know. */
export interface KernelConfig {
  /** The data folder (created if missing). */
  dataDir: string;
  /** The primary domain; apps live at `<name>.<domain>`. */
  domain: string;
  /** The port users reach the server on, for URLs. */
  publicPort: number;
  /** How many previous versions to keep per app. */
  keepVersions: number;
  /** The largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** The content cache budget, in bytes. */
  cacheBytes: number;
  /** Files larger than this are never cached; they stream. */
  maxCachedFileBytes: number;
  /** How often buffered counters are written (ms). */
  flushIntervalMs: number;
  /** Trust `X-Forwarded-For`/`-Proto` headers (only behind your own proxy). */
  trustProxy: boolean;
  /** How long a login session lasts (ms). */
  sessionTtlMs: number;
  /** Log entries kept per app. */
  logsPerApp: number;
  /** Wall-clock limit of one `/api` request (ms). */
  apiTimeoutMs: number;
  /** `/api` requests in flight per app at most. */
  apiConcurrency: number;
  /** Largest `/api` request body (bytes). */
  apiMaxBodyBytes: number;
  /** Warm app sandboxes kept at most. */
  warmApps: number;
  /** Idle sandboxes stop after this long (ms); an app's SQL process after this or 2 min, if sooner. */
  sandboxIdleMs: number;
  /** Keep a spare sandbox started (servers: yes; the in-process CLI: no). */
  sandboxSpare: boolean;
  /** Heap cap of one sandbox (MB). */
  sandboxHeapMb: number;
  /** Writes are refused once the data volume is this full (0..1). */
  diskLimitRatio: number;
  /** Writes are refused once the data folder holds this many bytes (null: no quota). */
  diskQuotaBytes: number | null;
  /** Watch memory and trip the breakers (servers: yes; tests and the in-process CLI: optional). */
  memoryGuard: boolean;
  /** The memory guard's thresholds (null: derived from the box's RAM). */
  memoryLimits: MemoryLimits | null;
  /** User requests per second per client IP (burst 4× that); 0 = no limit. */
  rateLimit: number;
  /** How per-app memory and CPU limits are enforced (servers: `auto`; `off`: not at all). */
  resourceLimits: ResourceLimitsMode;
  /** The memory cap of an app whose owner set none, over all its processes (MB). */
  appMemoryMb: number;
  /** CPU an app may use with no request in flight, ms per second (0: no budget). */
  cpuBudgetMs: number;
}

/** Defaults for every optional setting. */
export const KERNEL_DEFAULTS = {
  domain: "localhost",
  publicPort: 4698,
  keepVersions: 10,
  maxUploadBytes: 200 * 1024 * 1024,
  cacheBytes: 64 * 1024 * 1024,
  maxCachedFileBytes: 5 * 1024 * 1024,
  flushIntervalMs: 10_000,
  trustProxy: false,
  sessionTtlMs: 7 * 86_400_000,
  logsPerApp: 10_000,
  apiTimeoutMs: 10_000,
  apiConcurrency: 32,
  apiMaxBodyBytes: 10 * 1024 * 1024,
  warmApps: 10,
  sandboxIdleMs: 5 * 60_000,
  sandboxSpare: false,
  sandboxHeapMb: 128,
  diskLimitRatio: 0.8,
  diskQuotaBytes: null,
  memoryGuard: false,
  memoryLimits: null,
  rateLimit: 100,
  resourceLimits: "off",
  appMemoryMb: DEFAULT_APP_MEMORY_MB,
  cpuBudgetMs: DEFAULT_CPU_BUDGET_MS,
} as const;

/** A running kernel. */
export interface Kernel {
  /** The HTTP entry point. */
  handler: HttpHandler;
  /** Kernel services. */
  services: Services;
  /** The kernel database. */
  db: Database;
  /** The local owner token. */
  ownerToken: string;
  /** Writes buffered counters now. */
  flush(): Promise<void>;
  /** Flushes and closes the database. */
  close(): Promise<void>;
}

/** The file name of the kernel database inside the data folder. */
export const KERNEL_DB_FILE = "kernel.db";

/** Builds the public URL for a host on this server. */
export function publicUrl(host: string, port: number): string {
  return `http://${host}${port === 80 ? "" : `:${port}`}/`;
}

/** Opens the data folder and assembles a kernel. */
export async function createKernel(
  partial: Partial<KernelConfig> & { dataDir: string },
): Promise<Kernel> {
  const config: KernelConfig = { ...KERNEL_DEFAULTS, ...partial };
  const startedAt = Date.now();
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const tmpDir = join(config.dataDir, "tmp");
  await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmpDir, { recursive: true });

  const db = openDatabase({
    path: join(config.dataDir, KERNEL_DB_FILE),
    migrations: KERNEL_MIGRATIONS,
  });
  const routes = createRouteTable(db.read, config.domain);
  // A spare sandbox is kept started only while some app has server code.
  const prewarm = () => {
    if (routes.hasApiApps()) runtime.prewarm();
  };
  const onChange = () => {
    routes.reload();
    prewarm();
  };
  const indexes = createFileIndexCache(db.read);
  const content = createContentCache(db.read, {
    budgetBytes: config.cacheBytes,
    maxEntryBytes: config.maxCachedFileBytes,
  });
  const tokens = createTokenService({ db });
  const traffic = createTrafficMeter({ db, retentionMs: 90 * 86_400_000 });
  const owners = createOwnerService({ db, sessionTtlMs: config.sessionTtlMs });
  const logs = createLogService({ db, maxPerApp: config.logsPerApp });
  const secrets = createSecretService({ db, key: await loadSecretKey(config.dataDir) });
  // /proc and /sys need --allow-all in Deno: a helper reads them (servers only).
  const sysFiles = config.resourceLimits !== "off" || config.memoryGuard
    ? await openSysFiles()
    : null;
  // Before any app process starts: with cgroup v2 the kernel moves itself into a leaf group.
  const resources = await createAppResources({
    files: config.resourceLimits === "off" ? null : sysFiles,
    db,
    mode: config.resourceLimits,
    defaultMemoryBytes: config.appMemoryMb * 1024 * 1024,
    cpuBudgetMs: config.cpuBudgetMs,
    log: (appId, level, message) =>
      logs.append({ appId, level, source: "kernel", message, requestId: null }),
    dataLimiter: config.resourceLimits === "auto" || config.resourceLimits === "rlimit"
      ? await createDataLimiter()
      : null,
  });
  // Each open app with SQL in use holds a subprocess (~40 MB): keep few open on a 1 GB box,
  // and stop an unused one no later than an idle sandbox (the memory guard stops them sooner).
  const appData = createAppDataService({
    dataDir: config.dataDir,
    maxOpenApps: 8,
    sqlIdleMs: Math.min(config.sandboxIdleMs, DEFAULT_SQL_IDLE_MS),
    sqlLimits: (appId) => ({
      spawned: (pid) => resources.sqlSpawned(appId, pid),
      ready: (pid) => resources.sqlReady(appId, pid),
      exitReason: (pid, status) => resources.exitReason(appId, pid, status, 0),
      heapLimitBytes: () => resources.sqliteHeapBytes(appId),
    }),
  });
  const disk = createDiskGuard({
    dataDir: config.dataDir,
    maxUsedRatio: config.diskLimitRatio,
    quotaBytes: config.diskQuotaBytes ?? undefined,
  });
  await disk.refresh().catch((err) => console.error("fazt: could not measure the disk:", err));
  disk.start();
  const meter = createEgressMeter({ db });
  const shedder = createLoadShedder();
  const ioYield = await createIoYield();
  const gate = createPriorityGate({ yieldToIo: ioYield });
  const ipLimiter = createIpRateLimiter({ rate: config.rateLimit });
  const runtime = createRuntime({
    host: createRuntimeHost({
      code: createAppCodeReader(db.read),
      appData,
      secrets,
      logs,
      egress: createEgressGuard(),
      disk,
      meter,
      resources,
    }),
    spawn: await sandboxSpawnSpec(config.sandboxHeapMb),
    timeoutMs: config.apiTimeoutMs,
    maxConcurrency: config.apiConcurrency,
    maxBodyBytes: config.apiMaxBodyBytes,
    maxWarm: config.warmApps,
    idleMs: config.sandboxIdleMs,
    spare: config.sandboxSpare,
  });
  resources.attach({
    list: (): AppProcess[] => [
      ...runtime.processes().map((p) => ({ ...p, kind: "sandbox" as const })),
      ...appData.sqlProcesses().map((p) => ({ ...p, kind: "sql" as const })),
    ],
    stop(appId, kind, message) {
      if (kind !== "sql") runtime.stopApp(appId, message);
      if (kind !== "sandbox") appData.killSql(appId, new FaztError("unavailable", message));
    },
  });
  resources.start();
  prewarm();
  const minute = 60_000;
  const services: Services = {
    apps: createAppService({ db, onChange }),
    deploy: createDeployService({
      db,
      tmpDir,
      keepVersions: config.keepVersions,
      maxUploadBytes: config.maxUploadBytes,
      onChange,
      disk,
    }),
    routes: createRouteService({ db, onChange, domain: config.domain }),
    tokens,
    traffic,
    system: {
      version: VERSION,
      domain: config.domain,
      startedAt,
      dataDir: config.dataDir,
      schemaVersion: db.schemaVersion,
      appUrl: (name) => publicUrl(`${name}.${config.domain}`, config.publicPort),
      rootUrl: publicUrl(config.domain, config.publicPort),
      adminUrl: () => publicUrl(routes.adminHost(), config.publicPort),
      cacheStats: () => content.stats(),
      storageStats: () => storageStats(db, config.dataDir),
    },
    owners,
    devices: createKnownDeviceService({ db }),
    secrets,
    logs,
    appData,
    runtime,
    guards: {
      disk,
      meter,
      shedder,
      gate,
      ipLimiter,
      memory: () => memory?.stats() ?? null,
      resources,
    },
    limits: {
      login: createLoginThrottle(),
      setupPerIp: createActionLimiter({ limit: 20, windowMs: 15 * minute, what: "setup attempts" }),
      deploys: createActionLimiter({ limit: 60, windowMs: minute, what: "deploys" }),
    },
  };
  const ownerToken = await ensureOwnerToken(config.dataDir, tokens);

  function authenticate(req: Request, meta?: RequestMeta): Principal {
    const header = req.headers.get("authorization");
    if (header !== null) {
      if (!header.toLowerCase().startsWith("bearer ")) return ANONYMOUS;
      return tokens.authenticate(header.slice(7).trim()) ?? ANONYMOUS;
    }
    for (const session of sessionCookies(req, meta?.secure ?? false)) {
      const principal = owners.authenticateSession(session);
      if (principal) return principal;
    }
    return ANONYMOUS;
  }

  const rest = createRestCodec({
    operations: OPERATIONS,
    services,
    authenticate,
    maxJsonBytes: 1024 * 1024,
    maxUploadBytes: config.maxUploadBytes,
  });
  const handler = createHttpHandler({
    routes,
    trustProxy: config.trustProxy,
    shedder,
    gate,
    ipLimiter,
    mounts: faztMounts({
      domain: config.domain,
      version: VERSION,
      routes,
      rest,
      mcp: createMcpCodec({ operations: OPERATIONS, services, authenticate, version: VERSION }),
      healthOp: health,
      operations: OPERATIONS,
      trustProxy: config.trustProxy,
      apps: createAppTraffic({
        statics: createStaticServer({
          stream: (hash, start, end) => streamBlob(db.read, hash, start, end),
          indexes,
          content,
          maxCachedBytes: config.maxCachedFileBytes,
        }),
        runtime,
        traffic,
        meter,
        appLog: (appId, message, requestId) =>
          logs.append({ appId, level: "warn", source: "kernel", message, requestId }),
      }),
    }),
  });

  const procReader = sysFiles ? await createProcReader(sysFiles) : null;
  const memory = config.memoryGuard
    ? createMemoryGuard({
      limits: config.memoryLimits ?? defaultMemoryLimits(Deno.systemMemoryInfo().total),
      // The kernel's whole RSS plus each child's own memory (see memory_guard.ts): the
      // resource watchdog's last reading when it runs, else a reading of its own.
      probe: async () => {
        const children = resources.lastOwned();
        if (children !== null) return Deno.memoryUsage().rss + children;
        let total = Deno.memoryUsage().rss;
        const pids = [...runtime.processes().map((p) => p.pid), ...appData.sqlPids()];
        const readings = await procReader?.read(pids, false);
        for (const r of readings?.values() ?? []) total += r.memory?.owned ?? 0;
        return total;
      },
      actions: {
        shrinkCache: (level) => content.shrink(level === "shrink" ? content.stats().budget / 2 : 0),
        evictIdle: () => runtime.evictIdle() + appData.stopIdleSql(),
        setPressure: (level) => shedder.setPressure(level),
      },
    })
    : undefined;
  memory?.start();

  async function flush(): Promise<void> {
    await traffic.flush();
    await tokens.flush();
    await logs.flush();
    await meter.flush();
  }
  const timer = setInterval(() => {
    flush().catch((err) => console.error("fazt: could not write counters:", err));
  }, config.flushIntervalMs);

  let closing: Promise<void> | undefined;
  return {
    handler,
    services,
    db,
    ownerToken,
    flush,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await memory?.stop();
        await disk.stop();
        await runtime.close();
        await flush();
        await appData.close();
        await resources.close();
        await sysFiles?.close();
        await db.close();
        ioYield.close();
      })();
      return closing;
    },
  };
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

function storageStats(db: Database, dataDir: string) {
  const row = db.read.prepare(
    `SELECT (SELECT count(*) FROM blobs) AS blobs, (SELECT coalesce(sum(size), 0) FROM blobs) AS blobBytes,
       (SELECT count(*) FROM versions) AS versions`,
  ).get() as { blobs: number; blobBytes: number; versions: number };
  const base = join(dataDir, KERNEL_DB_FILE);
  return {
    databaseBytes: fileSize(base) + fileSize(`${base}-wal`),
    blobs: row.blobs,
    blobBytes: row.blobBytes,
    versions: row.versions,
  };
}
