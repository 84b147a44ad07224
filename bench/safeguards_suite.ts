/**
 * `deno task bench:safeguards`: what the circuit breakers buy on this
 * machine, measured on real `fazt serve` processes.
 *
 * - **Cockpit under a flood**: p50/p99 of `GET /_fazt/api/system/status`
 *   (owner token) and `GET /_fazt/` (the dashboard page), sequential
 *   requests, first idle, then while `wrk -t2 -c64` floods a static app and
 *   then an `/api` app on the same server; then, with fazt's processes
 *   pinned to one CPU (`taskset`, a 1-vCPU box), idle again and while 8
 *   connections keep an app that burns 50 ms of CPU per request busy.
 *   Target: p99 under a flood at most 3× the idle p99 (of the same CPU
 *   setting), and no failed cockpit request.
 * - **Memory**: the kernel and every process below it (sandboxes and their
 *   children, found by scanning the ppid of /proc/\*\/stat), on a fresh
 *   server with no apps (target ≤ 80 MB in all) and with 50 `api/main.js`
 *   apps deployed, 10 of them warm (target ≤ 400 MB in all). "In all" is
 *   the tree's resident pages with each physical page counted once (from
 *   /proc/<pid>/pagemap, which needs root; summed PSS otherwise); summed
 *   RSS and PSS are reported next to it.
 *
 * Writes the "Safeguards" section of `docs/BENCHMARKS.md` between
 * `<!-- bench:safeguards -->` and `<!-- /bench:safeguards -->` (appended when
 * missing; the rest of the file is kept byte for byte), formats the file and
 * prints the section.
 *
 * Settings: `BENCH_SG_SAMPLES` (requests per cockpit endpoint and phase,
 * default 500; with fewer, p99 is one of the few slowest samples), `BENCH_SG_FLOOD` (wrk `-d` of each flood, default `10s`; the
 * measurement stops when the flood does).
 *
 * @module
 */
import { join } from "node:path";
import { FAZT_FLAGS, ROOT, startServer, type TestServer } from "../tests/_helpers/server.ts";
import {
  findExecutable,
  processPrivate,
  processPss,
  processStat,
  uniqueResidentBytes,
} from "./process.ts";
import { runWrk, wrkArgs, type WrkOptions, type WrkResult } from "./wrk.ts";
import {
  denoVersion,
  display,
  loadAverage,
  type MachineInfo,
  machineInfo,
  wrkVersion,
} from "./suite.ts";
import { writeSection } from "./report_section.ts";

/** Where the report goes. */
export const REPORT_PATH: string = join(ROOT, "docs", "BENCHMARKS.md");

const MB = 1024 * 1024;

/** p99 under a flood may be at most this many times the idle p99. */
export const FLOOD_P99_FACTOR = 3;
/** Kernel + children RSS of a fresh server without apps. */
export const IDLE_RSS_TARGET = 80 * MB;
/** Kernel + children RSS with 50 apps, 10 warm. */
export const LOADED_RSS_TARGET = 400 * MB;

/** wrk's load parameters during a flood. */
const FLOOD = { threads: 2, connections: 64 } as const;

/** A hello handler, as the 50 apps and the flooded `/api` app run it. */
const HELLO = `export default (req) => ({ hello: new URL(req.url).hostname });\n`;

/** A handler that burns 50 ms of CPU per request. */
const BURN =
  `export default () => { const end = Date.now() + 50; while (Date.now() < end) {} return "burnt"; };\n`;

/** wrk's load on the CPU-burning app: 8 requests at a time keep its sandbox busy. */
const BURN_LOAD = { threads: 1, connections: 8 } as const;

// ---------------------------------------------------------------------------
// Measurements

/** Latency summary of one endpoint in one phase, in ms. */
export interface Latency {
  /** Requests that answered 200. */
  n: number;
  /** Requests that failed or answered another status. */
  errors: number;
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Largest. */
  max: number;
}

/** Summarises samples (ms). */
export function summarize(samples: number[], errors: number): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0
      ? NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    n: sorted.length,
    errors,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
  };
}

/** One phase of the cockpit measurement. */
export interface Phase {
  /** `idle`, or what was flooded. */
  name: string;
  /** Index of the idle phase a flood is compared with (null for an idle phase). */
  reference: number | null;
  /** `GET /_fazt/api/system/status`. */
  status: Latency;
  /** `GET /_fazt/`. */
  page: Latency;
  /** What wrk measured on the flooded app (none when idle). */
  flood: WrkResult | null;
  /** The wrk command line (none when idle). */
  command: string | null;
  /**
   * What the flooded app answered 20 sequential probe requests sent after the
   * cockpit measurement, while the flood still ran: `status → count`, and the
   * first error body.
   */
  probe: { statuses: Record<string, number>; firstError: string | null } | null;
  /** 1/5/15-minute load averages before and after the phase. */
  load: [string, string];
}

/** Memory of one process. */
export interface ProcessMemoryRow {
  /** Its ID. */
  pid: number;
  /** `kernel`, or the child's command name. */
  role: string;
  /** VmRSS in bytes. */
  rss: number;
  /** PSS in bytes, when the kernel offers smaps_rollup. */
  pss: number | undefined;
  /** Private memory (USS) in bytes, when the kernel offers smaps_rollup. */
  private: number | undefined;
}

/** Memory of the kernel and everything below it. */
export interface TreeMemory {
  /** What ran. */
  label: string;
  /** Every process, kernel first. */
  processes: ProcessMemoryRow[];
  /** Summed RSS. */
  rss: number;
  /** Summed PSS (undefined when unavailable). */
  pss: number | undefined;
  /** Every physical page resident in any of the processes, counted once (undefined without root). */
  unique: number | undefined;
  /** Warm sandboxes the kernel reported. */
  warm: number;
  /** Whether a spare sandbox was ready. */
  spare: boolean;
}

/** Everything the section shows. */
export interface SafeguardsReport {
  /** When the run started. */
  date: string;
  /** Wall-clock seconds of the run. */
  elapsedSeconds: number;
  /** The machine. */
  machine: MachineInfo;
  /** Deno's version line. */
  deno: string;
  /** wrk's version line. */
  wrk: string;
  /** The command that starts each server. */
  serveCommand: string;
  /** Cockpit requests per endpoint and phase. */
  samples: number;
  /** Cockpit phases: idle, static flood, api flood. */
  phases: Phase[];
  /** Fresh server, no apps. */
  idleMemory: TreeMemory;
  /** 50 apps, 10 warm. */
  loadedMemory: TreeMemory;
  /** Load averages at the start and the end. */
  load: [string, string];
}

function envInt(name: string, fallback: number): number {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : fallback;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Deploys files inline (`apps.deploy_files`) and expects success. */
async function deployFiles(
  server: TestServer,
  app: string,
  files: Record<string, string>,
): Promise<void> {
  const res = await server.api("POST", `/apps/${app}/deploy-files`, {
    files: Object.fromEntries(Object.entries(files).map(([k, text]) => [k, { text }])),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`deploying ${app} answered ${res.status}: ${body}`);
}

/** Sends `GET path` to the server and returns the latency, or null on a failure. */
async function timed(url: string, headers: Record<string, string>): Promise<number | null> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    return res.status === 200 ? ms : null;
  } catch {
    return null;
  }
}

/**
 * Interleaves `samples` requests to each cockpit endpoint, one at a time,
 * stopping early when `until` says so (the flood ended).
 */
async function measureCockpit(
  server: TestServer,
  samples: number,
  until: () => boolean = () => false,
): Promise<{ status: Latency; page: Latency }> {
  const auth = { authorization: `Bearer ${server.token}` };
  const status: number[] = [];
  const page: number[] = [];
  let statusErrors = 0;
  let pageErrors = 0;
  for (let i = 0; i < samples && !until(); i++) {
    const s = await timed(`${server.url}/_fazt/api/system/status`, auth);
    if (s === null) statusErrors++;
    else status.push(s);
    const p = await timed(`${server.url}/_fazt/`, {});
    if (p === null) pageErrors++;
    else page.push(p);
  }
  return { status: summarize(status, statusErrors), page: summarize(page, pageErrors) };
}

/** Runs wrk against `host` and measures the cockpit while it runs. */
async function floodPhase(
  wrk: string,
  server: TestServer,
  flood: { name: string; host: string; path: string; reference: number },
  load: { threads: number; connections: number },
  duration: string,
  samples: number,
): Promise<Phase> {
  const { name, host, path, reference } = flood;
  const before = await loadAverage();
  const options: WrkOptions = { url: `${server.url}${path}`, ...load, duration, host };
  let done = false;
  const running = runWrk(wrk, options).finally(() => done = true);
  await sleep(1000); // let the flood reach full pressure
  const cockpit = await measureCockpit(server, samples, () => done);
  const probe = { statuses: {} as Record<string, number>, firstError: null as string | null };
  for (let i = 0; i < 20 && !done; i++) {
    const res = await server.fetch(host, path);
    const text = await res.text();
    probe.statuses[res.status] = (probe.statuses[res.status] ?? 0) + 1;
    if (res.status !== 200) probe.firstError ??= `${res.status} ${text.slice(0, 300)}`;
  }
  const result = await running;
  return {
    name,
    reference,
    ...cockpit,
    probe,
    flood: result,
    command: display(["wrk", ...wrkArgs(options)]),
    load: [before, await loadAverage()],
  };
}

/** Measures the cockpit with nothing else running. */
async function idlePhase(server: TestServer, name: string, samples: number): Promise<Phase> {
  const before = await loadAverage();
  const cockpit = await measureCockpit(server, samples);
  return {
    name,
    reference: null,
    ...cockpit,
    flood: null,
    command: null,
    probe: null,
    load: [before, await loadAverage()],
  };
}

/** Runs `taskset -a -p -c <cpus> <pid>`: every thread of `pid` may only run on `cpus`. */
async function pin(taskset: string, pid: number, cpus: string): Promise<void> {
  const out = await new Deno.Command(taskset, {
    args: ["-a", "-p", "-c", cpus, String(pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`taskset could not pin ${pid}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Pins the process `pid` and every process below it to CPU 0 (processes it
 * starts later inherit that), and this benchmark (with the wrk it starts
 * from now on) to the other CPUs.
 */
async function pinToOneCpu(taskset: string, pid: number): Promise<void> {
  for (const p of [pid, ...descendants(pid)]) await pin(taskset, p, "0");
  const cpus = navigator.hardwareConcurrency;
  if (cpus > 1) await pin(taskset, Deno.pid, `1-${cpus - 1}`);
}

/** Every process below `pid`, at any depth (one scan of /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = processStat(Number(entry.name));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry.name));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function commOf(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "?";
  }
}

/** Waits until the kernel and its children used no CPU for `quietMs` (at most `timeoutMs`). */
async function settle(pid: number, quietMs = 1000, timeoutMs = 15_000): Promise<void> {
  const ticks = () =>
    [pid, ...descendants(pid)].reduce((n, p) => n + (processStat(p)?.cpuTicks ?? 0), 0);
  const deadline = Date.now() + timeoutMs;
  let last = ticks();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const now = ticks();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

interface StatusView {
  runtime: { warm: number; spare: boolean };
}

async function runtimeView(server: TestServer): Promise<StatusView["runtime"]> {
  const res = await server.api("GET", "/system/status");
  if (res.status !== 200) throw new Error(`system/status answered ${res.status}`);
  return ((await res.json()) as StatusView).runtime;
}

/** Measures the kernel and every process below it. */
async function treeMemory(server: TestServer, label: string): Promise<TreeMemory> {
  const pid = server.process.pid;
  const runtime = await runtimeView(server);
  const processes: ProcessMemoryRow[] = [];
  for (const p of [pid, ...descendants(pid)]) {
    const rss = rssOf(p);
    if (rss === undefined) continue; // exited meanwhile
    processes.push({
      pid: p,
      role: p === pid ? "kernel" : commOf(p),
      rss,
      pss: processPss(p),
      private: processPrivate(p),
    });
  }
  const pssKnown = processes.every((p) => p.pss !== undefined);
  return {
    label,
    processes,
    rss: processes.reduce((n, p) => n + p.rss, 0),
    pss: pssKnown ? processes.reduce((n, p) => n + p.pss!, 0) : undefined,
    unique: uniqueResidentBytes(processes.map((p) => p.pid)),
    warm: runtime.warm,
    spare: runtime.spare,
  };
}

/** Waits until the server reports a spare sandbox (servers start one ahead). */
async function waitForSpare(server: TestServer, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await runtimeView(server)).spare && Date.now() < deadline) await sleep(100);
}

/** Runs the whole benchmark. */
export async function runSafeguardsBench(
  log: (msg: string) => void = (m) => console.error(`bench:safeguards: ${m}`),
): Promise<SafeguardsReport> {
  const wrk = await findExecutable("wrk");
  if (!wrk) {
    throw new Error(
      "wrk is not installed; the benchmark needs it to flood an app.\n" +
        "Install it with: apt-get install wrk   (Debian/Ubuntu; or build it from https://github.com/wg/wrk)",
    );
  }
  const samples = envInt("BENCH_SG_SAMPLES", 500);
  const duration = Deno.env.get("BENCH_SG_FLOOD") ?? "10s";
  if (!/^\d+s$/.test(duration)) throw new Error(`BENCH_SG_FLOOD must look like 10s`);
  const started = performance.now();
  const date = new Date().toISOString();
  const loadStart = await loadAverage();
  const machine = await machineInfo(); // before the one-CPU phases pin this process
  const servers: TestServer[] = [];
  try {
    // Memory first, on a fresh server, before anything else ran on it.
    log("memory: fresh server");
    const mem = await startServer();
    servers.push(mem);
    await waitForSpare(mem);
    await settle(mem.process.pid);
    const idleMemory = await treeMemory(mem, "fresh server, no apps");
    log("memory: deploying 50 apps, warming 10");
    for (let i = 1; i <= 50; i++) {
      await deployFiles(mem, `app${i}`, { "api/main.js": HELLO, "index.html": `<h1>${i}</h1>` });
    }
    for (let i = 1; i <= 10; i++) {
      const res = await mem.fetch(`app${i}.localhost`, "/api");
      const body = await res.text();
      if (res.status !== 200) throw new Error(`app${i}/api answered ${res.status}: ${body}`);
    }
    await waitForSpare(mem);
    await settle(mem.process.pid);
    const loadedMemory = await treeMemory(mem, "50 apps deployed, 10 warm");
    await mem.stop();

    log("cockpit: idle");
    const server = await startServer();
    servers.push(server);
    await deployFiles(server, "flood", { "index.html": `<h1>${"flood ".repeat(300)}</h1>` });
    await deployFiles(server, "flood-api", { "api/main.js": HELLO });
    const warmup = await server.fetch("flood-api.localhost", "/api");
    if (warmup.status !== 200) throw new Error(`flood-api answered ${warmup.status}`);
    await deployFiles(server, "burn", { "api/main.js": BURN });
    const burnt = await server.fetch("burn.localhost", "/api");
    if (burnt.status !== 200) throw new Error(`burn answered ${burnt.status}`);
    await measureCockpit(server, 50); // warm-up
    const phases: Phase[] = [await idlePhase(server, "idle", samples)];
    log("cockpit: static app flooded");
    phases.push(
      await floodPhase(
        wrk,
        server,
        { name: "static app flooded", host: "flood.localhost", path: "/", reference: 0 },
        FLOOD,
        duration,
        samples,
      ),
    );
    await sleep(1000);
    log("cockpit: /api app flooded");
    phases.push(
      await floodPhase(
        wrk,
        server,
        { name: "/api app flooded", host: "flood-api.localhost", path: "/api", reference: 0 },
        FLOOD,
        duration,
        samples,
      ),
    );
    const taskset = await findExecutable("taskset");
    if (taskset) {
      await sleep(1000);
      log("cockpit: one CPU, idle");
      await pinToOneCpu(taskset, server.process.pid);
      const oneCpu = phases.length;
      phases.push(await idlePhase(server, "one CPU: idle", samples));
      log("cockpit: one CPU, an app burning CPU");
      phases.push(
        await floodPhase(
          wrk,
          server,
          {
            name: "one CPU: app burning CPU",
            host: "burn.localhost",
            path: "/api",
            reference: oneCpu,
          },
          BURN_LOAD,
          duration,
          samples,
        ),
      );
    } else log("taskset is not installed: skipping the one-CPU phases");
    return {
      date,
      elapsedSeconds: (performance.now() - started) / 1000,
      machine,
      deno: denoVersion(),
      wrk: await wrkVersion(wrk),
      serveCommand: display([
        "deno",
        "run",
        ...FAZT_FLAGS,
        "main.ts",
        "serve",
        "--port",
        "0",
        "--data",
        "<temp folder>",
      ]),
      samples,
      phases,
      idleMemory,
      loadedMemory,
      load: [loadStart, await loadAverage()],
    };
  } finally {
    for (const s of servers) {
      await s.stop();
      await Deno.remove(s.dataDir, { recursive: true }).catch(() => {});
    }
  }
}

// ---------------------------------------------------------------------------
// The section

const ms = (x: number) => Number.isNaN(x) ? "–" : `${x.toFixed(2)} ms`;
const mib = (n: number | undefined) => n === undefined ? "n/a" : `${(n / MB).toFixed(1)} MiB`;
const verdict = (ok: boolean) => ok ? "**met**" : "**not met**";

function probeText(p: Phase): string {
  if (!p.probe) return "";
  const counts = Object.entries(p.probe.statuses).map(([status, n]) => `${n}× ${status}`);
  if (counts.length === 0) return "";
  return `Probe requests to the flooded app during the flood: ${counts.join(", ")}${
    p.probe.firstError ? ` (e.g. \`${p.probe.firstError.replaceAll("`", "'")}\`)` : ""
  }.`;
}

/** Whether a flooded phase meets the cockpit target against the idle phase. */
export function floodVerdict(idle: Phase, flooded: Phase): boolean {
  return flooded.status.errors === 0 && flooded.page.errors === 0 &&
    flooded.status.p99 <= FLOOD_P99_FACTOR * idle.status.p99 &&
    flooded.page.p99 <= FLOOD_P99_FACTOR * idle.page.p99;
}

function memoryTable(m: TreeMemory): string[] {
  const rows = m.processes.map((p) =>
    `| ${p.role === "kernel" ? "kernel" : `child: ${p.role}`} | ${p.pid} | ${mib(p.rss)} | ${
      mib(p.pss)
    } | ${mib(p.private)} |`
  );
  const privateKnown = m.processes.every((p) => p.private !== undefined);
  const privateSum = privateKnown ? m.processes.reduce((n, p) => n + p.private!, 0) : undefined;
  return [
    "| Process | PID | RSS | PSS | Private |",
    "| ------- | --: | --: | --: | ------: |",
    ...rows,
    `| sum (${m.processes.length} processes) | | ${mib(m.rss)} | ${mib(m.pss)} | ${
      mib(privateSum)
    } |`,
    `| **in all** (each physical page once) | | | | **${mib(m.unique)}** |`,
  ];
}

/**
 * The figure a memory target is judged on: every physical page of the tree
 * counted once, or summed PSS when page frames cannot be read (not root).
 */
export function judgedMemory(m: TreeMemory): { bytes: number | undefined; what: string } {
  return m.unique !== undefined
    ? { bytes: m.unique, what: "in all" }
    : { bytes: m.pss, what: "by summed PSS (page frames need root)" };
}

function memoryVerdict(m: TreeMemory, target: number): string {
  const judged = judgedMemory(m);
  return `**${mib(judged.bytes)} ${judged.what}** (summed RSS ${mib(m.rss)}, summed PSS ${
    mib(m.pss)
  }). Target ≤ ${mib(target)} in all: ${
    judged.bytes === undefined ? "n/a" : verdict(judged.bytes <= target)
  }`;
}

/** The "Safeguards" section of `docs/BENCHMARKS.md`. */
export function renderSafeguardsSection(r: SafeguardsReport): string {
  const row = (p: Phase, what: "status" | "page") => {
    const l = p[what];
    const ratio = p.reference === null
      ? "1.0×"
      : `${(l.p99 / r.phases[p.reference][what].p99).toFixed(1)}×`;
    return `| ${p.name} | ${
      what === "status" ? "`GET /_fazt/api/system/status`" : "`GET /_fazt/`"
    } | ${l.n} | ${l.errors} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.max)} | ${ratio} |`;
  };
  const floods = r.phases.filter((p) => p.reference !== null);
  const idles = r.phases.filter((p) => p.reference === null);
  const kernelIdle = r.idleMemory.processes[0];
  return [
    "## Safeguards",
    "",
    `What the circuit breakers buy (\`deno task bench:safeguards\`, bench/safeguards_suite.ts; ${
      r.elapsedSeconds.toFixed(0)
    } s). Date: ${r.date}.`,
    "",
    "### Machine",
    "",
    `- ${r.machine.nproc} CPUs (${r.machine.cpuModel}), ${
      mib(r.machine.memTotalBytes)
    } RAM, ${r.machine.kernel}; Deno ${r.deno}; ${r.wrk}.`,
    `- Load average (1/5/15 min) at the start: ${r.load[0]}; at the end: ${
      r.load[1]
    }. wrk, the server and the measuring client share the CPUs, so the 1-minute value rises during the floods; a high value at the start means other work shared the machine and the numbers are noisier.`,
    "",
    "### Commands",
    "",
    "```sh",
    "deno task bench:safeguards   # BENCH_SG_SAMPLES=500 BENCH_SG_FLOOD=10s",
    `${r.serveCommand}   # each server`,
    ...floods.map((p) => p.command ?? ""),
    "```",
    "",
    "### The cockpit while an app is flooded",
    "",
    `One server with a static app (\`flood\`), an \`/api\` hello app (\`flood-api\`) and an \`/api\` app that burns 50 ms of CPU per request (\`burn\`). The cockpit is measured one request at a time, ${r.samples} requests per endpoint and phase, the two endpoints interleaved, with Deno's \`fetch\` over a kept-alive connection: \`GET /_fazt/api/system/status\` with the owner token and \`GET /_fazt/\` (the dashboard page). First idle, then during each flood (starting 1 s into it and stopping when wrk stops). Then the kernel and every process it runs are pinned to one CPU with \`taskset\` (a 1-vCPU box; the load generator and the measuring client stay off it): idle again, then while 8 connections keep \`burn\` busy. Target: p99 during a flood ≤ ${FLOOD_P99_FACTOR}× the idle p99 of the same CPU setting, and no failed cockpit request. On this VM an idle CPU takes a while to wake up, so idle latencies are noisy and can exceed those under load.`,
    "",
    "| Phase | Endpoint | OK | Errors | p50 | p99 | max | p99 vs idle |",
    "| ----- | -------- | -: | -----: | --: | --: | --: | ----------: |",
    ...r.phases.flatMap((p) => [row(p, "status"), row(p, "page")]),
    "",
    ...floods.flatMap((p) => {
      const f = p.flood!;
      return [
        `- **${p.name}**: ${verdict(floodVerdict(r.phases[p.reference!], p))}. wrk: ${
          f.requestsPerSec.toFixed(0)
        } requests/s, ${f.requests} requests, p50 ${ms(f.latencyP50Ms)}, p99 ${
          ms(f.latencyP99Ms)
        }, non-2xx/3xx ${f.non2xx3xx}, socket errors ${f.socketErrorDetail}. ${
          probeText(p)
        } Load average before: ${p.load[0]}; after: ${p.load[1]}.`,
      ];
    }),
    ...idles.map((p) => `- ${p.name}: load average before: ${p.load[0]}; after: ${p.load[1]}.`),
    "",
    "The admission budgets keep the owner's requests from being _refused_ (app traffic can never use up the cockpit's slots, and under memory pressure app traffic is shed first). CPU priority comes from two more parts. fazt answers on one JavaScript thread, and Deno hands it every request that arrived since it last looked in one batch, so without help a cockpit request waits behind a whole batch of app requests (~5 ms here). The priority gate (kernel/services/cockpit/priority_gate.ts) lets at most 1 ms of app work run per turn of the event loop and makes the rest wait their turn, yielding to I/O between turns, so the cockpit's request is picked up after about one turn. And app code runs at nice 10 (runtime/process/priority.ts), so when fazt has one CPU and an app burns it, the kernel is scheduled first.",
    "",
    "### Memory",
    "",
    `Resident memory of the kernel and every process below it (app sandboxes and their children, found by scanning the ppid of every /proc/<pid>/stat, recursively), after the processes were idle for 1 s. Every fazt process runs the same deno executable, and much of each one's resident memory is that executable's code, mapped by all of them. Summed RSS counts those shared pages once per process, so it grows by the whole executable with every sandbox. Summed PSS divides each shared page among all the processes that map it, including ones outside fazt that run deno too (this benchmark's own deno, anything else on the machine), so it hands part of fazt's memory to them and undercounts. **In all** is what the box's RAM holds for fazt: every physical page resident in any of the processes, counted once (from /proc/<pid>/pagemap, which needs root; without it the targets fall back to summed PSS). The targets are judged on in all. Private (USS) is the memory only that process holds, what stopping it gives back: for a sandbox, what one more warm app costs.`,
    "",
    `**Fresh server, no apps** (the kernel and whatever it starts; with no app that has server code it keeps no spare sandbox; the kernel alone: ${
      mib(kernelIdle.rss)
    } RSS): ${memoryVerdict(r.idleMemory, IDLE_RSS_TARGET)}.`,
    "",
    ...memoryTable(r.idleMemory),
    "",
    `**50 apps deployed, 10 warm** (each \`api/main.js\` a hello handler; \`/api\` of 10 of them requested once; the kernel reported ${r.loadedMemory.warm} warm sandboxes and ${
      r.loadedMemory.spare ? "a" : "no"
    } spare): ${memoryVerdict(r.loadedMemory, LOADED_RSS_TARGET)}.`,
    "",
    ...memoryTable(r.loadedMemory),
  ].join("\n");
}

if (import.meta.main) {
  try {
    const report = await runSafeguardsBench();
    const section = renderSafeguardsSection(report);
    await writeSection(REPORT_PATH, "safeguards", section);
    console.log(section);
  } catch (err) {
    console.error(`bench:safeguards: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
