/**
 * Turning the static suite's results into its section of
 * `docs/BENCHMARKS.md` and a plain-text table for the terminal: the median
 * of the rounds per target × file, every round's value, fazt's ratios to nginx (1 and 2 workers) and to the bare
 * Deno references, the nginx target verdicts, fazt's memory, the load
 * averages and how the numbers were made.
 *
 * @module
 */
import type { WrkResult } from "./wrk.ts";
import type { DownloadMemory } from "./download_memory.ts";
import type { ProcessMemory } from "./process.ts";

/** The throughput fazt should reach relative to nginx for the 2 KB file. */
export const NGINX_TARGET_RATIO = 0.9;

/** The file the nginx target is about. */
export const TARGET_FILE = "2k.html";

/**
 * The servers compared: fazt, nginx with 1 and with 2 worker processes, and
 * the bare `Deno.serve` reference answering with `proto.clone()` (`deno`)
 * and with a `new Response` per request (`denoNew`).
 */
export type TargetId = "fazt" | "nginx1" | "nginx2" | "deno" | "denoNew";

/** One server under test. */
export interface TargetInfo {
  /** Its id. */
  id: TargetId;
  /** How it appears in tables. */
  label: string;
  /** Whether it was measured; "absent" when it is not installed. */
  status: "measured" | "absent";
  /** Why it is absent, or other remarks. */
  note?: string;
}

/** One wrk measurement. */
export interface Measurement {
  /** The server. */
  target: TargetId;
  /** The file requested. */
  file: string;
  /** The round, from 1. */
  round: number;
  /** What wrk measured. */
  result: WrkResult;
}

/** An nginx configuration that ran, with the label of its target. */
export interface NginxConfigInfo {
  /** The target's label, e.g. "nginx (1 worker)". */
  label: string;
  /** The configuration file's text. */
  config: string;
}

/** Everything the report shows. */
export interface BenchReport {
  /** When the run started (ISO 8601). */
  date: string;
  /** Wall-clock seconds of the static suite, setup included. */
  elapsedSeconds: number;
  /** The machine. */
  machine: { nproc: number; cpuModel: string; memTotalBytes: number; kernel: string };
  /**
   * Load averages (1, 5, 15 min, as `uptime` prints them) right before the
   * first measurement, after each round, and after the last one; to judge
   * noise from other work on the machine.
   */
  loadAverage: { start: string; afterRounds: string[]; end: string };
  /** Tool versions, as printed by the tools. */
  versions: { deno: string; nginx: string; wrk: string };
  /** Load settings; `rounds` is how often each target × file was measured. */
  load: {
    threads: number;
    connections: number;
    duration: string;
    warmup: string;
    rounds: number;
  };
  /** The exact commands that were run, in order (wrk commands once, not per round). */
  commands: string[];
  /** The servers, in the order they are measured within a round. */
  targets: TargetInfo[];
  /** The measurements, every round. */
  measurements: Measurement[];
  /** fazt's memory: right after deploy (idle) and after all load. */
  faztMemory: { idle: ProcessMemory; afterLoad: ProcessMemory };
  /** The bare Deno reference's memory at the same moments, for comparison. */
  bareMemory: { idle: ProcessMemory; afterLoad: ProcessMemory };
  /** The nginx configurations that ran (none when nginx is absent). */
  nginxConfigs: NginxConfigInfo[];
  /** fazt's memory growth during parallel downloads of one large file (absent: not run). */
  downloadMemory?: DownloadMemory;
}

/** The files measured, in table order. */
export const FILES = ["2k.html", "100k.bin"] as const;

/** The references fazt is divided by in the ratio table, in order. */
export const RATIO_REFERENCES: readonly TargetId[] = ["nginx1", "nginx2", "deno", "denoNew"];

const MB = 1024 * 1024;

/** A whole number with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A latency in ms (µs below 1 ms). */
export function fmtMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

/** Bytes as MiB with one decimal. */
export function fmtMiB(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MiB`;
}

/** A ratio like `0.62×`. */
export function fmtRatio(r: number): string {
  return `${r.toFixed(2)}×`;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The rounds of one target × file, summarised. */
export interface Summary {
  /** Every round's result, in round order. */
  results: WrkResult[];
  /** Median requests/s over the rounds. */
  requestsPerSec: number;
  /** Median p99 latency over the rounds, ms. */
  latencyP99Ms: number;
  /** Median average latency over the rounds, ms. */
  latencyAvgMs: number;
  /** Median transfer rate over the rounds, bytes/s. */
  transferBytesPerSec: number;
  /** Non-2xx/3xx responses, summed over the rounds. */
  non2xx3xx: number;
  /** Socket errors, summed over the rounds. */
  socketErrors: number;
}

function resultsOf(report: BenchReport, target: TargetId, file: string): WrkResult[] {
  return report.measurements
    .filter((m) => m.target === target && m.file === file)
    .sort((a, b) => a.round - b.round)
    .map((m) => m.result);
}

/** The median summary of `target` × `file`, or undefined when it was not measured. */
export function summarize(
  report: BenchReport,
  target: TargetId,
  file: string,
): Summary | undefined {
  const results = resultsOf(report, target, file);
  if (results.length === 0) return undefined;
  const med = (f: (r: WrkResult) => number) => median(results.map(f));
  return {
    results,
    requestsPerSec: med((r) => r.requestsPerSec),
    latencyP99Ms: med((r) => r.latencyP99Ms),
    latencyAvgMs: med((r) => r.latencyAvgMs),
    transferBytesPerSec: med((r) => r.transferBytesPerSec),
    non2xx3xx: results.reduce((n, r) => n + r.non2xx3xx, 0),
    socketErrors: results.reduce((n, r) => n + r.socketErrors, 0),
  };
}

function errorsOf(s: Summary): string {
  if (s.non2xx3xx === 0 && s.socketErrors === 0) return "0";
  const parts: string[] = [];
  if (s.non2xx3xx) parts.push(`${s.non2xx3xx} non-2xx/3xx`);
  if (s.socketErrors) {
    const detail = s.results.filter((r) => r.socketErrors > 0).map((r) => r.socketErrorDetail);
    parts.push(`${s.socketErrors} socket (${detail.join("; ")})`);
  }
  return parts.join(", ");
}

function labelOf(report: BenchReport, id: TargetId): string {
  return report.targets.find((t) => t.id === id)?.label ?? id;
}

/**
 * fazt's median req/s divided by `other`'s median req/s for `file`, or
 * undefined when either is missing.
 */
export function ratio(report: BenchReport, other: TargetId, file: string): number | undefined {
  const fazt = summarize(report, "fazt", file);
  const them = summarize(report, other, file);
  if (!fazt || !them || them.requestsPerSec === 0) return undefined;
  return fazt.requestsPerSec / them.requestsPerSec;
}

/** fazt's req/s divided by `other`'s within each round (the two ran minutes apart at most). */
export function roundRatios(report: BenchReport, other: TargetId, file: string): number[] {
  const out: number[] = [];
  for (let round = 1; round <= report.load.rounds; round++) {
    const at = (t: TargetId) =>
      report.measurements.find((m) => m.target === t && m.file === file && m.round === round);
    const fazt = at("fazt");
    const them = at(other);
    if (fazt && them && them.result.requestsPerSec > 0) {
      out.push(fazt.result.requestsPerSec / them.result.requestsPerSec);
    }
  }
  return out;
}

/** The ratio as text, with the per-round range when there is more than one round. */
export function ratioText(report: BenchReport, other: TargetId, file: string): string {
  const info = report.targets.find((t) => t.id === other);
  if (info?.status === "absent") return "absent";
  const r = ratio(report, other, file);
  if (r === undefined) return "not measured";
  const rounds = roundRatios(report, other, file);
  if (rounds.length < 2) return fmtRatio(r);
  return `${fmtRatio(r)} (rounds ${fmtRatio(Math.min(...rounds))}–${
    fmtRatio(Math.max(...rounds))
  })`;
}

/** The rows of the results table (header first): medians of the rounds. */
export function tableRows(report: BenchReport): string[][] {
  const rows = [[
    "Target",
    "File",
    "Req/s",
    "Latency p99",
    "Latency avg",
    "MB/s",
    "Errors",
  ]];
  for (const t of report.targets) {
    for (const file of FILES) {
      const s = summarize(report, t.id, file);
      if (!s) {
        rows.push([t.label, file, t.status === "absent" ? "absent" : "—", "—", "—", "—", "—"]);
        continue;
      }
      rows.push([
        t.label,
        file,
        fmtInt(s.requestsPerSec),
        fmtMs(s.latencyP99Ms),
        fmtMs(s.latencyAvgMs),
        (s.transferBytesPerSec / MB).toFixed(1),
        errorsOf(s),
      ]);
    }
  }
  return rows;
}

/** The rows of the per-round table (header first): req/s and p99 of every round. */
export function roundRows(report: BenchReport): string[][] {
  const rounds = Array.from({ length: report.load.rounds }, (_, i) => i + 1);
  const rows = [["Target", "File", ...rounds.map((r) => `Round ${r}`), "Req/s spread"]];
  for (const t of report.targets) {
    if (t.status === "absent") continue;
    for (const file of FILES) {
      const s = summarize(report, t.id, file);
      if (!s) continue;
      const rps = s.results.map((r) => r.requestsPerSec);
      const spread = (Math.max(...rps) - Math.min(...rps)) / s.requestsPerSec;
      rows.push([
        t.label,
        file,
        ...rounds.map((round) => {
          const m = report.measurements.find((x) =>
            x.target === t.id && x.file === file && x.round === round
          );
          return m ? `${fmtInt(m.result.requestsPerSec)} / ${fmtMs(m.result.latencyP99Ms)}` : "—";
        }),
        `${(spread * 100).toFixed(0)}%`,
      ]);
    }
  }
  return rows;
}

/** The rows of the ratio table (header first): fazt ÷ each reference, per file. */
export function ratioRows(report: BenchReport): string[][] {
  const rows = [["fazt ÷", ...FILES]];
  for (const id of RATIO_REFERENCES) {
    if (!report.targets.some((t) => t.id === id)) continue;
    rows.push([labelOf(report, id), ...FILES.map((f) => ratioText(report, id, f))]);
  }
  return rows;
}

/**
 * The nginx target verdicts: "≥ 0.9× nginx on the 2 KB file", evaluated
 * against nginx with 1 worker and with 2 workers, one line each.
 */
export function nginxVerdicts(report: BenchReport): string[] {
  const out: string[] = [];
  for (const id of ["nginx1", "nginx2"] as const) {
    const info = report.targets.find((t) => t.id === id);
    const label = info?.label ?? id;
    const head = `Target ≥ ${NGINX_TARGET_RATIO}× nginx on the 2 KB file, against ${label}:`;
    if (!info || info.status === "absent") {
      out.push(`${head} unverified — nginx is absent (${info?.note ?? "not installed"}).`);
      continue;
    }
    const r = ratio(report, id, TARGET_FILE);
    if (r === undefined) {
      out.push(`${head} not measured.`);
      continue;
    }
    const rounds = roundRatios(report, id, TARGET_FILE);
    const met = r >= NGINX_TARGET_RATIO ? "MET" : "NOT MET";
    const every = rounds.length > 1
      ? rounds.every((x) => x >= NGINX_TARGET_RATIO)
        ? " (met in every round)"
        : rounds.some((x) => x >= NGINX_TARGET_RATIO)
        ? " (met in some rounds only)"
        : " (not met in any round)"
      : "";
    out.push(`${head} ${fmtRatio(r)} of median req/s — ${met}${every}`);
  }
  return out;
}

/** Issue 18's targets against bare `Deno.serve` (clone variant): file → lowest ratio. */
export const BARE_TARGETS: Readonly<Record<string, number>> = Object.freeze({
  "2k.html": 0.85,
  "100k.bin": 1.0,
});

/** Issue 18's target: 10 parallel downloads of a 50 MB file grow fazt's memory by at most this. */
export const DOWNLOAD_GROWTH_TARGET_BYTES = 16 * 1024 * 1024;

/** The verdicts of issue 18's static targets: fazt ÷ bare Deno per file, and download memory. */
export function issue18Verdicts(report: BenchReport): string[] {
  const out: string[] = [];
  for (const [file, target] of Object.entries(BARE_TARGETS)) {
    const head = `Target ≥ ${target}× bare \`Deno.serve\` (clone) on ${file}:`;
    const r = ratio(report, "deno", file);
    out.push(
      r === undefined
        ? `${head} not measured.`
        : `${head} ${fmtRatio(r)} of median req/s — ${r >= target ? "MET" : "NOT MET"}`,
    );
  }
  const d = report.downloadMemory;
  const head = `Target: ${d?.parallel ?? 10} parallel downloads of one ${
    fmtMiB(d?.bytes ?? 50 * 1024 * 1024)
  } file grow fazt's memory by ≤ ${fmtMiB(DOWNLOAD_GROWTH_TARGET_BYTES)}:`;
  out.push(
    d === undefined
      ? `${head} not measured.`
      : `${head} ${fmtMiB(d.growth)} (from ${fmtMiB(d.before)} to a peak of ${
        fmtMiB(d.peak)
      }, all downloads done in ${d.seconds.toFixed(1)} s) — ${
        d.growth <= DOWNLOAD_GROWTH_TARGET_BYTES ? "MET" : "NOT MET"
      }`,
  );
  return out;
}

function loadLines(report: BenchReport): string[] {
  const { start, afterRounds, end } = report.loadAverage;
  const lines = [`before the first measurement: ${start}`];
  const between = afterRounds.slice(0, -1);
  between.forEach((l, i) => lines.push(`after round ${i + 1}: ${l}`));
  lines.push(
    `after the last measurement${between.length ? ` (round ${afterRounds.length})` : ""}: ${end}`,
  );
  return lines;
}

/** A plain-text table (header first), columns right-aligned where `right(i)`. */
export function textTable(rows: string[][], right: (i: number) => boolean): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
}

const resultRight = (i: number) => i >= 2 && i <= 5;

/** A plain-text version for the terminal. */
export function renderText(report: BenchReport): string {
  const n = report.load.rounds;
  const out = [
    `Median of ${n} round${n === 1 ? "" : "s"} per target × file:`,
    ...textTable(tableRows(report), resultRight),
    "",
  ];
  if (n > 1) {
    out.push("Every round (req/s / p99):", ...textTable(roundRows(report), (i) => i >= 2), "");
  }
  out.push("Ratios (fazt median req/s ÷ reference median req/s):");
  out.push(...textTable(ratioRows(report), (i) => i >= 1), "");
  out.push(...nginxVerdicts(report));
  out.push(...issue18Verdicts(report));
  const mem = report.faztMemory;
  out.push(
    `fazt RSS: ${fmtMiB(mem.idle.rss)} idle after deploy, ${
      fmtMiB(mem.afterLoad.rss)
    } after load (peak ${fmtMiB(mem.idle.peakRss)} before load, ${
      fmtMiB(mem.afterLoad.peakRss)
    } after)`,
  );
  out.push(
    `bare Deno RSS: ${fmtMiB(report.bareMemory.idle.rss)} idle, ${
      fmtMiB(report.bareMemory.afterLoad.rss)
    } after load (peak ${fmtMiB(report.bareMemory.afterLoad.peakRss)})`,
  );
  out.push(`load average (1/5/15 min): ${loadLines(report).join("; ")}`);
  return out.join("\n");
}

/** A Markdown table (header first), columns right-aligned where `right(i)`. */
export function mdTable(rows: string[][], right: (i: number) => boolean): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  return [
    `| ${rows[0].map(esc).join(" | ")} |`,
    `| ${rows[0].map((_, i) => (right(i) ? "---:" : "---")).join(" | ")} |`,
    ...rows.slice(1).map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/** Lines of `b` that differ from `a` at the same position (both configs share one template). */
function changedLines(a: string, b: string): string[] {
  const la = a.split("\n");
  return b.split("\n").filter((line, i) => la[i] !== line);
}

function nginxSection(report: BenchReport): string[] {
  const [first, ...rest] = report.nginxConfigs;
  if (!first) return [];
  const lines = [`nginx configuration of ${first.label}:`, "", "```nginx", first.config.trimEnd()];
  lines.push("```", "");
  for (const other of rest) {
    lines.push(
      `${other.label} runs the same template; only these lines differ (its own prefix, port and worker count):`,
      "",
      "```nginx",
      ...changedLines(first.config, other.config),
      "```",
      "",
    );
  }
  return lines;
}

/**
 * The static suite's section of `docs/BENCHMARKS.md`: a `## Static serving`
 * heading with `###` subsections (see `document.ts` for the whole file).
 */
export function renderStaticSection(report: BenchReport): string {
  const { machine, versions, load } = report;
  const nginxAbsent = report.targets.find((t) => t.id === "nginx1")?.status === "absent";
  const nginxNote = report.targets.find((t) => t.id === "nginx1")?.note ?? "not installed";
  const mem = report.faztMemory;
  const n = load.rounds;
  const measured = report.targets.filter((t) => t.status === "measured").length;
  const minutes = (report.elapsedSeconds / 60).toFixed(1);
  const lines = [
    "## Static serving",
    "",
    `Static file throughput of fazt against nginx (1 and 2 worker processes) and a bare \`Deno.serve\`, measured in the same run on the same machine. Date: ${report.date}.`,
    "",
    "### Machine",
    "",
    `- CPUs (nproc): ${machine.nproc}`,
    `- CPU model: ${machine.cpuModel}`,
    `- RAM: ${fmtMiB(machine.memTotalBytes)}`,
    `- Kernel: ${machine.kernel}`,
    `- Load average (1/5/15 min, from \`uptime\`) ${
      loadLines(report).join("; ")
    }. The benchmark itself keeps the CPUs busy, so the 1-minute value rises during the run; a high value *before* the first measurement means other work shared the CPUs and the numbers are noisier.`,
    "",
    "### Versions",
    "",
    `- Deno: ${versions.deno}`,
    `- nginx: ${versions.nginx}`,
    `- wrk: ${versions.wrk}`,
    "",
    "### What is measured",
    "",
    "- Site: `2k.html` (exactly 2,048 bytes), `100k.bin` (102,400 random bytes) and `index.html`, in one temp folder.",
    "- **fazt**: `fazt serve` as a real process with the permission flags of the `fazt` task, the site deployed as app `bench` with the real CLI (`fazt app add`); requests carry `Host: bench.localhost`. fazt serves `2k.html` at its clean URL `/2k` (it answers `/2k.html` with a 308 redirect there), so fazt is loaded at `/2k` and the others at `/2k.html`. Both files are served from fazt's in-memory content cache. fazt answers HTTP on one JavaScript thread.",
    `- **nginx (1 worker)** and **nginx (2 workers)**: ${
      nginxAbsent
        ? `absent — ${nginxNote}. No numbers are shown for them and the nginx target is unverified.`
        : "the Debian package, two instances rendered from the same config template (below), differing only in `worker_processes` (1 and 2) and their own prefix and port: `access_log off`, `sendfile on`, root = the same site folder. fazt serves on one JavaScript thread and is meant for a 1-vCPU VPS, where one nginx worker is what nginx can use too, so the 1-worker instance is the like-for-like reference. The 2-worker instance is what nginx does with both CPUs of this machine; it is reported next to it, not instead of it. Note that wrk runs on the same two CPUs, so the second worker does not get a CPU of its own."
    }`,
    "- **bare Deno (clone)**: `bench/bare_deno_server.ts`, a minimal `Deno.serve` that builds one `Response` per file at startup (content-type and content-length only) and answers each request with `proto.clone()`. That is the fastest way we know to send a fixed body with `Deno.serve`, and what fazt itself does for cached files, so it is the fair floor: fazt minus this is fazt's own overhead (routing, headers, cache lookup).",
    "- **bare Deno (new Response)**: the same process answering `/new/2k.html` and `/new/100k.bin` with a `new Response(bytes, { headers })` built per request, the naive way. It is cheap to measure alongside and shows what the clone saves (most visible on the 100 KB file); it is not the floor.",
    `- Load: \`wrk -t${load.threads} -c${load.connections} -d${load.duration} --latency\` per target × file, each after a ${load.warmup} warm-up of the same kind; one target at a time, never concurrently. Every target is first checked to answer 200 with the exact bytes of each file.`,
    `- Rounds: ${n} (\`BENCH_ROUNDS\`). Each round measures every file against every target in turn (${
      report.targets.filter((t) => t.status === "measured").map((t) => t.label).join(", ")
    }, then the next file), so slow drifts in the machine's load hit all targets alike. The tables show the median of the rounds for req/s, p99 and the other columns (each column's own median); errors are summed over the rounds. Ratios divide the medians; the range in brackets is the ratio within each round.`,
    "- wrk runs on the same machine and competes with the server for the same CPUs; compare ratios, not absolute numbers, across machines.",
    "- wrk does not send `Accept-Encoding`, so every server sends the files uncompressed.",
    "",
    "### Results",
    "",
    `Median of ${n} round${
      n === 1 ? "" : "s"
    }. MB/s is wrk's transfer rate (headers + bodies, 1 MB = 2^20 bytes). Errors are non-2xx/3xx responses and socket errors reported by wrk, over all rounds.`,
    "",
    mdTable(tableRows(report), resultRight),
    "",
  ];
  if (n > 1) {
    lines.push(
      "Every round, as req/s / p99 latency. Spread is (max − min) / median of the req/s; a large spread means the shared machine was noisy.",
      "",
      mdTable(roundRows(report), (i) => i >= 2),
      "",
    );
  }
  lines.push(
    "### Ratios",
    "",
    "fazt's median req/s divided by the reference's median req/s (above 1× means fazt is faster).",
    "",
    mdTable(ratioRows(report), (i) => i >= 1),
    "",
    "The issue's target, ≥ 0.9× nginx on the 2 KB file, against both nginx references:",
    "",
    ...nginxVerdicts(report).map((v) => `- ${v}`),
    "",
    "Issue 18's targets against bare `Deno.serve` serving the same bytes from memory, and fazt's memory while 10 clients (`curl`) download one large, incompressible file at once (resident memory of fazt and its child processes, summed, sampled every 5 ms; growth = highest sum during the downloads − sum just before, after one warm-up download):",
    "",
    ...issue18Verdicts(report).map((v) => `- ${v}`),
    "",
    "### fazt memory",
    "",
    "Resident set size of the `fazt serve` process (`/proc/<pid>/status`; the process is started directly, not through `deno task`, so the pid is the server's):",
    "",
    `- idle, right after deploy: ${fmtMiB(mem.idle.rss)}`,
    `- after all load: ${fmtMiB(mem.afterLoad.rss)}`,
    `- peak (VmHWM) before the load, i.e. startup and deploy: ${fmtMiB(mem.idle.peakRss)}`,
    `- peak (VmHWM) after the load: ${fmtMiB(mem.afterLoad.peakRss)}`,
    "",
    `For comparison, the bare Deno reference process (both variants; same moments): ${
      fmtMiB(report.bareMemory.idle.rss)
    } idle, ${fmtMiB(report.bareMemory.afterLoad.rss)} after load, peak ${
      fmtMiB(report.bareMemory.afterLoad.peakRss)
    }.`,
    "",
    "### Commands",
    "",
    `The exact commands of this run (temp paths and ports vary per run); each wrk command ran ${n} time${
      n === 1 ? "" : "s"
    }, interleaved as described above:`,
    "",
    "```sh",
    ...report.commands,
    "```",
    "",
    ...nginxSection(report),
    "### How to reproduce",
    "",
    "```sh",
    "apt-get install wrk nginx   # nginx is optional; without it the nginx rows say absent",
    "BENCH_SUITES=static deno task bench             # this section only, one round (BENCH_ROUNDS=1)",
    "BENCH_SUITES=static BENCH_ROUNDS=3 deno task bench   # 3 interleaved rounds; the tables show their median",
    "deno task bench                                 # both suites (static, then runtime)",
    "```",
    "",
    `Other settings: \`BENCH_DURATION\` (wrk \`-d\`, default 5s) and \`BENCH_WARMUP\` (default 2s). Each round runs ${measured} targets × ${FILES.length} files × (warm-up + duration); this suite took ${minutes} minutes in all, setup included. A run rewrites this section (a run without the static suite keeps it as it is) and prints the tables.`,
    "",
  );
  return lines.join("\n");
}
