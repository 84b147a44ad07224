/**
 * What the per-app resource limits cost (kernel/services/cockpit/app_resources.ts),
 * measured on real `fazt serve` processes, once per mechanism (`auto`, which
 * is cgroup v1 here, `rlimit`, `watchdog`):
 *
 * - **Watchdog, idle**: with `BENCH_LIMITS_APPS` apps warm (each a sandbox
 *   and a SQL process), over `BENCH_LIMITS_IDLE_S` seconds: checks made, the
 *   time one check takes (wall time in the kernel, mostly waiting for the
 *   `/proc` reader), the CPU the `/proc` reader (awk) used, the kernel's
 *   whole CPU in the window (every timer it runs, the watchdog among them),
 *   and the reader's resident memory.
 * - **Binding a process** (`sandboxBound`, once per cold start, before the
 *   app's code loads): with cgroups the app's group is made and capped on
 *   its first process and each process joins it; with rlimit each gets its
 *   ceiling through `prlimit`. Median over `BENCH_LIMITS_BINDS` sleeping
 *   processes, first bind of an app and later binds apart.
 * - **One read of the `/proc` reader** in the kernel process: its CPU per
 *   batch of `statm` files for the warm apps' processes.
 *
 * Prints a Markdown section for docs/BENCHMARKS.md ("Per-app limits").
 * Run: `deno run --allow-all bench/limits_bench.ts`.
 *
 * @module
 */
import process from "node:process";
import { startServer, type TestServer } from "../tests/_helpers/server.ts";
import { zipFiles } from "../tests/_helpers/kernel.ts";
import { openDatabase } from "../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../kernel/store/schema.ts";
import {
  createAppResources,
  type ResourceLimitsMode,
} from "../kernel/services/cockpit/app_resources.ts";
import { createDataLimiter } from "../runtime/process/rlimit.ts";
import { openSysFiles } from "../runtime/process/sys_files.ts";
import { createProcReader } from "../runtime/process/proc_stats.ts";
import { childProcesses, processStat } from "./process.ts";

const APPS = Number(Deno.env.get("BENCH_LIMITS_APPS") ?? 10);
const IDLE_S = Number(Deno.env.get("BENCH_LIMITS_IDLE_S") ?? 30);
const BINDS = Number(Deno.env.get("BENCH_LIMITS_BINDS") ?? 20);

const APP = {
  "api/main.js": `export default async () => (await fazt.sql.query("SELECT 1 AS n"))[0].n;
`,
};

interface Result {
  mode: string;
  mechanism: string;
  checks: number;
  checkMs: number;
  readerCpuMs: number;
  kernelCpuMs: number;
  readerRssKb: number;
  processes: number;
}

/** Median ms of binding a process: an app's first, and later ones. */
async function bindCost(mode: ResourceLimitsMode): Promise<{ first: number; later: number }> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-bench-limits-" });
  const db = openDatabase({ path: `${dir}/kernel.db`, migrations: KERNEL_MIGRATIONS });
  const files = (await openSysFiles())!;
  const resources = await createAppResources({
    db,
    mode,
    defaultMemoryBytes: 128 * 1024 * 1024,
    cpuBudgetMs: 100,
    log() {},
    dataLimiter: await createDataLimiter(),
    files,
  });
  const first: number[] = [];
  const later: number[] = [];
  const sleepers: Deno.ChildProcess[] = [];
  try {
    for (let i = 0; i < BINDS; i++) {
      const appId = `app_${String(i).padStart(16, "a")}`;
      for (const list of [first, later]) {
        const p = new Deno.Command("sleep", { args: ["60"] }).spawn();
        sleepers.push(p);
        const t = performance.now();
        await resources.sandboxBound(appId, p.pid);
        list.push(performance.now() - t);
      }
    }
  } finally {
    for (const p of sleepers) p.kill("SIGKILL");
    await Promise.all(sleepers.map((p) => p.status));
    await resources.close();
    await files.close();
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
  return { first: median(first), later: median(later) };
}

/** Kernel CPU (ms) of one batch read of `n` processes' statm files. */
async function readCost(pids: number[]): Promise<number> {
  const files = (await openSysFiles())!;
  const reader = await createProcReader(files);
  await reader.read(pids, false);
  const n = 300;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await reader.read(pids, false);
  const used = process.cpuUsage(before);
  await files.close();
  return (used.user + used.system) / 1000 / n;
}

async function deploy(server: TestServer, name: string): Promise<void> {
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zipFiles(APP) as Uint8Array<ArrayBuffer>,
  });
  if (res.status !== 200) throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

function cpuMs(pid: number): number {
  return (processStat(pid)?.cpuTicks ?? 0) * 10;
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return Number(m?.[1] ?? 0);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(mode: string): Promise<Result> {
  const server = await startServer({ args: ["--resource-limits", mode] });
  try {
    for (let i = 0; i < APPS; i++) {
      await deploy(server, `app${i}`);
      const res = await server.fetch(`app${i}.localhost`, "/api/x");
      if (res.status !== 200) throw new Error(`app${i}: ${res.status} ${await res.text()}`);
    }
    const kernel = server.process.pid;
    const reader = childProcesses(kernel).map((c) => c.pid).find((pid) =>
      /awk|sh$/.test(Deno.readTextFileSync(`/proc/${pid}/comm`).trim())
    );
    if (!reader) throw new Error("no /proc reader among the kernel's children");
    const status = async () =>
      (await (await server.api("GET", "/system/status")).json()) as {
        resources: {
          mechanism: string;
          watchdog: { checks: number; totalCheckMs: number; processes: number };
        };
      };
    const before = await status();
    const kernel0 = cpuMs(kernel);
    const reader0 = cpuMs(reader);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const after = await status();
    const checks = after.resources.watchdog.checks - before.resources.watchdog.checks;
    return {
      mode,
      mechanism: after.resources.mechanism,
      checks,
      checkMs: (after.resources.watchdog.totalCheckMs - before.resources.watchdog.totalCheckMs) /
        checks,
      readerCpuMs: cpuMs(reader) - reader0,
      kernelCpuMs: cpuMs(kernel) - kernel0,
      readerRssKb: rssKb(reader),
      processes: after.resources.watchdog.processes,
    };
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
}

const results: Result[] = [];
for (const mode of ["auto", "rlimit", "watchdog"]) results.push(await measure(mode));
const binds = {
  auto: await bindCost("auto"),
  rlimit: await bindCost("rlimit"),
  watchdog: await bindCost("watchdog"),
};
const pids = childProcesses(Deno.pid).map((c) => c.pid);
const sleepers = Array.from(
  { length: results[0].processes },
  () => new Deno.Command("sleep", { args: ["60"] }).spawn(),
);
const perRead = await readCost([...pids, ...sleepers.map((p) => p.pid)]);
for (const p of sleepers) p.kill("SIGKILL");
await Promise.all(sleepers.map((p) => p.status));

const lines = [
  `${APPS} warm apps (${results[0].processes} app processes), ${IDLE_S} s idle, ${(navigator
    .hardwareConcurrency)} CPUs, Deno ${Deno.version.deno}.`,
  "",
  "| mechanism | checks | one check (wall) | `/proc` reader CPU | kernel CPU (all timers) | reader RSS | bind: app's first / later |",
  "|---|---|---|---|---|---|---|",
  ...results.map((r) =>
    `| ${r.mechanism} | ${r.checks} | ${r.checkMs.toFixed(2)} ms | ${r.readerCpuMs} ms (${
      (r.readerCpuMs / IDLE_S / 10).toFixed(2)
    }% of a core) | ${r.kernelCpuMs} ms (${(r.kernelCpuMs / IDLE_S / 10).toFixed(2)}%) | ${
      (r.readerRssKb / 1024).toFixed(1)
    } MB | ${binds[r.mode as keyof typeof binds].first.toFixed(1)} / ${
      binds[r.mode as keyof typeof binds].later.toFixed(1)
    } ms |`
  ),
  "",
  `One batch read of ${results[0].processes} processes' statm files: ${
    perRead.toFixed(2)
  } ms of the kernel's CPU.`,
];
console.log(lines.join("\n"));
