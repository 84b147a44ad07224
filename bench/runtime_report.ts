/**
 * The runtime suite's results and how they are shown: its section of
 * `docs/BENCHMARKS.md` (hello handler vs bare `Deno.serve`, warm latency,
 * `fazt.kv` throughput from a handler, cold starts, memory per warm app,
 * each target marked met or not met) and a plain-text summary for the
 * terminal.
 *
 * @module
 */
import { QUEUE_PER_APP } from "../runtime/mod.ts";
import type { WrkResult } from "./wrk.ts";
import type { ProcessMemory } from "./process.ts";
import type { MachineInfo } from "./suite.ts";
import {
  fmtInt,
  fmtMiB,
  fmtMs as fmtShortMs,
  fmtRatio,
  mdTable,
  median,
  textTable,
} from "./report.ts";

/** A latency: µs below 1 ms, seconds from 1 s. */
function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : fmtShortMs(ms);
}

/**
 * fazt's hello 2xx req/s ÷ the nginx reverse proxy's (→ bare Deno) should
 * reach this at -c50, or this share of the best bridge floor when that is
 * below it (no process boundary reaches more here).
 */
export const PROXY_RATIO_TARGET = 0.9;
/** fazt's hello p99 (warm, at -c50 and at one connection) should stay at or below this (ms). */
export const WARM_P99_TARGET_MS = 5;
/** `fazt.kv.set` calls per second from one app's handlers should reach this. */
export const KV_WRITES_TARGET = 5_000;
/** A cold start (first request to an app without a process) should take at most this (ms). */
export const COLD_START_TARGET_MS = 150;

/** The wrk measurements of the runtime suite. */
export type RuntimeCaseId =
  | "fazt-c50"
  | "deno-c50"
  | "floor-c50"
  | "floorbin-c50"
  | "proxy-c50"
  | "fazt-c32"
  | "deno-c32"
  | "fazt-c1"
  | "deno-c1"
  | "kv-set"
  | "kv-get";

/** One wrk measurement of the runtime suite as it was set up. */
export interface RuntimeCase {
  /** Its id. */
  id: RuntimeCaseId;
  /** What it loads, as tables show it. */
  label: string;
  /** wrk `-t`. */
  threads: number;
  /** wrk `-c`. */
  connections: number;
}

/** One round of one case. */
export interface RuntimeMeasurement {
  /** The case. */
  id: RuntimeCaseId;
  /** The round, from 1. */
  round: number;
  /** What wrk measured. */
  result: WrkResult;
  /**
   * CPU time (user + system, ms) the server process (fazt's kernel, or the
   * bare Deno reference) and, for fazt, the app's sandbox process used
   * during the measurement, from /proc/<pid>/stat.
   */
  cpu?: { serverMs: number; sandboxMs?: number };
}

/** One cold start: the first request to an app whose process did not exist yet. */
export interface ColdSample {
  /** The app's name. */
  app: string;
  /** Request → full response of the first request (ms). */
  firstMs: number;
  /** The same for the request right after it, now warm (ms). */
  secondMs: number;
}

/** Memory of one process, in bytes. */
export interface ProcessRss {
  /** Process ID. */
  pid: number;
  /** The app it serves (sandboxes), when known. */
  app?: string;
  /** VmRSS. */
  rss: number;
  /** Proportional set size (shared pages divided among their users), when available. */
  pss?: number;
}

/** Memory of the server and its sandboxes at one moment. */
export interface MemorySnapshot {
  /** What state this is, e.g. "1 warm app". */
  label: string;
  /** The kernel (`fazt serve`) process. */
  kernel: ProcessMemory & { pss?: number };
  /** The sandboxes bound to an app. */
  sandboxes: ProcessRss[];
  /** The spare sandbox, when one was started. */
  spare?: ProcessRss;
  /** Other children of the server, if any (none expected). */
  others: ProcessRss[];
}

/** A load average reading with when it was taken. */
export interface LoadReading {
  /** When, e.g. "before the first measurement". */
  label: string;
  /** 1/5/15-minute values as `uptime` prints them. */
  value: string;
}

/** Everything the runtime section shows. */
export interface RuntimeReport {
  /** When the suite started (ISO 8601). */
  date: string;
  /** Wall-clock seconds of the suite, setup included. */
  elapsedSeconds: number;
  /** The machine. */
  machine: MachineInfo;
  /** Tool versions. */
  versions: { deno: string; wrk: string };
  /** Load settings (`duration`, `warmup`, `rounds`). */
  load: { duration: string; warmup: string; rounds: number };
  /** fazt's per-app `/api` concurrency limit and warm-process cap (its defaults). */
  limits: { concurrency: number; warmApps: number };
  /** `fazt.kv` calls per request of the kv app. */
  kvOpsPerRequest: number;
  /** The apps deployed: name (or name pattern) and `api/main.js`. */
  apps: { name: string; source: string }[];
  /** The wrk cases, in measuring order within a round. */
  cases: RuntimeCase[];
  /** Every round of every case. */
  measurements: RuntimeMeasurement[];
  /** Cold starts, in order. */
  cold: ColdSample[];
  /** Memory snapshots, in order. */
  memory: MemorySnapshot[];
  /** Load averages through the suite. */
  loadAverage: LoadReading[];
  /** The exact commands, in order. */
  commands: string[];
}

/** The rounds of one case, as medians. */
export interface CaseSummary {
  /** Every round's result. */
  results: WrkResult[];
  /** Median of all responses per second (wrk's Requests/sec). */
  requestsPerSec: number;
  /** Median of 2xx/3xx responses per second. */
  okPerSec: number;
  /** Median p50 latency (ms). */
  p50Ms: number;
  /** Median p99 latency (ms). */
  p99Ms: number;
  /** Non-2xx/3xx responses over all rounds. */
  non2xx3xx: number;
  /** Responses over all rounds. */
  requests: number;
  /** Socket errors over all rounds. */
  socketErrors: number;
  /** Median CPU ms per response of the server process (kernel / bare Deno), when known. */
  serverCpuMs?: number;
  /** Median CPU ms per response of the app's sandbox process, when known. */
  sandboxCpuMs?: number;
}

/** 2xx/3xx responses per second of one wrk run. */
export function okPerSec(r: WrkResult): number {
  return r.requests === 0 ? 0 : r.requestsPerSec * (r.requests - r.non2xx3xx) / r.requests;
}

/** The median summary of a case, or undefined when it was not measured. */
export function summarizeCase(report: RuntimeReport, id: RuntimeCaseId): CaseSummary | undefined {
  const ms = report.measurements.filter((m) => m.id === id).sort((a, b) => a.round - b.round);
  const results = ms.map((m) => m.result);
  if (results.length === 0) return undefined;
  const med = (f: (r: WrkResult) => number) => median(results.map(f));
  const sum = (f: (r: WrkResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const perResponse = (f: (m: RuntimeMeasurement) => number | undefined) => {
    const values = ms.flatMap((m) => {
      const v = f(m);
      return v === undefined || m.result.requests === 0 ? [] : [v / m.result.requests];
    });
    return values.length ? median(values) : undefined;
  };
  return {
    serverCpuMs: perResponse((m) => m.cpu?.serverMs),
    sandboxCpuMs: perResponse((m) => m.cpu?.sandboxMs),
    results,
    requestsPerSec: med((r) => r.requestsPerSec),
    okPerSec: med(okPerSec),
    p50Ms: med((r) => r.latencyP50Ms),
    p99Ms: med((r) => r.latencyP99Ms),
    non2xx3xx: sum((r) => r.non2xx3xx),
    requests: sum((r) => r.requests),
    socketErrors: sum((r) => r.socketErrors),
  };
}

/**
 * The `q` quantile (0–1) of `values` by the nearest-rank method (the
 * smallest value with at least q of the samples at or below it); NaN when empty.
 */
export function nearestRank(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
}

/** fazt's hello 2xx req/s ÷ bare Deno's at `connections`, or undefined. */
export function helloRatio(report: RuntimeReport, connections: 50 | 32): number | undefined {
  const fazt = summarizeCase(report, `fazt-c${connections}`);
  const deno = summarizeCase(report, `deno-c${connections}`);
  if (!fazt || !deno || deno.okPerSec === 0) return undefined;
  return fazt.okPerSec / deno.okPerSec;
}

/** A case's 2xx req/s ÷ bare Deno's at -c50, or undefined. */
export function bareRatio(report: RuntimeReport, id: RuntimeCaseId): number | undefined {
  const c = summarizeCase(report, id);
  const deno = summarizeCase(report, "deno-c50");
  if (!c || !deno || deno.okPerSec === 0) return undefined;
  return c.okPerSec / deno.okPerSec;
}

/** The bridge floor's 2xx req/s ÷ bare Deno's at -c50, or undefined. */
export function floorRatio(report: RuntimeReport): number | undefined {
  return bareRatio(report, "floor-c50");
}

/**
 * The reverse-proxy target at -c50: fazt's 2xx req/s, the reference it is
 * held to (0.9 × the nginx proxy's, or 0.9 × the best bridge floor's when
 * that floor is below the proxy's 0.9) and whether it is met.
 */
export function proxyTarget(report: RuntimeReport):
  | { fazt: number; proxy: number; floor?: number; against: "proxy" | "floor"; need: number }
  | undefined {
  const fazt = summarizeCase(report, "fazt-c50");
  const proxy = summarizeCase(report, "proxy-c50");
  if (!fazt || !proxy) return undefined;
  const floors = (["floor-c50", "floorbin-c50"] as const).flatMap((id) => {
    const s = summarizeCase(report, id);
    return s ? [s.okPerSec] : [];
  });
  const floor = floors.length ? Math.max(...floors) : undefined;
  const byFloor = floor !== undefined && floor < PROXY_RATIO_TARGET * proxy.okPerSec;
  return {
    fazt: fazt.okPerSec,
    proxy: proxy.okPerSec,
    floor,
    against: byFloor ? "floor" : "proxy",
    need: PROXY_RATIO_TARGET * (byFloor ? floor! : proxy.okPerSec),
  };
}

/** `fazt.kv` calls per second of a kv case (2xx requests/s × calls per request). */
export function kvOpsPerSec(report: RuntimeReport, id: "kv-set" | "kv-get"): number | undefined {
  const s = summarizeCase(report, id);
  return s && s.okPerSec * report.kvOpsPerRequest;
}

/** Cold start median and p95 (nearest rank), ms. */
export function coldStats(report: RuntimeReport): { median: number; p95: number } {
  const ms = report.cold.map((c) => c.firstMs);
  return { median: median(ms), p95: nearestRank(ms, 0.95) };
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "**met**" : "**not met**";
}

/** The target lines: each target, the measured value and met / not met. */
export function runtimeVerdicts(report: RuntimeReport): string[] {
  const out: string[] = [];
  const t = proxyTarget(report);
  if (!t) {
    out.push(
      `Hello handler ≥ ${PROXY_RATIO_TARGET}× nginx reverse proxy → bare Deno.serve: not measured (nginx missing?)`,
    );
  } else {
    const ratio = t.fazt / t.proxy;
    const floorText = t.floor === undefined
      ? ""
      : `; best bridge floor ${fmtRatio(t.floor / t.proxy)} of the proxy`;
    out.push(
      `Hello handler ≥ ${PROXY_RATIO_TARGET}× nginx reverse proxy → bare Deno.serve (2xx req/s at -c50): ${
        fmtRatio(ratio)
      } of the proxy${floorText}${
        t.against === "floor"
          ? ` (below ${PROXY_RATIO_TARGET}× the proxy, so the target is ${PROXY_RATIO_TARGET}× the best floor: ${
            fmtInt(t.need)
          } req/s, fazt ${fmtInt(t.fazt)})`
          : ""
      } — ${verdict(t.fazt >= t.need)}`,
    );
  }
  for (const [id, load] of [["fazt-c50", "-t2 -c50"], ["fazt-c1", "-t1 -c1"]] as const) {
    const warm = summarizeCase(report, id);
    out.push(
      `Warm p99 ≤ ${WARM_P99_TARGET_MS} ms (${load}): ${warm ? fmtMs(warm.p99Ms) : "—"} — ${
        verdict(warm ? warm.p99Ms <= WARM_P99_TARGET_MS : undefined)
      }`,
    );
  }
  const writes = kvOpsPerSec(report, "kv-set");
  out.push(
    `fazt.kv.set ≥ ${fmtInt(KV_WRITES_TARGET)} writes/s: ${
      writes === undefined ? "—" : `${fmtInt(writes)} writes/s`
    } — ${verdict(writes === undefined ? undefined : writes >= KV_WRITES_TARGET)}`,
  );
  if (report.cold.length === 0) {
    out.push(`Cold start ≤ ${COLD_START_TARGET_MS} ms: not measured`);
  } else {
    const c = coldStats(report);
    out.push(
      `Cold start ≤ ${COLD_START_TARGET_MS} ms, median of ${report.cold.length}: ${
        fmtMs(c.median)
      } — ${verdict(c.median <= COLD_START_TARGET_MS)}`,
    );
    out.push(
      `Cold start ≤ ${COLD_START_TARGET_MS} ms, p95 of ${report.cold.length}: ${fmtMs(c.p95)} — ${
        verdict(c.p95 <= COLD_START_TARGET_MS)
      }`,
    );
  }
  return out;
}

function errorsOf(s: CaseSummary): string {
  const parts: string[] = [];
  if (s.non2xx3xx) {
    parts.push(
      `${fmtInt(s.non2xx3xx)} non-2xx/3xx (${(100 * s.non2xx3xx / s.requests).toFixed(0)}%)`,
    );
  }
  if (s.socketErrors) {
    const detail = s.results.filter((r) => r.socketErrors > 0).map((r) => r.socketErrorDetail);
    parts.push(`${s.socketErrors} socket (${detail.join("; ")})`);
  }
  return parts.length ? parts.join(", ") : "0";
}

/** CPU per response (or per call, divided by `per`) as "kernel + sandbox" or the server alone. */
function cpuText(s: CaseSummary, per = 1): string {
  if (s.serverCpuMs === undefined) return "—";
  const us = (ms: number) => `${Math.round(ms * 1000 / per)} µs`;
  return s.sandboxCpuMs === undefined
    ? us(s.serverCpuMs)
    : `${us(s.serverCpuMs)} + ${us(s.sandboxCpuMs)}`;
}

const HELLO_CASES: readonly RuntimeCaseId[] = [
  "fazt-c50",
  "deno-c50",
  "proxy-c50",
  "floor-c50",
  "floorbin-c50",
  "fazt-c32",
  "deno-c32",
  "fazt-c1",
  "deno-c1",
];

function caseOf(report: RuntimeReport, id: RuntimeCaseId): RuntimeCase | undefined {
  return report.cases.find((c) => c.id === id);
}

/** The hello table (header first): medians of the rounds. */
export function helloRows(report: RuntimeReport): string[][] {
  const rows = [[
    "Target",
    "Load",
    "Req/s (all)",
    "2xx req/s",
    "p50",
    "p99",
    "CPU per response",
    "Errors",
  ]];
  for (const id of HELLO_CASES) {
    const c = caseOf(report, id);
    const s = summarizeCase(report, id);
    if (!c || !s) continue;
    rows.push([
      c.label,
      `-t${c.threads} -c${c.connections}`,
      fmtInt(s.requestsPerSec),
      fmtInt(s.okPerSec),
      fmtMs(s.p50Ms),
      fmtMs(s.p99Ms),
      cpuText(s),
      errorsOf(s),
    ]);
  }
  return rows;
}

/** The kv table (header first): medians of the rounds. */
export function kvRows(report: RuntimeReport): string[][] {
  const rows = [[
    "Operation",
    "Load",
    "Requests/s",
    "Calls/s",
    "p50 per request",
    "p99 per request",
    "CPU per call",
    "Errors",
  ]];
  for (const id of ["kv-set", "kv-get"] as const) {
    const c = caseOf(report, id);
    const s = summarizeCase(report, id);
    if (!c || !s) continue;
    rows.push([
      c.label,
      `-t${c.threads} -c${c.connections}`,
      s.okPerSec.toFixed(1),
      fmtInt(s.okPerSec * report.kvOpsPerRequest),
      fmtMs(s.p50Ms),
      fmtMs(s.p99Ms),
      cpuText(s, report.kvOpsPerRequest),
      errorsOf(s),
    ]);
  }
  return rows;
}

/**
 * Every round of every case (header first), as 2xx req/s / p99 (kv: calls/s
 * / p99 per request); only shown when rounds > 1.
 */
export function runtimeRoundRows(report: RuntimeReport): string[][] {
  const rounds = Array.from({ length: report.load.rounds }, (_, i) => i + 1);
  const rows = [["Case", "Load", ...rounds.map((r) => `Round ${r}`)]];
  for (const c of report.cases) {
    rows.push([
      c.label,
      `-t${c.threads} -c${c.connections}`,
      ...rounds.map((round) => {
        const m = report.measurements.find((x) => x.id === c.id && x.round === round);
        if (!m) return "—";
        const kv = c.id === "kv-set" || c.id === "kv-get";
        const rate = kv
          ? `${fmtInt(okPerSec(m.result) * report.kvOpsPerRequest)} calls/s`
          : fmtInt(okPerSec(m.result));
        return `${rate} / ${fmtMs(m.result.latencyP99Ms)}`;
      }),
    ]);
  }
  return rows;
}

/** The cold start table (header first): every sample. */
export function coldRows(report: RuntimeReport): string[][] {
  const rows = [["#", "App", "First request (cold)", "Second request (warm)"]];
  report.cold.forEach((c, i) => {
    rows.push([String(i + 1), c.app, fmtMs(c.firstMs), fmtMs(c.secondMs)]);
  });
  return rows;
}

const sumOf = (xs: readonly number[]) => xs.reduce((n, x) => n + x, 0);

function pssText(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : fmtMiB(bytes);
}

/** The memory table (header first): one row per snapshot. */
export function memoryRows(report: RuntimeReport): string[][] {
  const rows = [[
    "State",
    "Kernel RSS",
    "Warm sandboxes",
    "Sandbox RSS total",
    "Per app (RSS)",
    "Spare RSS",
    "Sandbox PSS total",
    "Per app (PSS)",
    "Kernel + all children RSS",
  ]];
  for (const m of report.memory) {
    const n = m.sandboxes.length;
    const rss = sumOf(m.sandboxes.map((s) => s.rss));
    const psses = m.sandboxes.map((s) => s.pss);
    const pss = psses.every((p) => p !== undefined) ? sumOf(psses as number[]) : undefined;
    const all = m.kernel.rss + rss + (m.spare?.rss ?? 0) + sumOf(m.others.map((o) => o.rss));
    rows.push([
      m.label,
      fmtMiB(m.kernel.rss),
      String(n),
      n ? fmtMiB(rss) : "—",
      n ? fmtMiB(rss / n) : "—",
      m.spare ? fmtMiB(m.spare.rss) : "none",
      n ? pssText(pss) : "—",
      n && pss !== undefined ? fmtMiB(pss / n) : "—",
      fmtMiB(all),
    ]);
  }
  return rows;
}

const right = (from: number) => (i: number) => i >= from;

/** A plain-text summary for the terminal. */
export function renderRuntimeText(report: RuntimeReport): string {
  const c = report.cold.length ? coldStats(report) : undefined;
  return [
    `Runtime: hello handler vs bare Deno.serve (median of ${report.load.rounds} round(s)):`,
    ...textTable(helloRows(report), right(2)),
    "",
    `fazt.kv from a handler (${report.kvOpsPerRequest} sequential calls per request):`,
    ...textTable(kvRows(report), right(2)),
    "",
    c
      ? `Cold starts (${report.cold.length}): median ${fmtMs(c.median)}, p95 ${fmtMs(c.p95)}, min ${
        fmtMs(Math.min(...report.cold.map((x) => x.firstMs)))
      }, max ${fmtMs(Math.max(...report.cold.map((x) => x.firstMs)))}`
      : "Cold starts: not measured",
    "",
    "Memory:",
    ...textTable(memoryRows(report), right(1)),
    "",
    ...runtimeVerdicts(report).map((v) => v.replaceAll("**", "")),
    `load average (1/5/15 min): ${
      report.loadAverage.map((l) => `${l.label}: ${l.value}`).join("; ")
    }`,
  ].join("\n");
}

/** The runtime suite's section of `docs/BENCHMARKS.md` (`## Runtime` with `###` subsections). */
export function renderRuntimeSection(report: RuntimeReport): string {
  const { machine, versions, load, limits } = report;
  const n = load.rounds;
  const rounds = `${n} round${n === 1 ? "" : "s"}`;
  const c = report.cold.length ? coldStats(report) : undefined;
  const coldMs = report.cold.map((x) => x.firstMs);
  const lines = [
    "## Runtime",
    "",
    `Serverless runtime of fazt (apps with \`api/main.js\`, run in sandbox processes; see [RUNTIME.md](RUNTIME.md)): a hello handler against the same handler on a bare \`Deno.serve\`, \`fazt.kv\` calls from a handler, cold starts and memory per warm app. Date: ${report.date}. Machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${
      fmtMiB(machine.memTotalBytes)
    } RAM, ${machine.kernel}; Deno ${versions.deno}; ${versions.wrk}.`,
    "",
    "### Targets",
    "",
    ...runtimeVerdicts(report).map((v) => `- ${v}`),
    "",
    "Load average (1/5/15 min, from `uptime`): " +
    report.loadAverage.map((l) => `${l.label}: ${l.value}`).join("; ") +
    ". The suite keeps the CPUs busy itself; a high value _before_ the first measurement means other work shared the CPUs.",
    "",
    "### Hello handler vs bare Deno.serve and an nginx reverse proxy",
    "",
    `\`GET /api/hello\` with \`Host: hello.localhost\` on fazt (app \`hello\`, \`export default () => new Response("hello")\`) and \`GET /\` on \`bench/hello_deno_server.ts\` (\`Deno.serve(() => new Response("hello"))\`), each after a ${load.warmup} warm-up of the same kind, one at a time; median of ${rounds}. *2xx req/s* counts only successful answers: fazt runs ${limits.concurrency} \`/api\` requests per app at once and lets ${QUEUE_PER_APP} more wait in line (503 only past that), so at -c50 some requests wait in the kernel, which shows in p50/p99. The -c${limits.concurrency} rows stay within the in-flight limit. The ratio target uses 2xx req/s at -c50. *CPU per response* is the CPU time (user + system, from \`/proc/<pid>/stat\` before and after the measurement, 10 ms ticks) of fazt's kernel process + the hello app's sandbox process, or of the bare Deno process, divided by the responses wrk counted (503s included); wrk's own CPU is not in it. For the *nginx reverse proxy* row it is the bare Deno process + nginx's workers, for the bridge floors parent + child.`,
    "",
    mdTable(helloRows(report), right(2)),
    "",
  ];
  const r50 = helloRatio(report, 50);
  const r32 = helloRatio(report, 32);
  const rf = floorRatio(report);
  const rb = bareRatio(report, "floorbin-c50");
  const rp = bareRatio(report, "proxy-c50");
  lines.push(
    `fazt ÷ bare Deno (2xx req/s): ${r50 === undefined ? "—" : fmtRatio(r50)} at -c50, ${
      r32 === undefined ? "—" : fmtRatio(r32)
    } at -c${limits.concurrency}. Warm p99 is the -t1 -c1 row: one connection, one request at a time, so it is the latency of a warm request with no queueing.`,
    "",
    `*Bridge floor* (\`bench/bridge_floor_server.ts\`) is the least a process-isolated runtime can do: a \`Deno.serve\` parent sends each request as one JSON line over a Unix socket to a child that builds a \`Request\`, runs the same handler and answers with one line (batched per tick; no routing, limits, timeouts or metering); its CPU is parent + child. It reached ${
      rf === undefined ? "—" : fmtRatio(rf)
    } of bare Deno here. The *binary bridge floor* (\`bench/bridge_floor_binary_server.ts\`) is the same over binary frames (\`bench/bridge_frames.ts\`: a fixed 13-byte header, the method, URL and headers as one newline-separated text head, raw body bytes; no JSON, no base64): ${
      rb === undefined ? "—" : fmtRatio(rb)
    } of bare Deno. Both batch as fazt's bridge does: the parent's messages once per event-loop turn (\`setImmediate\`), the child's after each job. The better of the two is the ceiling for any design that keeps app code out of the kernel's process on this machine.`,
    "",
    `*nginx reverse proxy* (\`bench/nginx_proxy.ts\`) is how a self-hosted PaaS (Dokku, Coolify, CapRover) serves an unsandboxed app: nginx (\`worker_processes auto\`, HTTP/1.1 upstream with a keepalive pool of 64, the usual forwarded headers) in front of the same bare \`Deno.serve\` hello. It reached ${
      rp === undefined ? "—" : fmtRatio(rp)
    } of bare Deno.`,
    "",
  );
  if (n > 1) {
    lines.push(
      "Every round, as 2xx req/s / p99 (the kv rows: fazt.kv calls/s / p99 per request):",
      "",
      mdTable(runtimeRoundRows(report), right(2)),
      "",
    );
  }
  lines.push(
    "### fazt.kv from a handler",
    "",
    `App \`kv\`: \`GET /api/set\` runs ${report.kvOpsPerRequest} sequential \`await fazt.kv.set("k" + i, i)\` and \`GET /api/get\` ${report.kvOpsPerRequest} sequential \`await fazt.kv.get("k" + i)\` (checking each value) and answer with the count. Calls/s = 2xx requests/s × ${report.kvOpsPerRequest}, over all concurrent requests; latency is per request (${report.kvOpsPerRequest} calls). Both were checked to answer \`${report.kvOpsPerRequest}\` before measuring. *CPU per call* is kernel + kv sandbox CPU time divided by the calls. Median of ${rounds}.`,
    "",
    mdTable(kvRows(report), right(2)),
    "",
    "### Cold start",
    "",
    `${report.cold.length} apps (\`cold-01\` …), each deployed once (a version no process has loaded yet) and then hit once: the time from sending \`GET /api/hello\` until the whole response has arrived, measured in the bench process (new TCP connection, loopback). Before each first request the bench waits until the spare sandbox the server keeps started (as in production) has booted and is idle, so each cold start is: take the spare, send it the app's code, import it, answer. The second request right after it shows the warm cost; it often runs while the server boots the next spare sandbox (a new deno process) on the same CPUs, which is why it is slower than the warm latency above. p95 is by nearest rank (with 10 samples: the slowest).`,
    "",
  );
  if (c) {
    lines.push(
      `Median ${fmtMs(c.median)}, p95 ${fmtMs(c.p95)}, min ${fmtMs(Math.min(...coldMs))}, max ${
        fmtMs(Math.max(...coldMs))
      }.`,
      "",
      mdTable(coldRows(report), right(2)),
      "",
    );
  } else lines.push("Not measured.", "");
  lines.push(
    "### Memory per warm app",
    "",
    `VmRSS from \`/proc/<pid>/status\` of the \`fazt serve\` process (the kernel) and of each of its child processes, found by scanning the parent pid in every \`/proc/<pid>/stat\`; the server's \`system stats\` API tells which child serves which app, and the one child it does not list is the spare. The states up to 10 warm apps are taken right after the apps' first request (each hit once, the spare idle again), before any load; the last one after all the load tests above, when the warm set is hello, kv and the most recently used cold apps. RSS counts pages shared with other processes (the deno executable, V8's code) in full for every process, so the sums overstate what the sandboxes cost together; PSS (\`/proc/<pid>/smaps_rollup\`) divides shared pages among their users and is the fairer per-app figure. Kernel + all children sums RSS over the kernel, the warm sandboxes and the spare. At most ${limits.warmApps} app processes stay warm (the least recently used go first).`,
    "",
    mdTable(memoryRows(report), right(1)),
    "",
  );
  const last = report.memory[report.memory.length - 1];
  if (last && last.sandboxes.length) {
    lines.push(
      `Per sandbox in the last state (RSS / PSS): ${
        last.sandboxes.map((s) => `${s.app ?? s.pid} ${fmtMiB(s.rss)} / ${pssText(s.pss)}`).join(
          ", ",
        )
      }.`,
      "",
    );
  }
  lines.push(
    "### Apps",
    "",
    "The apps the suite deploys, each a folder with only `api/main.js`:",
    "",
  );
  for (const app of report.apps) {
    lines.push(`\`${app.name}\`:`, "", "```js", app.source.trimEnd(), "```", "");
  }
  lines.push(
    "### Commands",
    "",
    `The exact commands of this run (temp paths and ports vary per run); each wrk command ran ${n} time${
      n === 1 ? "" : "s"
    } after a warm-up of ${load.warmup} with the same arguments:`,
    "",
    "```sh",
    ...report.commands,
    "```",
    "",
    "### How to reproduce",
    "",
    "```sh",
    "BENCH_SUITES=runtime deno task bench   # this section only (keeps the static section as it is)",
    "deno task bench                        # both suites (static, then runtime)",
    "```",
    "",
    `Settings shared with the static suite: \`BENCH_DURATION\` (default 5s), \`BENCH_WARMUP\` (default 2s) and \`BENCH_ROUNDS\` (default 1). This suite took ${
      (report.elapsedSeconds / 60).toFixed(1)
    } minutes, setup included.`,
    "",
  );
  return lines.join("\n");
}
