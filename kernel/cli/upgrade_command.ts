/**
 * `fazt upgrade [--to VERSION | --from FILE|URL]` and `fazt upgrade
 * --rollback`: the command line of kernel/services/upgrade. It works on
 * this machine only (it replaces the executable it runs from and restarts
 * the server of the data folder), so it is not an operation: no REST, MCP
 * or dashboard form. See docs/UPGRADES.md.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FaztError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { KERNEL_DB_FILE } from "../boot/config.ts";
import { faztExecutable } from "../services/upgrade/executable.ts";
import { RELEASE_PUBLIC_KEYS, RELEASES_URL } from "../services/upgrade/release_keys.ts";
import { sourceUrl } from "../services/upgrade/release_download.ts";
import { folderSnapshot } from "../services/upgrade/pre_upgrade_snapshot.ts";
import { systemdUnitOf } from "../services/upgrade/server_control.ts";
import {
  rollback,
  upgrade,
  type UpgradeContext,
  type UpgradeResult,
} from "../services/upgrade/upgrader.ts";
import { boolFlag, flag, parseArgs } from "./args.ts";
import { DEFAULT_DATA_DIR, runningServer } from "./target.ts";

/** The flags of `fazt upgrade`. */
export const UPGRADE_FLAGS = [
  { flag: "to", help: "The version to install (default: the latest release)." },
  { flag: "from", help: "A release manifest file or URL to install instead." },
  { flag: "releases", help: "Where releases are published (<url>/<version>/manifest.json)." },
  {
    flag: "timeout",
    help:
      "Seconds the new version has to answer /_fazt/health before it is rolled back (default 60).",
  },
  { flag: "data", help: "The data folder of the server to restart (or FAZT_DATA)." },
  { flag: "rollback", help: "Return to the version before the last upgrade (binary and data)." },
] as const;

/** The help text of `fazt upgrade`. */
export function upgradeHelp(): string {
  return [
    "Usage: fazt upgrade [--to VERSION | --from FILE|URL] [--timeout SECONDS] [--data DIR]",
    "       fazt upgrade --rollback [--data DIR]",
    "",
    "Downloads a release, verifies its signature and SHA-256, snapshots the data, replaces",
    "this executable, restarts the server and rolls back by itself if the new version does",
    "not answer in time.",
    "",
    ...UPGRADE_FLAGS.map((f) => `  --${f.flag.padEnd(14)} ${f.help}`),
  ].join("\n");
}

/** The kernel schema version of the data in `dir`, read without changing it (null: no store). */
function schemaVersionOf(dir: string): number | null {
  let conn: DatabaseSync;
  try {
    conn = new DatabaseSync(join(dir, KERNEL_DB_FILE), { readOnly: true });
  } catch {
    return null;
  }
  try {
    const row = conn.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  } catch {
    return null;
  } finally {
    conn.close();
  }
}

/** Where {@linkcode upgradeCommand} writes and what environment it reads. */
export interface UpgradeCommandOptions {
  /** Progress and results. */
  out(line: string): void;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
}

/**
 * A plain server process is started again by this command, so as this
 * command's user: refuse when that is not the user the server ran as (the
 * owner of the `server.json` it wrote), rather than restart it as another
 * one (root, say). Our own user id is that of a file we create (reading it
 * directly needs a permission the binary does not have).
 */
async function refuseOtherUser(dataDir: string): Promise<void> {
  const server = (await Deno.stat(join(dataDir, "server.json"))).uid;
  const probe = await Deno.makeTempFile({ prefix: "fazt-upgrade-" });
  const me = (await Deno.stat(probe)).uid;
  await Deno.remove(probe);
  if (server !== null && me !== null && server !== me) {
    throw new FaztError(
      "forbidden",
      `The server of ${dataDir} runs as user id ${server}, this command as ${me}: run \`fazt upgrade\` as the server's user, so that the restarted server runs as it did.`,
    );
  }
}

/** Writes a line, ignoring a terminal that went away (an SSH session that dropped). */
function say(io: UpgradeCommandOptions, line: string): void {
  try {
    io.out(line);
  } catch {
    // Nobody reads any more; the upgrade goes on.
  }
}

/**
 * Keeps SIGINT, SIGTERM and SIGHUP (Ctrl-C, a closed terminal) from
 * stopping the command half-way: it finishes or rolls back by itself.
 * (SIGKILL cannot be held; see docs/UPGRADES.md for what it leaves.)
 */
function holdSignals(io: UpgradeCommandOptions): Disposable {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const onSignal = () =>
    say(io, "fazt upgrade: still working; it finishes or rolls back by itself, please wait.");
  const held = signals.filter((s) => {
    try {
      Deno.addSignalListener(s, onSignal);
      return true;
    } catch {
      return false;
    }
  });
  return { [Symbol.dispose]: () => held.forEach((s) => Deno.removeSignalListener(s, onSignal)) };
}

/** Runs `fazt upgrade …` (argv after `upgrade`) and returns the exit code. */
export async function upgradeCommand(
  argv: string[],
  io: UpgradeCommandOptions,
): Promise<number> {
  const args = parseArgs(argv, new Set(["rollback", "help"]));
  if (boolFlag(args, "help")) {
    io.out(upgradeHelp());
    return 0;
  }
  const known = new Set<string>(UPGRADE_FLAGS.map((f) => f.flag));
  for (const name of args.flags.keys()) {
    if (!known.has(name)) {
      throw new FaztError("invalid_input", `Unknown flag --${name} for fazt upgrade.`);
    }
  }
  if (args.positionals.length > 0) {
    throw new FaztError(
      "invalid_input",
      `fazt upgrade takes no arguments (got "${args.positionals[0]}"); use --to VERSION.`,
    );
  }
  const isRollback = boolFlag(args, "rollback");
  const to = flag(args, "to");
  const from = flag(args, "from");
  if ([isRollback, to !== undefined, from !== undefined].filter(Boolean).length > 1) {
    throw new FaztError("invalid_input", "Give one of --to, --from or --rollback.");
  }
  const binary = faztExecutable();
  if (binary === null) {
    throw new FaztError(
      "conflict",
      "This fazt runs from source (`deno run main.ts`), so there is no fazt executable to replace: update the source instead (git pull), or install a release binary.",
    );
  }
  const dataDir = resolve(flag(args, "data") ?? io.env("FAZT_DATA") ?? DEFAULT_DATA_DIR);
  const record = await runningServer(dataDir);
  if (record?.launch && record.launch.binary !== binary) {
    throw new FaztError(
      "conflict",
      `The server of ${dataDir} runs ${
        record.launch.binary ?? "from source"
      }, not ${binary}: run that executable's \`upgrade\`.`,
    );
  }
  const unit = record ? await systemdUnitOf(record.pid) : null;
  if (record && unit === null) await refuseOtherUser(dataDir);
  const timeout = Number(flag(args, "timeout") ?? "60");
  if (!Number.isFinite(timeout) || timeout < 1 || timeout > 3600) {
    throw new FaztError("invalid_input", "--timeout must be a number of seconds from 1 to 3600.");
  }
  const ctx: UpgradeContext = {
    dataDir,
    binary,
    currentVersion: VERSION,
    server: record ? { pid: record.pid, launch: record.launch ?? null, unit } : null,
    snapshot: folderSnapshot(dataDir),
    schemaVersionOf,
    healthTimeoutMs: timeout * 1000,
    log: (line) => say(io, line),
  };
  using _ = holdSignals(io);
  let result: UpgradeResult;
  if (isRollback) {
    result = await rollback(ctx);
    say(
      io,
      `rolled back from ${result.from} to ${result.to}${
        result.restarted ? "; the server answers" : ""
      }`,
    );
    return 0;
  }
  let manifestUrl: URL;
  if (from !== undefined) {
    manifestUrl = sourceUrl(from);
  } else {
    const base = flag(args, "releases") ?? RELEASES_URL;
    if (base === null) {
      throw new FaztError(
        "invalid_input",
        "This build names no release site: pass --releases URL, or --from FILE|URL with a release manifest.",
      );
    }
    manifestUrl = new URL(
      `${to ?? "latest"}/manifest.json`,
      base.endsWith("/") ? base : `${base}/`,
    );
  }
  result = await upgrade(ctx, {
    manifestUrl,
    keys: RELEASE_PUBLIC_KEYS,
    version: to,
    requireNewer: to === undefined && from === undefined,
  });
  say(
    io,
    `upgraded from ${result.from} to ${result.to}${
      result.restarted ? "; the server answers" : ""
    } (\`fazt upgrade --rollback\` returns to ${result.from})`,
  );
  return 0;
}
