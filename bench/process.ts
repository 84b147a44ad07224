/**
 * Child-process plumbing for the benchmark: finding executables on PATH,
 * spawning servers with captured output, waiting for a port to answer,
 * stopping them (with their children) and reading memory from /proc.
 *
 * @module
 */
import { join } from "node:path";

/** A spawned child whose output is being collected. */
export interface Child {
  /** A short name for messages. */
  name: string;
  /** The process. */
  process: Deno.ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** Stops the process (SIGTERM, then SIGKILL for it and its children). */
  stop(): Promise<void>;
}

/** Returns the absolute path of `name` on PATH (plus the sbin folders), or undefined. */
export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  for (const extra of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      const info = await Deno.stat(path);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Spawns `command` and collects its stdout and stderr. */
export function spawnChild(name: string, command: Deno.Command): Child {
  const proc = command.spawn();
  let text = "";
  let done = false;
  const dec = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]).catch(() => {});
  const status = proc.status.then((s) => {
    done = true;
    return s;
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    process: proc,
    output: () => text,
    exited: () => done,
    stop() {
      stopping ??= (async () => {
        if (!done) {
          // Remember the children (e.g. nginx workers) with their start times,
          // so that only those very processes are killed if they outlive the parent.
          const children = childPids(proc.pid).map((pid) => ({ pid, start: startTime(pid) }));
          signal(proc.pid, "SIGTERM");
          let timeout: ReturnType<typeof setTimeout> | undefined;
          const timer = new Promise<"timeout">((r) => {
            timeout = setTimeout(() => r("timeout"), 5_000);
          });
          const first = await Promise.race([status, timer]);
          clearTimeout(timeout);
          if (first === "timeout") signal(proc.pid, "SIGKILL");
          await status;
          for (const c of children) {
            if (c.start !== undefined && startTime(c.pid) === c.start) signal(c.pid, "SIGKILL");
          }
        }
        await status;
        await pumps;
      })();
      return stopping;
    },
  };
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The direct children of `pid` (Linux /proc), or none when unknown. */
export function childPids(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Waits until `pattern` appears in the child's output and returns the first capture. */
export async function waitForOutput(
  child: Child,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const m = child.output().match(pattern);
    if (m) return m[1] ?? m[0];
    if (child.exited()) {
      throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${child.name} was not ready after ${timeoutMs} ms:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(child: Child, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (child.exited()) {
        throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`${child.name} did not listen on port ${port}:\n${child.output()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The start time of `pid` (field 22 of /proc/<pid>/stat), or undefined when it is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces; count fields after its closing paren.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** A currently free TCP port on 127.0.0.1 (released before returning). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Memory of a process from /proc/<pid>/status, in bytes. */
export interface ProcessMemory {
  /** Resident set size now (VmRSS). */
  rss: number;
  /** Peak resident set size (VmHWM). */
  peakRss: number;
}

/** Reads VmRSS and VmHWM of `pid`. */
export function processMemory(pid: number): ProcessMemory {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string): number => {
    const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    if (!m) throw new Error(`No ${field} in /proc/${pid}/status.`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb("VmRSS"), peakRss: kb("VmHWM") };
}

/** Runs a command to completion and returns its stdout + stderr (never throws on exit code). */
export async function commandText(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const dec = new TextDecoder();
    return (dec.decode(out.stdout) + dec.decode(out.stderr)).trim();
  } catch (err) {
    return `unavailable (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** Scheduling facts of a process from /proc/<pid>/stat. */
export interface ProcessStat {
  /** The parent's process ID. */
  ppid: number;
  /** CPU time used so far, user + system, in clock ticks. */
  cpuTicks: number;
  /** When it started, in clock ticks after boot. */
  startTicks: number;
}

/** Reads /proc/<pid>/stat, or undefined when the process is gone. */
export function processStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // Fields after the command name (field 2, which may hold spaces): index 0 is field 3.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    ppid: Number(f[1]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTicks: Number(f[19]),
  };
}

/**
 * Every live process whose parent is `pid`, found by scanning the ppid of
 * each /proc/<n>/stat (this also finds children forked by any thread of
 * `pid`, which /proc/<pid>/task/<pid>/children would miss), oldest first.
 */
export function childProcesses(pid: number): { pid: number; startTicks: number }[] {
  const out: { pid: number; startTicks: number }[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const child = Number(entry.name);
    const stat = processStat(child);
    if (stat && stat.ppid === pid) out.push({ pid: child, startTicks: stat.startTicks });
  }
  return out.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
}

/**
 * True when `pid` is a sandbox process: a deno process that is not an app
 * SQL process (the kernel's `/proc` helpers are awk and sh). A sandbox
 * renames itself to `deno` before app code loads, so its command line
 * alone does not tell.
 */
export function isSandboxProcess(pid: number): boolean {
  try {
    const exe = Deno.readLinkSync(`/proc/${pid}/exe`);
    const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    const sql = args.some((a) => a.endsWith("sql_process_main.ts") || a === "__sql");
    return /\/deno[^/]*$/.test(exe) && !sql;
  } catch {
    return false;
  }
}

/**
 * Proportional set size of `pid` in bytes (/proc/<pid>/smaps_rollup: pages
 * shared with other processes, like the deno executable's, are divided
 * among them), or undefined when the kernel does not offer it.
 */
export function processPss(pid: number): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const m = text.match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident ranges of `pid` (start and end address) from /proc/<pid>/smaps: mappings with Rss > 0. */
function residentRanges(pid: number): [number, number][] {
  const ranges: [number, number][] = [];
  let current: [number, number] | undefined;
  for (const line of Deno.readTextFileSync(`/proc/${pid}/smaps`).split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head) {
      current = [parseInt(head[1], 16), parseInt(head[2], 16)];
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current && Number(rss[1]) > 0) ranges.push(current);
  }
  return ranges;
}

/**
 * Adds the physical frame numbers of every resident page of `pid` to
 * `frames` (from /proc/<pid>/pagemap). Returns false when the frame numbers
 * are hidden (reading them needs CAP_SYS_ADMIN, i.e. root) or the process
 * is gone.
 */
function addFrames(pid: number, frames: Set<number>): boolean {
  const PAGE = 4096;
  const CHUNK = 65_536; // pagemap entries (8 bytes each) read at once
  const buf = new Uint8Array(CHUNK * 8);
  const words = new Uint32Array(buf.buffer);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(`/proc/${pid}/pagemap`);
  } catch {
    return false;
  }
  try {
    for (const [start, end] of residentRanges(pid)) {
      for (let page = start / PAGE; page < end / PAGE; page += CHUNK) {
        const count = Math.min(CHUNK, end / PAGE - page);
        file.seekSync(page * 8, Deno.SeekMode.Start);
        let got = 0;
        while (got < count * 8) {
          const n = file.readSync(buf.subarray(got, count * 8));
          if (n === null || n === 0) break;
          got += n;
        }
        for (let i = 0; i < got / 8; i++) {
          const high = words[i * 2 + 1];
          if ((high & 0x80000000) === 0) continue; // not present
          const frame = (high & 0x7fffff) * 2 ** 32 + words[i * 2]; // bits 0-54
          if (frame === 0) return false; // hidden without CAP_SYS_ADMIN
          frames.add(frame);
        }
      }
    }
    return true;
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * The memory a set of processes occupies together, in bytes: their resident
 * pages with every physical page counted once, however many of them map it
 * (the deno executable's code, mapped by all of them, counts once). Unlike
 * summed RSS it does not count shared pages once per process; unlike summed
 * PSS it does not hand part of a shared page to processes outside the set
 * (such as the benchmark's own deno). Undefined when frame numbers cannot
 * be read (not root) or a process is gone.
 */
export function uniqueResidentBytes(pids: number[]): number | undefined {
  const frames = new Set<number>();
  for (const pid of pids) {
    if (!addFrames(pid, frames)) return undefined;
  }
  return frames.size * 4096;
}

/**
 * Private memory of `pid` in bytes (USS: Private_Clean + Private_Dirty of
 * /proc/<pid>/smaps_rollup), what its exit would give back, or undefined
 * when the kernel does not offer it.
 */
export function processPrivate(pid: number): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const clean = text.match(/^Private_Clean:\s+(\d+) kB/m);
    const dirty = text.match(/^Private_Dirty:\s+(\d+) kB/m);
    return clean && dirty ? (Number(clean[1]) + Number(dirty[1])) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until `pid` has used no CPU for `quietMs` (so a process that was
 * just started has finished booting and waits for input). Throws when it
 * exits or stays busy past `timeoutMs`.
 */
export async function waitForQuiet(pid: number, quietMs = 300, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = processStat(pid);
  let since = Date.now();
  while (true) {
    await new Promise((r) => setTimeout(r, 50));
    const now = processStat(pid);
    if (!now || !last) throw new Error(`process ${pid} exited while waiting for it to idle`);
    if (now.cpuTicks !== last.cpuTicks) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    if (Date.now() > deadline) {
      throw new Error(`process ${pid} was still busy after ${timeoutMs} ms`);
    }
  }
}
