/**
 * Stopping and starting the server around an upgrade. Two ways:
 *
 * - **systemd** (`fazt service install`): `systemctl stop|start <unit>`;
 *   the unit's `ExecStart` names the binary, so starting it runs whatever
 *   binary is in place.
 * - **a plain process** (`fazt serve` in a shell, tmux, a container): stop
 *   by SIGTERM to the pid in `server.json` (SIGKILL after a grace period),
 *   start the binary detached (its own session, output appended to
 *   `<data>/upgrade/server.log`) with the arguments, folder and settings
 *   the server recorded at start ({@linkcode ServerLaunch}).
 *
 * @module
 */
import { join } from "node:path";
import { FaztError } from "../../core/errors.ts";

/** How a server was started, recorded by `fazt serve` so an upgrade can start it again. */
export interface ServerLaunch {
  /** The fazt executable, or null when it ran as `deno run main.ts`. */
  binary: string | null;
  /** Its arguments (`serve --data …`). */
  args: string[];
  /** Its working folder. */
  cwd: string;
  /** The `FAZT_*` settings it read from its environment. */
  env: Record<string, string>;
  /** The `FAZT_*` settings that were not set (unset again when it is restarted). */
  unsetEnv: string[];
}

/** Stops and starts the server of one data folder. */
export interface ServerControl {
  /** How (`process` or `systemd <unit>`), for messages. */
  readonly kind: string;
  /** Stops the server and returns once it has exited. */
  stop(): Promise<void>;
  /** Starts the server; returns once it was launched (not yet healthy). */
  start(): Promise<void>;
  /** True when the server this control started has already exited (a plain process only). */
  exited(): boolean;
  /** The pid of the server this control started (a plain process only), else null. */
  startedPid(): number | null;
}

/** How long a stopping server may finish its in-flight requests before SIGKILL. */
const STOP_GRACE_MS = 30_000;

/**
 * True while process `pid` exists: `kill(pid, 0)`, which Deno accepts
 * though its types list only named signals (reading `/proc` would need
 * `--allow-all`). A zombie counts as alive until its parent reaps it.
 */
export function processAlive(pid: number): boolean {
  try {
    Deno.kill(pid, 0 as unknown as Deno.Signal);
    return true;
  } catch (err) {
    return err instanceof Deno.errors.PermissionDenied;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGTERM, waits for the exit, and SIGKILLs after the grace period. */
export async function stopProcess(pid: number, graceMs = STOP_GRACE_MS): Promise<void> {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (processAlive(pid)) {
    if (!killed && Date.now() > deadline) {
      killed = true;
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        return;
      }
    }
    // A zombie never leaves while its parent does not reap it: it holds nothing any more.
    if (killed && Date.now() > deadline + 5_000) return;
    await sleep(25);
  }
}

/**
 * Controls a plain server process: `pid` is the running one (if any);
 * `start` launches `launch.binary` (default: `binary`) detached.
 */
export function processControl(
  pid: number | null,
  launch: ServerLaunch,
  binary: string,
  dataDir: string,
): ServerControl {
  let running = pid;
  let child: Deno.ChildProcess | undefined;
  let exited = false;
  return {
    kind: "process",
    async stop() {
      if (running !== null) await stopProcess(running);
      running = null;
    },
    async start() {
      const dir = join(dataDir, "upgrade");
      await Deno.mkdir(dir, { recursive: true });
      exited = false;
      // sh unsets the settings the server ran without (this command's environment may have
      // them), opens the log and execs the binary, so the server's pid is the child's.
      const unset = launch.unsetEnv.filter((name) => /^[A-Z_][A-Z0-9_]*$/.test(name));
      child = new Deno.Command("/bin/sh", {
        args: [
          "-c",
          'log=$1; n=$2; shift 2; while [ "$n" -gt 0 ]; do unset "$1"; shift; n=$((n - 1)); done; exec "$@" >>"$log" 2>&1',
          "sh",
          join(dir, "server.log"),
          String(unset.length),
          ...unset,
          launch.binary ?? binary,
          ...launch.args,
        ],
        cwd: launch.cwd,
        env: launch.env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
        detached: true,
      }).spawn();
      running = child.pid;
      const mine = child;
      mine.status.then(() => {
        if (child === mine) exited = true;
      });
      mine.unref();
    },
    exited: () => exited,
    startedPid: () => child?.pid ?? null,
  };
}

/** Controls a systemd unit. */
export function systemdControl(unit: string): ServerControl {
  const systemctl = async (verb: string) => {
    const out = await new Deno.Command("systemctl", {
      args: [verb, unit],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new FaztError(
        "unavailable",
        `systemctl ${verb} ${unit} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
      );
    }
  };
  return {
    kind: `systemd ${unit}`,
    stop: () => systemctl("stop"),
    start: () => systemctl("start"),
    exited: () => false,
    startedPid: () => null,
  };
}

/**
 * The systemd unit process `pid` runs in, from `/proc/<pid>/cgroup`
 * (`0::/system.slice/fazt.service` → `fazt.service`), or null outside a
 * system service (a shell, a user session, no `/proc`). Read through
 * `cat`: Deno refuses reads of `/proc` without `--allow-all`.
 */
export async function systemdUnitOf(pid: number): Promise<string | null> {
  try {
    const out = await new Deno.Command("cat", {
      args: [`/proc/${pid}/cgroup`],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? unitFromCgroup(new TextDecoder().decode(out.stdout)) : null;
  } catch {
    return null;
  }
}

/** The system service unit named in a `/proc/<pid>/cgroup` text, or null. */
export function unitFromCgroup(text: string): string | null {
  const line = text.split("\n").find((l) => l.startsWith("0::"));
  const match = line?.match(/^0::\/system\.slice\/([A-Za-z0-9@_.:-]+\.service)$/);
  return match ? match[1] : null;
}
