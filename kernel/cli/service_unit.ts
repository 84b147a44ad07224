/**
 * The systemd unit `fazt service install` writes: fazt runs as its own
 * user in a read-only system with only its data folder writable, may bind
 * ports 80 and 443 and nothing else a root process could, gets a memory
 * ceiling sized to the machine, and owns its cgroup subtree so it can cap
 * each app's memory (runtime/process/cgroups.ts). Pure text: nothing here
 * touches the machine (see `service_install.ts`).
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import { MIB } from "../core/format.ts";

/** The unit's name. */
export const SERVICE_NAME = "fazt.service";

/** Where the unit file goes. */
export const UNIT_DIR = "/etc/systemd/system";

/** Where the installed binary lives (outside any home folder, readable by the service user). */
export const INSTALLED_BINARY = "/usr/local/bin/fazt";

/** The service's data folder unless `--data` names another. */
export const DEFAULT_SERVICE_DATA = "/var/lib/fazt";

/** The service's user unless `--user` names another. */
export const DEFAULT_SERVICE_USER = "fazt";

/**
 * The service's home and Deno cache (systemd makes it, owned by the
 * service user, as the unit's `CacheDirectory=`): Deno keeps compiled code
 * there, never data.
 */
export const SERVICE_CACHE = "/var/cache/fazt";

/** What a unit is made of. */
export interface UnitOptions {
  /** The executable `ExecStart=` runs (it must exist for `systemd-analyze verify`). */
  binary: string;
  /** The data folder (absolute): the only folder the service may write. */
  dataDir: string;
  /** The user the service runs as. */
  user: string;
  /** The primary domain, passed to `fazt serve --domain` (HTTPS turns on for a public name). */
  domain?: string;
  /** The machine's memory in bytes (sizes `MemoryHigh=` and `MemoryMax=`). */
  memoryBytes: number;
  /** More `fazt serve` flags, appended as given (e.g. `--acme-email you@example.com`). */
  serveArgs?: readonly string[];
  /** fazt's version, named in the unit's header comment. */
  version: string;
}

/** The share of the machine's memory above which the kernel reclaims fazt's memory hard. */
export const MEMORY_HIGH_SHARE = 0.75;

/** The share of the machine's memory fazt may never pass (the OOM killer acts inside its unit). */
export const MEMORY_MAX_SHARE = 0.9;

/**
 * `MemoryHigh=` and `MemoryMax=` for a machine with `totalBytes` of memory,
 * in whole MiB. fazt is the machine's one job (a small VPS), so it may use
 * most of it, but not all: past 75 % the kernel throttles and reclaims
 * fazt's memory (the store's page cache goes first) instead of killing
 * anything; 90 % is the hard cap, where the OOM killer acts inside fazt's
 * unit only. The last 10 % stay for sshd, journald and systemd, so the
 * owner can still log in to a machine whose fazt is at its limit (1 GiB:
 * 768 MiB high, 921 MiB max).
 */
export function memoryLimits(totalBytes: number): { highMb: number; maxMb: number } {
  if (!Number.isFinite(totalBytes) || totalBytes < 64 * MIB) {
    throw new FaztError(
      "invalid_input",
      `Cannot size the service's memory limits: the machine reports ${totalBytes} bytes of memory.`,
    );
  }
  const mb = totalBytes / MIB;
  return { highMb: Math.floor(mb * MEMORY_HIGH_SHARE), maxMb: Math.floor(mb * MEMORY_MAX_SHARE) };
}

/** A path the unit can hold unquoted: absolute, and none of systemd's specials or whitespace. */
const SAFE_PATH = /^\/[A-Za-z0-9._@+\/-]*$/;

/** Refuses a path the unit could not hold as written. */
export function checkUnitPath(what: string, path: string): void {
  if (!SAFE_PATH.test(path) || path.split("/").includes("..")) {
    throw new FaztError(
      "invalid_input",
      `${what} must be an absolute path of letters, digits and ._@+-/ (got "${path}").`,
    );
  }
}

/**
 * Refuses a data folder the service could not use: one the unit cannot
 * hold, the root, or one in a home folder (the unit hides those with
 * `ProtectHome=yes`).
 */
export function checkDataDir(dataDir: string): void {
  checkUnitPath("The data folder", dataDir);
  if (dataDir === "/" || /^\/(home|root|run\/user)(\/|$)/.test(dataDir)) {
    throw new FaztError(
      "invalid_input",
      `The service cannot use "${dataDir}" as its data folder: the unit hides home folders (ProtectHome=yes). Use a folder such as ${DEFAULT_SERVICE_DATA} (copy existing data there first).`,
    );
  }
}

/** Refuses a user name `useradd` would refuse (or the unit could not hold). */
export function checkUserName(user: string): void {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    throw new FaztError(
      "invalid_input",
      `--user must be a system user name: lowercase letters, digits, _ and -, at most 32 (got "${user}").`,
    );
  }
}

/** One `ExecStart=` argument, quoted and escaped the way systemd reads it. */
export function unitArg(arg: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what it refuses
  if (/[\0-\x1f\x7f]/.test(arg)) {
    throw new FaztError("invalid_input", `A service argument cannot hold control characters.`);
  }
  if (/^[A-Za-z0-9@+=:,./_-]+$/.test(arg)) return arg;
  const escaped = arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")
    .replace(/\$/g, "$$$$");
  return `"${escaped}"`;
}

/**
 * The command line the service runs: `fazt serve` on the data folder; with
 * a domain it also listens on every address (HTTPS on 443, ACME and
 * redirects on 80; the API port stays on loopback), without one it keeps
 * `fazt serve`'s loopback default (put your own proxy in front).
 */
export function serviceCommand(options: UnitOptions): string[] {
  return [
    options.binary,
    "serve",
    "--data",
    options.dataDir,
    ...(options.domain ? ["--domain", options.domain, "--host", "0.0.0.0"] : []),
    ...(options.serveArgs ?? []),
  ];
}

/** The unit file's text. */
export function systemdUnit(options: UnitOptions): string {
  checkUnitPath("The binary", options.binary);
  checkDataDir(options.dataDir);
  checkUserName(options.user);
  const { highMb, maxMb } = memoryLimits(options.memoryBytes);
  return `# Written by \`fazt service install\` (fazt ${options.version}). Remove it with
# \`fazt service uninstall\`; the data folder stays.
[Unit]
Description=fazt personal cloud
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=${options.user}
ExecStart=${serviceCommand(options).map(unitArg).join(" ")}
Restart=on-failure
RestartSec=2
# SIGTERM to fazt alone: it stops its sandboxes itself, then finishes in-flight requests.
KillMode=mixed
TimeoutStopSec=30
Environment=HOME=${SERVICE_CACHE} DENO_DIR=${SERVICE_CACHE}
# glibc: blocks of 32 KiB or more (file chunks in flight, a deploy's buffers) are mapped and unmapped, not kept in the heap.
Environment=MALLOC_MMAP_THRESHOLD_=32768
CacheDirectory=fazt
UMask=0077
LimitNOFILE=65536

# Ports 80 and 443 without root, and no other privilege.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes

# A read-only system: fazt writes its data folder, its cache, a private /tmp
# (sandbox sockets) and its own cgroup subtree. No ProtectControlGroups=: it
# would make the delegated subtree read-only. No MemoryDenyWriteExecute=:
# V8 compiles JavaScript to machine code.
ProtectSystem=strict
ReadWritePaths=${options.dataDir}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native

# Memory sized to this machine (${Math.round(options.memoryBytes / MIB)} MiB): reclaim past ${
    MEMORY_HIGH_SHARE * 100
  } %, never past ${MEMORY_MAX_SHARE * 100} %.
MemoryHigh=${highMb}M
MemoryMax=${maxMb}M
# fazt caps each app's memory with a cgroup of its own under this unit's
# (Delegate=yes), and an app killed at its cap must not stop the whole service.
Delegate=yes
OOMPolicy=continue

[Install]
WantedBy=multi-user.target
`;
}
