/**
 * `fazt service install|status|logs|uninstall`: fazt as a systemd service
 * on this machine. A CLI-local command (it administers the machine it runs
 * on, not a fazt server), so not an operation.
 *
 * The service runs the compiled binary. Run from source (`deno run`),
 * `install` refuses unless `--binary` names a compiled fazt: a unit running
 * `deno run main.ts` would depend on the source tree and on the installing
 * user's Deno cache (its npm packages), which the service's own user cannot
 * read (`ProtectHome=yes` hides /root and /home) and could not download at
 * boot; the compiled binary holds all of it.
 *
 * @module
 */
import { resolve } from "node:path";
import { FaztError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { boolFlag, flag, parseArgs, type ParsedArgs } from "./args.ts";
import { SERVE_BOOLEAN_FLAGS, SERVE_FLAGS, serveSettings } from "./serve_command.ts";
import { installService, serviceLogs, serviceStatus, uninstallService } from "./service_install.ts";
import {
  checkDataDir,
  checkUserName,
  DEFAULT_SERVICE_DATA,
  DEFAULT_SERVICE_USER,
  INSTALLED_BINARY,
  SERVICE_NAME,
  systemdUnit,
  UNIT_DIR,
} from "./service_unit.ts";

/** Where `fazt service` writes. */
export interface ServiceIo {
  /** Standard output, one line at a time. */
  out(line: string): void;
}

/** The words of the service commands, with one-line summaries for `fazt help`. */
export const SERVICE_COMMANDS: readonly { words: string; summary: string }[] = [
  { words: "service install", summary: "Install fazt as a systemd service and start it" },
  { words: "service status", summary: "Show the service's state (systemctl status)" },
  { words: "service logs", summary: "Show the service's log (journalctl)" },
  { words: "service uninstall", summary: "Stop and remove the service (the data stays)" },
];

const HELP = `Usage: fazt service install [--domain D] [--data DIR] [--user U] [--binary FILE]
                            [--print] [--root DIR] [-- SERVE FLAGS...]
       fazt service status
       fazt service logs [--lines N] [--follow]
       fazt service uninstall [--root DIR]

install    Copies this fazt binary to ${INSTALLED_BINARY}, creates the service
           user (a system user with no login) unless it exists, makes the data
           folder (owned by that user, mode 700), writes
           ${UNIT_DIR}/${SERVICE_NAME} and enables and starts it. Needs root.
           The unit runs \`fazt serve --data DIR\` (with --domain: also
           \`--domain D --host 0.0.0.0\`, so HTTPS turns on for a public name)
           as that user, hardened: read-only system but the data folder,
           ports 80/443 allowed, memory capped at 75 %/90 % of this machine's,
           restarted on failure.
  --domain D     The primary domain (apps at <name>.D).
  --data DIR     The data folder (default ${DEFAULT_SERVICE_DATA}).
  --user U       The user the service runs as (default ${DEFAULT_SERVICE_USER}; created if missing).
  --binary FILE  The fazt executable to install (default: this one; required
                 when fazt runs from source, since a service runs the compiled binary).
  --print        Write the unit to standard output and change nothing.
  --root DIR     Write the binary, data folder and unit under DIR and change
                 nothing else (no user, no systemctl): for packaging.
  -- FLAGS       More \`fazt serve\` flags, e.g. -- --acme-email you@example.com
status     \`systemctl status ${SERVICE_NAME}\`.
logs       \`journalctl -u ${SERVICE_NAME}\`: the last --lines (default 100), --follow for more.
uninstall  Stops, disables and removes the unit. The data folder, the user and
           the binary stay.`;

function onlyFlags(args: ParsedArgs, allowed: readonly string[], command: string): void {
  for (const name of args.flags.keys()) {
    if (!allowed.includes(name)) {
      throw new FaztError("invalid_input", `Unknown flag --${name} for ${command}.`);
    }
  }
}

function noArguments(args: ParsedArgs, command: string): void {
  if (args.positionals.length > 2) {
    throw new FaztError(
      "invalid_input",
      `${command} takes no arguments (got "${args.positionals[2]}"). Run \`fazt service --help\`.`,
    );
  }
}

/** Checks the flags the service will pass to `fazt serve`, as `fazt serve` itself reads them. */
function checkServeFlags(serveArgs: readonly string[]): void {
  const parsed = parseArgs(serveArgs, SERVE_BOOLEAN_FLAGS);
  if (parsed.positionals.length > 0) {
    throw new FaztError(
      "invalid_input",
      `fazt serve takes no arguments (got "${parsed.positionals[0]}" after --).`,
    );
  }
  const known = new Set<string>(SERVE_FLAGS.map((f) => f.flag));
  for (const name of parsed.flags.keys()) {
    if (!known.has(name) || name === "data") {
      throw new FaztError(
        "invalid_input",
        name === "data"
          ? "Give the data folder as `fazt service install --data DIR`, before --."
          : `Unknown flag --${name} for fazt serve (after --).`,
      );
    }
  }
  serveSettings(parsed, () => undefined);
}

/** The fazt executable `install` copies: `--binary`, else this one when it is compiled. */
function sourceBinary(given: string | undefined): string {
  if (given !== undefined) return resolve(given);
  if ((Deno.build as { standalone?: boolean }).standalone) return Deno.execPath();
  throw new FaztError(
    "invalid_input",
    "fazt runs from source here, and a service runs the compiled binary: build it (`deno task compile`) and run `sudo ./dist/fazt service install`, or pass `--binary dist/fazt`.",
  );
}

async function install(argv: readonly string[], io: ServiceIo): Promise<number> {
  const dash = argv.indexOf("--");
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const extra = dash === -1 ? [] : argv.slice(dash + 1);
  const args = parseArgs(own, new Set(["help", "print"]));
  onlyFlags(
    args,
    ["domain", "data", "user", "binary", "print", "root", "help"],
    "fazt service install",
  );
  noArguments(args, "fazt service install");
  const domain = flag(args, "domain")?.toLowerCase().replace(/\.$/, "");
  const dataDir = resolve(flag(args, "data") ?? DEFAULT_SERVICE_DATA);
  const user = flag(args, "user") ?? DEFAULT_SERVICE_USER;
  const serveArgs = [...extra];
  checkServeFlags([...(domain ? ["--domain", domain] : []), ...serveArgs]);
  checkDataDir(dataDir);
  checkUserName(user);
  const memoryBytes = Deno.systemMemoryInfo().total;
  const common = { dataDir, user, domain, serveArgs, memoryBytes };
  if (boolFlag(args, "print")) {
    const unit = systemdUnit({ ...common, binary: INSTALLED_BINARY, version: VERSION });
    for (const line of unit.replace(/\n$/, "").split("\n")) io.out(line);
    return 0;
  }
  const root = flag(args, "root");
  const done = await installService({
    ...common,
    source: sourceBinary(flag(args, "binary")),
    root: root === undefined ? undefined : resolve(root),
    version: VERSION,
  });
  for (const line of done) io.out(line);
  return 0;
}

/** Runs `fazt service …`; returns the exit code. */
export async function serviceCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const sub = argv[1];
  if (sub === undefined || sub === "help" || argv.includes("--help") || argv.includes("-h")) {
    io.out(HELP);
    return 0;
  }
  if (sub === "install") return await install(argv, io);
  if (sub === "uninstall") {
    const args = parseArgs(argv, new Set());
    onlyFlags(args, ["root"], "fazt service uninstall");
    noArguments(args, "fazt service uninstall");
    const root = flag(args, "root");
    for (const line of await uninstallService(root === undefined ? undefined : resolve(root))) {
      io.out(line);
    }
    return 0;
  }
  if (sub === "status") {
    const args = parseArgs(argv, new Set());
    onlyFlags(args, [], "fazt service status");
    noArguments(args, "fazt service status");
    return await serviceStatus();
  }
  if (sub === "logs") {
    const args = parseArgs(argv, new Set(["follow"]));
    onlyFlags(args, ["lines", "follow"], "fazt service logs");
    noArguments(args, "fazt service logs");
    const raw = flag(args, "lines") ?? "100";
    const lines = Number(raw);
    if (!Number.isInteger(lines) || lines < 0) {
      throw new FaztError("invalid_input", `--lines must be a whole number (got "${raw}").`);
    }
    return await serviceLogs(lines, boolFlag(args, "follow"));
  }
  throw new FaztError(
    "invalid_input",
    `Unknown command "fazt service ${sub}". Try: fazt service install, status, logs, uninstall.`,
  );
}
