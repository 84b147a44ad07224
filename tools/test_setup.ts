/**
 * The first step of `deno task test`: checks for every external program the
 * suite runs. When some are missing it installs them with apt-get if it can
 * (root on a Debian-like system), else it fails at once naming the one
 * command that fixes it, so the suite never fails an hour in for a missing
 * Chromium.
 *
 * @module
 */
import { delimiter, isAbsolute, join } from "node:path";

/** An external program the suite runs, and the Debian package that provides it. */
export interface Requirement {
  /** A command looked up on the PATH, or an absolute path. */
  tool: string;
  /** The Debian package. */
  pkg: string;
  /** What needs it, for the message. */
  why: string;
}

/** Every external program the test suite needs. */
export const REQUIREMENTS: readonly Requirement[] = [
  { tool: "zip", pkg: "zip", why: "the app archive tests compare with Info-ZIP" },
  { tool: "/usr/bin/chromium", pkg: "chromium", why: "the dashboard tests drive it" },
  { tool: "pebble", pkg: "pebble", why: "a real ACME CA for the HTTPS tests" },
  { tool: "pebble-challtestsrv", pkg: "pebble", why: "pebble's DNS for the HTTPS tests" },
  { tool: "openssl", pkg: "openssl", why: "test certificates" },
  { tool: "curl", pkg: "curl", why: "a TLS client and the README walk" },
  { tool: "cc", pkg: "gcc", why: "the HTTPS benchmark's TLS client shim" },
  { tool: "caddy", pkg: "caddy", why: "the HTTPS benchmark's reference" },
  { tool: "nginx", pkg: "nginx", why: "the benchmarks' reference" },
  { tool: "wrk", pkg: "wrk", why: "the benchmarks' load generator" },
  { tool: "systemd-analyze", pkg: "systemd", why: "checks the unit of `fazt service install`" },
];

/** Whether a command is on the PATH (or, given as an absolute path, is executable). */
export function hasTool(tool: string, path: string): boolean {
  const candidates = isAbsolute(tool)
    ? [tool]
    : path.split(delimiter).filter(Boolean).map((dir) => join(dir, tool));
  return candidates.some((file) => {
    try {
      const info = Deno.statSync(file);
      return info.isFile && info.mode !== null && (info.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/** The requirements a machine lacks. */
export function missing(has: (tool: string) => boolean): Requirement[] {
  return REQUIREMENTS.filter((r) => !has(r.tool));
}

/** The packages for some requirements, each once, in order. */
export function packagesOf(reqs: readonly Requirement[]): string[] {
  return [...new Set(reqs.map((r) => r.pkg))];
}

/** What to do about missing programs. */
export type SetupPlan =
  | { action: "none" }
  | { action: "install"; packages: string[] }
  | { action: "fail"; message: string };

/** The facts {@linkcode plan} decides on. */
export interface Machine {
  /** Whether a program is there. */
  has: (tool: string) => boolean;
  /** Whether this process runs as root. */
  root: boolean;
}

/** The message naming the one command that installs the packages. */
export function failMessage(lacking: readonly Requirement[], machine: Machine): string {
  const packages = packagesOf(lacking);
  const list = lacking.map((r) => `  ${r.tool} (${r.pkg}): ${r.why}`).join("\n");
  const fix = machine.has("apt-get")
    ? `Install them with:\n  ${machine.root ? "" : "sudo "}apt-get install -y ${packages.join(" ")}`
    : `Install these packages with your system's package manager: ${packages.join(" ")}`;
  return `The test suite needs programs this machine lacks:\n${list}\n${fix}\n` +
    "then run `deno task test` again.";
}

/** Decides: nothing to do, install with apt-get (root on Debian), or fail with the fix. */
export function plan(machine: Machine): SetupPlan {
  const lacking = missing(machine.has);
  if (lacking.length === 0) return { action: "none" };
  if (machine.root && machine.has("apt-get")) {
    return { action: "install", packages: packagesOf(lacking) };
  }
  return { action: "fail", message: failMessage(lacking, machine) };
}

/** Runs one apt-get command (its errors go to stderr); true when it succeeded. */
async function aptGet(args: string[]): Promise<boolean> {
  const out = await new Deno.Command("apt-get", {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).output();
  return out.success;
}

if (import.meta.main) {
  const machine = (): Machine => {
    const path = Deno.env.get("PATH") ?? "";
    return { has: (tool) => hasTool(tool, path), root: Deno.uid() === 0 };
  };
  const first = plan(machine());
  if (first.action === "install") {
    console.error(
      `Installing what the test suite needs: apt-get install -y ${first.packages.join(" ")}`,
    );
    await aptGet(["update", "-qq"]) && await aptGet(["install", "-y", "-qq", ...first.packages]);
    const lacking = missing(machine().has);
    if (lacking.length > 0) {
      console.error(`apt-get could not install them.\n${failMessage(lacking, machine())}`);
      Deno.exit(1);
    }
  } else if (first.action === "fail") {
    console.error(first.message);
    Deno.exit(1);
  }
}
