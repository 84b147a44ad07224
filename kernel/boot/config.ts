/**
 * The kernel's configuration: every setting, its default, and the few
 * derived names (the database file, public URLs). Flags and `FAZT_*`
 * variables become these values in `kernel/cli/serve_command.ts`.
 *
 * @module
 */
import type { MemoryLimits } from "../services/cockpit/memory_guard.ts";
import {
  DEFAULT_APP_MEMORY_MB,
  DEFAULT_CPU_BUDGET_MS,
  type ResourceLimitsMode,
} from "../services/cockpit/app_resources.ts";

/** Everything a kernel needs to know. */
export interface KernelConfig {
  /** The data folder (created if missing). */
  dataDir: string;
  /** The primary domain; apps live at `<name>.<domain>`. */
  domain: string;
  /** The port users reach the server on, for URLs (the HTTPS port when HTTPS is on). */
  publicPort: number;
  /** HTTPS with certificates from an ACME CA (null: plain HTTP, e.g. behind a proxy). */
  https: HttpsConfig | null;
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
  /** Heap cap of one sandbox (MiB). */
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
  /** The memory cap of an app whose owner set none, over all its processes (MiB). */
  appMemoryMb: number;
  /** CPU an app may use with no request in flight, ms per second (0: no budget). */
  cpuBudgetMs: number;
  /** Take a backup this often (ms; null: no scheduled backups). */
  backupEveryMs: number | null;
  /** Scheduled backups kept. */
  backupKeep: number;
  /** Where scheduled backups go: a folder's absolute path or `s3://…` (null: `<data>/backups`). */
  backupTo: string | null;
}

/** How fazt faces the internet itself: TLS on one port, ACME challenges and redirects on another. */
export interface HttpsConfig {
  /** The plain-HTTP port: ACME HTTP-01 challenges, and redirects to HTTPS. */
  httpPort: number;
  /** The ACME directory URL certificates are ordered from. */
  acmeDirectory: string;
  /** The contact email given to the CA (expiry notices), if any. */
  acmeEmail: string | null;
  /** Extra CA certificates (PEM) trusted for the ACME server itself (private or staging CAs). */
  acmeCaPem: string[];
}

/** Let's Encrypt's production directory: the default CA. */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

/** Defaults for every optional setting. */
export const KERNEL_DEFAULTS = {
  domain: "localhost",
  publicPort: 4698,
  https: null,
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
  backupEveryMs: null,
  backupKeep: 7,
  backupTo: null,
} as const;

export { KERNEL_DB_FILE } from "../store/schema.ts";

/** Builds the public URL for a host on this server (`https:` when `secure`). */
export function publicUrl(host: string, port: number, secure = false): string {
  const scheme = secure ? "https" : "http";
  return `${scheme}://${host}${port === (secure ? 443 : 80) ? "" : `:${port}`}/`;
}
