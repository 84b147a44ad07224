/**
 * What `fazt service …` does to the machine: installs the binary, makes
 * the service user and the data folder, writes the unit (service_unit.ts)
 * and enables it with `systemctl`; removes it again; and wraps
 * `systemctl status` and `journalctl`. With a `root` folder every file goes
 * under it and nothing else changes (no user, no ownership, no systemctl):
 * for packaging, and for tests.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { FaztError } from "../core/errors.ts";
import {
  checkDataDir,
  checkUserName,
  INSTALLED_BINARY,
  SERVICE_NAME,
  systemdUnit,
  UNIT_DIR,
  type UnitOptions,
} from "./service_unit.ts";

/** Where commands are looked up: fazt's own environment may hold no PATH. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The outcome of a command. */
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a system command; a missing one is a clear error naming what provides it. */
async function run(command: string, args: string[], provides: string): Promise<Ran> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { PATH: SYSTEM_PATH, LC_ALL: "C", SYSTEMD_PAGER: "" },
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FaztError("unavailable", `\`${command}\` is not installed here (${provides}).`);
    }
    throw err;
  }
}

/** Runs a command that must succeed. */
async function must(command: string, args: string[], provides: string): Promise<string> {
  const ran = await run(command, args, provides);
  if (ran.code !== 0) {
    throw new FaztError(
      "unavailable",
      `\`${command} ${args.join(" ")}\` failed: ${(ran.stderr || ran.stdout).trim()}`,
    );
  }
  return ran.stdout;
}

/** True when systemd runs this machine (its own test, `sd_booted`). */
export async function systemdRunning(): Promise<boolean> {
  return (await Deno.stat("/run/systemd/system").catch(() => null))?.isDirectory === true;
}

function requireLinux(): void {
  if (Deno.build.os !== "linux") {
    throw new FaztError(
      "not_implemented",
      "`fazt service` manages a systemd service, which only Linux has. Run `fazt serve` under your system's own service manager.",
    );
  }
}

async function requireSystemd(): Promise<void> {
  requireLinux();
  if (!(await systemdRunning())) {
    throw new FaztError(
      "unavailable",
      "systemd is not running on this machine (no /run/systemd/system), so there is no service to manage. Run `fazt serve` directly, or under the service manager this machine uses.",
    );
  }
}

/** The user running this command is root (fazt may not read its own uid: `id` says). */
async function requireRoot(what: string): Promise<void> {
  const uid = (await must("id", ["-u"], "coreutils")).trim();
  if (uid !== "0") {
    throw new FaztError("forbidden", `${what} changes the system: run it as root (sudo ${what}).`);
  }
}

/** A user's uid and gid from `/etc/passwd`, or null when there is no such user. */
async function lookupUser(user: string): Promise<{ uid: number; gid: number } | null> {
  const passwd = await Deno.readTextFile("/etc/passwd").catch(() => "");
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/** Writes `data` to `path` through a temporary file and a rename (never half a file). */
async function writeAtomic(path: string, data: Uint8Array, mode: number): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.fazt-tmp-${Deno.pid}`;
  try {
    await Deno.writeFile(tmp, data, { mode });
    await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all(
    [Deno.realPath(a), Deno.realPath(b)].map((p) => p.catch(() => "")),
  );
  return x !== "" && x === y;
}

/** Checks that `binary` is a fazt executable: it answers `--version` with `fazt <version>`. */
async function checkBinary(binary: string): Promise<string> {
  const info = await Deno.stat(binary).catch(() => null);
  if (!info?.isFile) {
    throw new FaztError("invalid_input", `--binary: no file at "${binary}".`);
  }
  const ran = await run(binary, ["--version"], "the fazt binary").catch(() => null);
  const version = ran?.code === 0 ? /^fazt (\S+)$/m.exec(ran.stdout)?.[1] : undefined;
  if (!version) {
    throw new FaztError(
      "invalid_input",
      `"${binary}" is not a fazt executable (\`${binary} --version\` does not answer "fazt <version>").`,
    );
  }
  return version;
}

/** What {@linkcode installService} does. */
export interface InstallOptions extends Omit<UnitOptions, "binary"> {
  /** The fazt executable to install (copied to {@linkcode INSTALLED_BINARY} unless it is that file). */
  source: string;
  /** Write every file under this folder and change nothing else; absent: the real system. */
  root?: string;
}

/** Installs fazt as a systemd service; returns lines that say what was done. */
export async function installService(options: InstallOptions): Promise<string[]> {
  checkDataDir(options.dataDir);
  checkUserName(options.user);
  const root = options.root;
  const at = (path: string) => root ? join(root, path) : path;
  const done: string[] = [];
  if (!root) {
    requireLinux();
    await requireRoot("fazt service install");
  }
  const version = await checkBinary(options.source);

  const binary = at(INSTALLED_BINARY);
  if (await sameFile(options.source, binary)) {
    done.push(`binary   ${INSTALLED_BINARY} (fazt ${version}, already in place)`);
  } else {
    await writeAtomic(binary, await Deno.readFile(options.source), 0o755);
    done.push(`binary   ${INSTALLED_BINARY} (fazt ${version}, copied from ${options.source})`);
  }

  let owner: { uid: number; gid: number } | null = null;
  if (root) {
    done.push(`user     ${options.user} (not checked or created: --root)`);
  } else {
    owner = await lookupUser(options.user);
    if (owner) done.push(`user     ${options.user} (exists)`);
    else {
      await must("useradd", [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        options.dataDir,
        "--shell",
        "/usr/sbin/nologin",
        "--comment",
        "fazt personal cloud",
        options.user,
      ], "the passwd package");
      owner = await lookupUser(options.user);
      if (!owner) throw new FaztError("internal", `useradd did not create "${options.user}".`);
      done.push(`user     ${options.user} (created, a system user with no login)`);
    }
  }

  const data = at(options.dataDir);
  await Deno.mkdir(data, { recursive: true });
  await Deno.chmod(data, 0o700);
  if (owner) {
    // Data from an earlier `fazt serve` run as root must become the service's.
    await must("chown", ["-R", "--", `${owner.uid}:${owner.gid}`, data], "coreutils");
    done.push(`data     ${options.dataDir} (owned by ${options.user}, mode 700)`);
  } else done.push(`data     ${options.dataDir}`);

  const unit = systemdUnit({ ...options, binary: INSTALLED_BINARY, version });
  const unitPath = join(UNIT_DIR, SERVICE_NAME);
  await writeAtomic(at(unitPath), new TextEncoder().encode(unit), 0o644);
  done.push(`unit     ${unitPath}`);

  if (root) {
    done.push(`Written under ${root}; nothing was enabled or started (--root).`);
  } else if (!(await systemdRunning())) {
    done.push(
      "The unit is written but not enabled: systemd is not running on this machine. Once it is: systemctl enable --now fazt",
    );
  } else {
    await must("systemctl", ["daemon-reload"], "systemd");
    await must("systemctl", ["enable", SERVICE_NAME], "systemd");
    await must("systemctl", ["restart", SERVICE_NAME], "systemd");
    done.push(
      "Enabled and started. `fazt service status` shows it; `fazt service logs` shows its log, with the one-time setup link on its first start.",
    );
  }
  return done;
}

/** Removes the service (the data folder, the user and the binary stay); returns what was done. */
export async function uninstallService(root?: string): Promise<string[]> {
  const unitPath = join(UNIT_DIR, SERVICE_NAME);
  const done: string[] = [];
  const running = !root && await systemdRunning();
  if (!root) {
    requireLinux();
    await requireRoot("fazt service uninstall");
    if (running) {
      // Stopping a unit that is not loaded fails; that is fine here.
      await run("systemctl", ["disable", "--now", SERVICE_NAME], "systemd");
      done.push(`stopped and disabled ${SERVICE_NAME}`);
    } else done.push("systemd is not running on this machine: nothing to stop");
  }
  const file = root ? join(root, unitPath) : unitPath;
  try {
    await Deno.remove(file);
    done.push(`removed ${unitPath}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    if (root) {
      throw new FaztError("not_found", `No fazt service is installed (no ${file}).`);
    }
    done.push(`${unitPath} was not there`);
  }
  if (running) await must("systemctl", ["daemon-reload"], "systemd");
  done.push(
    `The data folder, the service user and ${INSTALLED_BINARY} stay; remove them yourself if you no longer want them.`,
  );
  return done;
}

/** Runs `command` with the terminal's own output (status and logs print as systemd prints them). */
async function passThrough(command: string, args: string[], provides: string): Promise<number> {
  try {
    const status = await new Deno.Command(command, {
      args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.code;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FaztError("unavailable", `\`${command}\` is not installed here (${provides}).`);
    }
    throw err;
  }
}

/** `systemctl status fazt.service`; returns its exit code (3: not running). */
export async function serviceStatus(): Promise<number> {
  await requireSystemd();
  return await passThrough("systemctl", ["status", "--no-pager", SERVICE_NAME], "systemd");
}

/** `journalctl -u fazt.service`: the last `lines`, and with `follow` everything after. */
export async function serviceLogs(lines: number, follow: boolean): Promise<number> {
  await requireSystemd();
  return await passThrough("journalctl", [
    "--unit",
    SERVICE_NAME,
    "--no-pager",
    "--lines",
    String(lines),
    ...(follow ? ["--follow"] : []),
  ], "systemd's journal");
}
