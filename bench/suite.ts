/**
 * What the benchmark suites share: the run's settings (from the
 * environment), the context a suite runs in (temp folder, child processes
 * to clean up, abort signal, log), and small helpers for load averages,
 * machine facts and showing commands.
 *
 * @module
 */
import type { Child } from "./process.ts";
import { commandText } from "./process.ts";
import { shellQuote } from "./wrk.ts";

/** The suites `deno task bench` can run, in the order they run. */
export const SUITES = ["static", "runtime", "data", "https"] as const;

/** One benchmark suite. */
export type SuiteName = typeof SUITES[number];

/** Load settings shared by the suites. */
export interface LoadSettings {
  /** wrk `-d` of each measurement, e.g. `5s`. */
  duration: string;
  /** wrk `-d` of the warm-up before each measurement. */
  warmup: string;
  /** How often each measurement is repeated (interleaved rounds). */
  rounds: number;
}

/** The machine a run happened on. */
export interface MachineInfo {
  /** CPUs (`nproc`). */
  nproc: number;
  /** The first CPU's model name. */
  cpuModel: string;
  /** Total memory in bytes. */
  memTotalBytes: number;
  /** OS, kernel release and architecture. */
  kernel: string;
}

/** Everything a suite needs from the run. */
export interface SuiteContext {
  /** Path of the wrk executable. */
  wrk: string;
  /** A temp folder for this suite (removed at the end of the run). */
  tmp: string;
  /** Load settings. */
  load: LoadSettings;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Prints a progress line to stderr. */
  log(message: string): void;
  /** Registers a child process so it is stopped at the end of the run, also on failure. */
  track(child: Child): Child;
}

/** Reads a wrk duration like `5s` from the environment. */
export function durationSetting(name: string, fallback: string): string {
  const value = Deno.env.get(name) ?? fallback;
  if (!/^\d+(\.\d+)?(s|m|h)?$/.test(value)) {
    throw new Error(`${name} must be a wrk duration like 5s or 1m (got "${value}").`);
  }
  return value;
}

/** Reads a whole number from 1 to 100 from the environment. */
export function roundsSetting(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 100) {
    throw new Error(`${name} must be a whole number from 1 to 100 (got "${raw}").`);
  }
  return value;
}

/** Reads `BENCH_SUITES` (comma-separated; default: every suite). */
export function suitesSetting(name = "BENCH_SUITES"): SuiteName[] {
  const raw = (Deno.env.get(name) ?? "").trim();
  if (raw === "") return [...SUITES];
  const wanted = raw.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const s of wanted) {
    if (!(SUITES as readonly string[]).includes(s)) {
      throw new Error(`${name} lists unknown suite "${s}"; use a list of ${SUITES.join(", ")}.`);
    }
  }
  return SUITES.filter((s) => wanted.includes(s));
}

/** A command line as it would be typed in a shell. */
export function display(cmd: readonly string[]): string {
  return cmd.map(shellQuote).join(" ");
}

/** The 1/5/15-minute load averages as `uptime` prints them, else from /proc/loadavg. */
export async function loadAverage(): Promise<string> {
  const uptime = (await commandText("uptime", [])).match(/load averages?:\s*(.+)$/m);
  if (uptime) return uptime[1].trim();
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(", ") || "unknown";
}

/** CPUs, CPU model, memory and kernel of this machine. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const nproc = Number(await commandText("nproc", [])) || navigator.hardwareConcurrency;
  return {
    nproc,
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? "unknown",
    memTotalBytes: Number(meminfo.match(/^MemTotal:\s+(\d+) kB/m)?.[1] ?? 0) * 1024,
    kernel: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
  };
}

/** Deno's version line, as the reports show it. */
export function denoVersion(): string {
  return `${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`;
}

/** wrk's version line without the copyright. */
export async function wrkVersion(wrk: string): Promise<string> {
  return (await commandText(wrk, ["-v"])).split("\n")[0].replace(/\s*Copyright.*$/, "");
}

/** Throws when any of `children` has exited (a server died under load). */
export function assertAlive(children: readonly Child[]): void {
  for (const c of children) {
    if (c.exited()) throw new Error(`${c.name} exited during the run:\n${c.output()}`);
  }
}
