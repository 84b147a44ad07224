/**
 * `fazt serve`: reads flags and environment, opens the kernel, listens, and
 * shuts down gracefully on SIGINT/SIGTERM (stop accepting, finish in-flight
 * requests, flush counters, close the database).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { FaztError } from "../core/errors.ts";
import { MIB } from "../core/format.ts";
import { createKernel, type Kernel } from "../boot/kernel.ts";
import { KERNEL_DEFAULTS, LETS_ENCRYPT_DIRECTORY } from "../boot/config.ts";
import { MAX_APP_MEMORY_MB, MIN_APP_MEMORY_MB } from "../services/cockpit/app_resources.ts";
import { MIN_BACKUP_EVERY_MS } from "../services/backup/backup_schedule.ts";
import { listen } from "../http/server.ts";
import type { Listener } from "../http/listener.ts";
import { VERSION } from "../core/version.ts";
import { faztExecutable } from "../services/upgrade/executable.ts";
import { OWNER_TOKEN_FILE } from "../services/auth/owner_credential.ts";
import { flag, type ParsedArgs } from "./args.ts";
import { checkDataFolder, explainDataFolderError, explainListenError } from "./startup_errors.ts";
import {
  DEFAULT_DATA_DIR,
  runningServer,
  SERVE_SETTINGS_FILE,
  SERVER_FILE,
  type ServerRecord,
} from "./target.ts";

/** The flags of `fazt serve`, with their environment variables. */
export const SERVE_FLAGS = [
  { flag: "port", env: "FAZT_PORT", help: "Port to listen on (default 4698)." },
  { flag: "host", env: "FAZT_HOST", help: "Address to listen on (default 127.0.0.1)." },
  { flag: "data", env: "FAZT_DATA", help: `Data folder (default ./${DEFAULT_DATA_DIR}).` },
  {
    flag: "domain",
    env: "FAZT_DOMAIN",
    help: "Primary domain; apps at <name>.<domain> (default localhost).",
  },
  {
    flag: "https",
    env: "FAZT_HTTPS",
    help:
      "on, off or auto: serve HTTPS with certificates from an ACME CA, obtained on demand (auto: on when --domain is a public name and --trust-proxy is off; default auto).",
  },
  {
    flag: "https-port",
    env: "FAZT_HTTPS_PORT",
    help: "HTTPS port when HTTPS is on (default 443).",
  },
  {
    flag: "http-port",
    env: "FAZT_HTTP_PORT",
    help: "Plain-HTTP port when HTTPS is on: ACME challenges and redirects to HTTPS (default 80).",
  },
  {
    flag: "acme-directory",
    env: "FAZT_ACME_DIRECTORY",
    help: "ACME directory URL (default Let's Encrypt; use its staging URL to try things out).",
  },
  {
    flag: "acme-email",
    env: "FAZT_ACME_EMAIL",
    help: "Contact email for the ACME account (the CA's expiry notices).",
  },
  {
    flag: "acme-ca",
    env: "FAZT_ACME_CA",
    help: "PEM file of an extra CA to trust for the ACME server itself (a private CA).",
  },
  {
    flag: "keep-versions",
    env: "FAZT_KEEP_VERSIONS",
    help: "Previous versions kept per app (default 10).",
  },
  {
    flag: "max-upload",
    env: "FAZT_MAX_UPLOAD",
    help: "Largest deploy upload in MiB (default 200).",
  },
  { flag: "cache", env: "FAZT_CACHE", help: "Memory for hot files in MiB (default 64)." },
  {
    flag: "disk-quota",
    env: "FAZT_DISK_QUOTA",
    help: "Refuse writes once the data folder holds this many MiB (default: no quota).",
  },
  {
    flag: "disk-limit",
    env: "FAZT_DISK_LIMIT",
    help: "Refuse writes once the data volume is this % full (default 80).",
  },
  {
    flag: "trust-proxy",
    env: "FAZT_TRUST_PROXY",
    help: "Trust X-Forwarded-For/-Proto (only behind your own reverse proxy).",
  },
  {
    flag: "rate-limit",
    env: "FAZT_RATE_LIMIT",
    help:
      "App requests per second per client IP, burst 4x that; 0 = off (default 100; loopback peers exempt).",
  },
  {
    flag: "api-timeout",
    env: "FAZT_API_TIMEOUT",
    help: "Wall-clock limit of one app /api request in seconds (default 10).",
  },
  {
    flag: "sandbox-heap",
    env: "FAZT_SANDBOX_HEAP",
    help: "Heap cap of one app sandbox process in MiB (default 128).",
  },
  {
    flag: "warm-apps",
    env: "FAZT_WARM_APPS",
    help: "App sandboxes kept warm at most; least recently used stop first (default 10).",
  },
  {
    flag: "idle-timeout",
    env: "FAZT_IDLE_TIMEOUT",
    help:
      "Seconds an idle app sandbox stays warm before it stops (default 300; an app's SQL process: at most 120).",
  },
  {
    flag: "app-memory",
    env: "FAZT_APP_MEMORY",
    help:
      "Memory cap of an app's processes together (sandbox + SQL) in MiB, unless its owner sets one (default 128).",
  },
  {
    flag: "cpu-budget",
    env: "FAZT_CPU_BUDGET",
    help:
      "CPU an app may use with no request in flight, ms per second, saved up to 30 s worth; past it the app is stopped and paused (default 100; 0 = off).",
  },
  {
    flag: "resource-limits",
    env: "FAZT_RESOURCE_LIMITS",
    help:
      "How app memory caps are enforced: auto (cgroup v2, else v1, else RLIMIT_DATA via prlimit; the watchdog always), rlimit (no cgroups) or watchdog (default auto).",
  },
  {
    flag: "backup-every",
    env: "FAZT_BACKUP_EVERY",
    help:
      "Back up everything this often, e.g. 24h, 90m or 7d (at least 1m; default: no scheduled backups).",
  },
  {
    flag: "backup-keep",
    env: "FAZT_BACKUP_KEEP",
    help: "Scheduled backups kept; older ones are deleted (default 7).",
  },
  {
    flag: "backup-to",
    env: "FAZT_BACKUP_TO",
    help: "Where scheduled backups go: a folder or s3://bucket/prefix (default <data>/backups).",
  },
] as const;

/** Serve flags that take no value. */
export const SERVE_BOOLEAN_FLAGS: ReadonlySet<string> = new Set(["help", "trust-proxy"]);

/** How long the printed setup link stays valid. */
const SETUP_LINK_TTL_MS = 24 * 3_600_000;

/** The resolved serve settings. */
export interface ServeSettings {
  /** Listen port. */
  port: number;
  /** Listen address. */
  host: string;
  /** Data folder (absolute). */
  dataDir: string;
  /** Primary domain. */
  domain: string;
  /** Versions kept. */
  keepVersions: number;
  /** Upload limit in bytes. */
  maxUploadBytes: number;
  /** Cache budget in bytes. */
  cacheBytes: number;
  /** Trust proxy headers. */
  trustProxy: boolean;
  /** Wall-clock limit of one `/api` request (ms). */
  apiTimeoutMs: number;
  /** Heap cap of one sandbox process (MiB). */
  sandboxHeapMb: number;
  /** Data folder quota in bytes, or null. */
  diskQuotaBytes: number | null;
  /** Volume fill limit (0..1). */
  diskLimitRatio: number;
  /** User requests per second per client IP (0: off). */
  rateLimit: number;
  /** Warm app sandboxes kept at most. */
  warmApps: number;
  /** Idle sandbox lifetime (ms). */
  sandboxIdleMs: number;
  /** Default memory cap of an app (MiB). */
  appMemoryMb: number;
  /** Background CPU budget of an app (ms per second; 0: off). */
  cpuBudgetMs: number;
  /** How memory caps are enforced. */
  resourceLimits: "auto" | "rlimit" | "watchdog";
  /** HTTPS settings, or null for plain HTTP. */
  https: HttpsSettings | null;
  /** Scheduled backup interval (ms), or null for none. */
  backupEveryMs: number | null;
  /** Scheduled backups kept. */
  backupKeep: number;
  /** Where scheduled backups go (absolute folder or `s3://`), or null for `<data>/backups`. */
  backupTo: string | null;
}

/** The HTTPS part of {@linkcode ServeSettings}. */
export interface HttpsSettings {
  /** The TLS port. */
  port: number;
  /** The plain-HTTP port (ACME challenges, redirects). */
  httpPort: number;
  /** The ACME directory URL. */
  acmeDirectory: string;
  /** The ACME contact email, if any. */
  acmeEmail: string | null;
  /** A PEM file of an extra CA for the ACME server, if any. */
  acmeCaFile: string | null;
}

/**
 * Top-level domains that never get public certificates (RFC 2606, 6761,
 * 6762, 8375 and common private ones): `--https auto` stays plain HTTP there.
 */
const PRIVATE_TLDS = new Set([
  "localhost",
  "test",
  "example",
  "invalid",
  "local",
  "internal",
  "lan",
  "home",
  "corp",
  "arpa",
]);

/** True when `domain` can have a certificate from a public CA (a dotted name, not an IP, not a private TLD). */
export function isPublicDomain(domain: string): boolean {
  if (!domain.includes(".") || /^[\d.]+$/.test(domain)) return false;
  return !PRIVATE_TLDS.has(domain.slice(domain.lastIndexOf(".") + 1));
}

function intSetting(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FaztError(
      "invalid_input",
      `--${name} must be a whole number from ${min} to ${max} (got "${raw}").`,
    );
  }
  return n;
}

/** An on/off setting: true, false, 1, 0, yes, no, on or off (absent: off). */
function switchSetting(name: string, raw: string | undefined): boolean {
  const value = (raw ?? "false").toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["", "0", "false", "no", "off"].includes(value)) return false;
  throw new FaztError("invalid_input", `--${name} must be true or false (got "${raw}").`);
}

/** The listen address: an IP address or a host name, never empty. */
function hostSetting(raw: string | undefined): string {
  const host = (raw ?? "127.0.0.1").trim().replace(/^\[(.*)\]$/, "$1");
  if (host === "" || /[\s/]/.test(host)) {
    throw new FaztError(
      "invalid_input",
      `--host must be an address of this machine, like 127.0.0.1 or 0.0.0.0 (got "${raw}").`,
    );
  }
  return host;
}

/** Resolves serve settings: flag, else environment variable, else default. */
export function serveSettings(
  args: ParsedArgs,
  env: (name: string) => string | undefined,
): ServeSettings {
  const get = (name: typeof SERVE_FLAGS[number]["flag"]) =>
    flag(args, name) ?? env(SERVE_FLAGS.find((f) => f.flag === name)!.env);
  const domain = (get("domain") ?? KERNEL_DEFAULTS.domain).toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9.-]+$/.test(domain) || domain.startsWith(".")) {
    throw new FaztError(
      "invalid_input",
      `--domain must be a host name like example.com (got "${domain}").`,
    );
  }
  return {
    port: intSetting("port", get("port"), KERNEL_DEFAULTS.publicPort, 0, 65535),
    host: hostSetting(get("host")),
    dataDir: resolve(get("data") ?? DEFAULT_DATA_DIR),
    domain,
    keepVersions: intSetting(
      "keep-versions",
      get("keep-versions"),
      KERNEL_DEFAULTS.keepVersions,
      0,
      1000,
    ),
    maxUploadBytes: intSetting(
      "max-upload",
      get("max-upload"),
      KERNEL_DEFAULTS.maxUploadBytes / MIB,
      1,
      100_000,
    ) *
      MIB,
    cacheBytes: intSetting("cache", get("cache"), KERNEL_DEFAULTS.cacheBytes / MIB, 0, 100_000) *
      MIB,
    trustProxy: switchSetting("trust-proxy", get("trust-proxy")),
    apiTimeoutMs: intSetting(
      "api-timeout",
      get("api-timeout"),
      KERNEL_DEFAULTS.apiTimeoutMs / 1000,
      1,
      3600,
    ) * 1000,
    sandboxHeapMb: intSetting(
      "sandbox-heap",
      get("sandbox-heap"),
      KERNEL_DEFAULTS.sandboxHeapMb,
      16,
      16_384,
    ),
    rateLimit: intSetting("rate-limit", get("rate-limit"), KERNEL_DEFAULTS.rateLimit, 0, 1_000_000),
    warmApps: intSetting("warm-apps", get("warm-apps"), KERNEL_DEFAULTS.warmApps, 0, 1000),
    sandboxIdleMs: intSetting(
      "idle-timeout",
      get("idle-timeout"),
      KERNEL_DEFAULTS.sandboxIdleMs / 1000,
      1,
      86_400,
    ) * 1000,
    diskQuotaBytes: get("disk-quota")
      ? intSetting("disk-quota", get("disk-quota"), 0, 1, 100_000_000) * MIB
      : null,
    diskLimitRatio: intSetting("disk-limit", get("disk-limit"), 80, 1, 100) / 100,
    appMemoryMb: intSetting(
      "app-memory",
      get("app-memory"),
      KERNEL_DEFAULTS.appMemoryMb,
      MIN_APP_MEMORY_MB,
      MAX_APP_MEMORY_MB,
    ),
    cpuBudgetMs: intSetting("cpu-budget", get("cpu-budget"), KERNEL_DEFAULTS.cpuBudgetMs, 0, 1000),
    resourceLimits: resourceLimitsSetting(get("resource-limits")),
    https: httpsSetting(get, domain),
    ...backupSettings(get),
  };
}

/** Parses a duration like `24h`, `90m`, `7d` or `1h30m` into ms; null when it is not one. */
export function parseDuration(text: string): number | null {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim().toLowerCase());
  if (!m || text.trim() === "") return null;
  const [, d = "0", h = "0", min = "0"] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000;
}

function backupSettings(
  get: (name: typeof SERVE_FLAGS[number]["flag"]) => string | undefined,
): Pick<ServeSettings, "backupEveryMs" | "backupKeep" | "backupTo"> {
  const every = get("backup-every");
  const keep = intSetting("backup-keep", get("backup-keep"), KERNEL_DEFAULTS.backupKeep, 1, 10_000);
  const to = get("backup-to");
  if (every === undefined || every === "") {
    if (to || get("backup-keep")) {
      throw new FaztError(
        "invalid_input",
        "--backup-keep and --backup-to only apply to scheduled backups: add --backup-every (e.g. 24h).",
      );
    }
    return { backupEveryMs: null, backupKeep: keep, backupTo: null };
  }
  const ms = parseDuration(every);
  if (ms === null || ms < MIN_BACKUP_EVERY_MS || ms > 366 * 86_400_000) {
    throw new FaztError(
      "invalid_input",
      `--backup-every must be a duration from 1m to 366d like 24h, 90m or 7d (got "${every}").`,
    );
  }
  const backupTo = to ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : resolve(to)) : null;
  return { backupEveryMs: ms, backupKeep: keep, backupTo };
}

function httpsSetting(
  get: (name: typeof SERVE_FLAGS[number]["flag"]) => string | undefined,
  domain: string,
): HttpsSettings | null {
  const mode = (get("https") ?? "auto").toLowerCase();
  if (mode !== "on" && mode !== "off" && mode !== "auto") {
    throw new FaztError(
      "invalid_input",
      `--https must be on, off or auto (got "${get("https")}").`,
    );
  }
  const trustProxy = switchSetting("trust-proxy", get("trust-proxy"));
  const on = mode === "on" || (mode === "auto" && isPublicDomain(domain) && !trustProxy);
  if (!on) return null;
  if (/^[\d.]+$/.test(domain) || domain.includes(":")) {
    throw new FaztError(
      "invalid_input",
      `--https on needs --domain set to a DNS name like example.com (got the IP address "${domain}"): certificates are ordered for names, and apps live at <name>.<domain>.`,
    );
  }
  const directory = get("acme-directory") ?? LETS_ENCRYPT_DIRECTORY;
  let url: URL | null = null;
  try {
    url = new URL(directory);
  } catch {
    // reported below
  }
  if (!url || url.protocol !== "https:") {
    throw new FaztError(
      "invalid_input",
      `--acme-directory must be an https:// URL of an ACME directory (got "${directory}").`,
    );
  }
  const port = intSetting("https-port", get("https-port"), 443, 0, 65535);
  const httpPort = intSetting("http-port", get("http-port"), 80, 0, 65535);
  if (port !== 0 && port === httpPort) {
    throw new FaztError("invalid_input", "--https-port and --http-port must differ.");
  }
  const email = get("acme-email") ?? null;
  if (email !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new FaztError(
      "invalid_input",
      `--acme-email must be an email address (got "${email}").`,
    );
  }
  return {
    port,
    httpPort,
    acmeDirectory: url.href,
    acmeEmail: email,
    acmeCaFile: get("acme-ca") ? resolve(get("acme-ca")!) : null,
  };
}

function resourceLimitsSetting(raw: string | undefined): ServeSettings["resourceLimits"] {
  const value = (raw ?? "auto").toLowerCase();
  if (value === "auto" || value === "rlimit" || value === "watchdog") return value;
  throw new FaztError(
    "invalid_input",
    `--resource-limits must be auto, rlimit or watchdog (got "${raw}").`,
  );
}

/** A duration in ms as the largest whole units, e.g. `1d2h`, `90m`. */
function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return `${d ? `${d}d` : ""}${h ? `${h}h` : ""}${m ? `${m}m` : ""}` || "0m";
}

/** The loopback address of the same family as `host`. */
function loopbackHost(host: string): string {
  return host.includes(":") ? "::1" : "127.0.0.1";
}

/** Reads the ACME server's extra CA (PEM), or says why it cannot. */
async function readAcmeCa(file: string): Promise<string> {
  const info = await Deno.stat(file).catch(() => undefined);
  if (!info?.isFile) {
    throw new FaztError(
      "invalid_input",
      `--acme-ca ${file}: ${
        info ? "a folder, not a file" : "no such file"
      }. Give the PEM file of the CA that signs your ACME server's certificate.`,
    );
  }
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new FaztError(
      "invalid_input",
      `--acme-ca ${file} cannot be read (${(err as Error).message}).`,
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new FaztError(
      "invalid_input",
      `--acme-ca ${file} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block).`,
    );
  }
  return text;
}

/** Binds a listener, turning a port that is taken or privileged into an error the owner can act on. */
async function bound(
  flagName: string,
  where: { host: string; port: number },
  open: () => Listener | Promise<Listener>,
): Promise<Listener> {
  try {
    return await open();
  } catch (err) {
    throw explainListenError(err, { flagName, ...where });
  }
}

function loopbackUrl(host: string, port: number): string {
  const h = host === "0.0.0.0"
    ? "127.0.0.1"
    : host === "::"
    ? "[::1]"
    : host.includes(":")
    ? `[${host}]`
    : host;
  return `http://${h}:${port}`;
}

/** Runs the server until a signal stops it. Returns the exit code. */
export async function serve(settings: ServeSettings, out: (line: string) => void): Promise<number> {
  const existing = await runningServer(settings.dataDir);
  if (existing) {
    throw new FaztError(
      "conflict",
      `A fazt server (pid ${existing.pid}) already serves ${settings.dataDir} at ${existing.url}. Stop it first or use another --data folder.`,
    );
  }
  const https = settings.https;
  const acmeCaPem = https?.acmeCaFile ? [await readAcmeCa(https.acmeCaFile)] : [];
  // With HTTPS on, the plain API port is the local CLI's way in: loopback only.
  await checkDataFolder(settings.dataDir);
  const apiHost = https ? loopbackHost(settings.host) : settings.host;
  const listener = await bound(
    "--port",
    { host: apiHost, port: settings.port },
    () => listen({ hostname: apiHost, port: settings.port }),
  );
  let kernel: Kernel | undefined;
  let secure: Listener | undefined;
  let plain: Listener | undefined;
  const stopListeners = async () => {
    await Promise.all([listener.shutdown(), secure?.shutdown(), plain?.shutdown()]);
  };
  try {
    if (https) {
      // Loaded only with HTTPS on: node's TLS stack costs ~13 MB resident.
      const [{ listenTls }, { createPlainPortHandler }] = await Promise.all([
        import("../http/tls_server.ts"),
        import("../http/plain_port_handler.ts"),
      ]);
      secure = await bound(
        "--https-port",
        { host: settings.host, port: https.port },
        () =>
          listenTls({
            hostname: settings.host,
            port: https.port,
            // Until the kernel is up, hellos get no certificate (the handshake fails).
            certificate: (name) => kernel?.tls?.certificateFor(name) ?? Promise.resolve(null),
          }),
      );
      const tlsPort = secure.port;
      plain = await bound(
        "--http-port",
        { host: settings.host, port: https.httpPort },
        () => listen({ hostname: settings.host, port: https.httpPort }),
      );
      plain.setHandler(createPlainPortHandler({
        challengeAnswer: (token) => kernel?.tls?.challengeAnswer(token) ?? null,
        httpsPort: tlsPort,
      }));
    }
    kernel = await createKernel({
      dataDir: settings.dataDir,
      domain: settings.domain,
      publicPort: secure ? secure.port : listener.port,
      https: https && plain
        ? {
          httpPort: plain.port,
          acmeDirectory: https.acmeDirectory,
          acmeEmail: https.acmeEmail,
          acmeCaPem,
        }
        : null,
      keepVersions: settings.keepVersions,
      maxUploadBytes: settings.maxUploadBytes,
      cacheBytes: settings.cacheBytes,
      trustProxy: settings.trustProxy,
      rateLimit: settings.rateLimit,
      apiTimeoutMs: settings.apiTimeoutMs,
      sandboxHeapMb: settings.sandboxHeapMb,
      warmApps: settings.warmApps,
      sandboxIdleMs: settings.sandboxIdleMs,
      sandboxSpare: true,
      diskQuotaBytes: settings.diskQuotaBytes,
      diskLimitRatio: settings.diskLimitRatio,
      memoryGuard: true,
      resourceLimits: settings.resourceLimits,
      appMemoryMb: settings.appMemoryMb,
      cpuBudgetMs: settings.cpuBudgetMs,
      backupEveryMs: settings.backupEveryMs,
      backupKeep: settings.backupKeep,
      backupTo: settings.backupTo,
    });
  } catch (err) {
    await stopListeners();
    throw explainDataFolderError(err, settings.dataDir);
  }
  listener.setHandler(kernel.handler);
  secure?.setHandler(kernel.handler);
  const record: ServerRecord = {
    url: loopbackUrl(listener.hostname, listener.port),
    pid: Deno.pid,
    version: VERSION,
    launch: {
      binary: faztExecutable(),
      args: [...Deno.args],
      cwd: Deno.cwd(),
      env: Object.fromEntries(
        SERVE_FLAGS.flatMap((f) => {
          const value = Deno.env.get(f.env);
          return value === undefined ? [] : [[f.env, value]];
        }),
      ),
      unsetEnv: SERVE_FLAGS.map((f) => f.env).filter((name) => Deno.env.get(name) === undefined),
    },
  };
  const serverFile = join(settings.dataDir, SERVER_FILE);
  await Deno.writeTextFile(serverFile, JSON.stringify(record));
  await Deno.writeTextFile(
    join(settings.dataDir, SERVE_SETTINGS_FILE),
    JSON.stringify({
      domain: settings.domain,
      port: secure ? secure.port : listener.port,
      https: secure !== undefined,
    }),
  );
  const root = kernel.services.system.rootUrl;
  out(`fazt ${VERSION} is running`);
  out(`  url      ${root}`);
  out(`  apps     ${kernel.services.system.appUrl("<name>")}`);
  out(`  admin    ${kernel.services.system.adminUrl()}_fazt/`);
  out(`  api      ${record.url}/_fazt/api/`);
  if (secure && plain) {
    out(
      `  https    port ${secure.port}; port ${plain.port} redirects to it and answers ACME challenges`,
    );
    out(`           certificates from ${https!.acmeDirectory}, ordered at each name's first visit`);
  }
  out(`  data     ${settings.dataDir}`);
  const schedule = kernel.services.backupSchedule();
  if (schedule) {
    out(
      `  backups  every ${
        formatDuration(schedule.everyMs)
      } to ${schedule.location}, keeping ${schedule.keep}`,
    );
  }
  out(`  token    ${join(settings.dataDir, OWNER_TOKEN_FILE)} (owner, for the local CLI)`);
  if (!kernel.services.owners.hasOwner()) {
    const token = await kernel.services.owners.issueSetupToken(SETUP_LINK_TTL_MS);
    out(`  setup    ${kernel.services.system.adminUrl()}_fazt/setup?token=${token}`);
    out(`           (one-time link to create the owner account; valid 24 hours)`);
  }
  out(`listening on ${record.url}`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      out("fazt: stopping (finishing in-flight requests)…");
      await stopListeners();
      await kernel!.close();
      await Deno.remove(serverFile).catch(() => {});
      out("fazt: stopped cleanly");
    })();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await Promise.all([listener.finished, secure?.finished, plain?.finished]);
  await stopping;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}
