/**
 * Turning benchmark results into `docs/BENCHMARKS.md` and a plain-text
 * table for the terminal: results per target × file, the fazt/nginx and
 * fazt/bare-Deno ratios, fazt's memory, and how the numbers were made.
 *
 * @module
 */
import type { WrkResult } from "./wrk.ts";
import type { ProcessMemory } from "./process.ts";

/** The throughput fazt should reach relative to nginx for the 2 KB file. */
export const NGINX_TARGET_RATIO = 0.9;

/** The servers compared. */
export type TargetId = "fazt" | "nginx" | "deno";

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
  /** What wrk measured. */
  result: WrkResult;
}

/** Everything the report shows. */
export interface BenchReport {
  /** When the run started (ISO 8601). */
  date: string;
  /** The machine. */
  machine: { nproc: number; cpuModel: string; memTotalBytes: number; kernel: string };
  /** /proc/loadavg (1, 5, 15 min) before and after the load, to judge noise from other work. */
  loadAverage: { start: string; end: string };
  /** Tool versions, as printed by the tools. */
  versions: { deno: string; nginx: string; wrk: string };
  /** Load settings. */
  load: { threads: number; connections: number; duration: string; warmup: string };
  /** The exact commands that were run, in order. */
  commands: string[];
  /** The servers. */
  targets: TargetInfo[];
  /** The measurements. */
  measurements: Measurement[];
  /** fazt's memory: right after deploy (idle) and after all load. */
  faztMemory: { idle: ProcessMemory; afterLoad: ProcessMemory };
  /** The bare Deno reference's memory at the same moments, for comparison. */
  bareMemory: { idle: ProcessMemory; afterLoad: ProcessMemory };
  /** The nginx configuration, when nginx ran. */
  nginxConfig?: string;
}

/** The files measured, in table order. */
export const FILES = ["2k.html", "100k.bin"] as const;

const MB = 1024 * 1024;

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function fmtMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

function fmtMiB(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MiB`;
}

function errorsOf(r: WrkResult): string {
  if (r.non2xx3xx === 0 && r.socketErrors === 0) return "0";
  const parts: string[] = [];
  if (r.non2xx3xx) parts.push(`${r.non2xx3xx} non-2xx/3xx`);
  if (r.socketErrors) parts.push(`${r.socketErrors} socket (${r.socketErrorDetail})`);
  return parts.join(", ");
}

function find(report: BenchReport, target: TargetId, file: string): Measurement | undefined {
  return report.measurements.find((m) => m.target === target && m.file === file);
}

/** fazt's req/s divided by another target's for `file`, or undefined when either is missing. */
export function ratio(report: BenchReport, other: TargetId, file: string): number | undefined {
  const fazt = find(report, "fazt", file);
  const them = find(report, other, file);
  if (!fazt || !them || them.result.requestsPerSec === 0) return undefined;
  return fazt.result.requestsPerSec / them.result.requestsPerSec;
}

/** The rows of the results table (header first). */
export function tableRows(report: BenchReport): string[][] {
  const rows = [["Target", "File", "Req/s", "Latency avg", "Latency p99", "MB/s", "Errors"]];
  for (const t of report.targets) {
    for (const file of FILES) {
      const m = find(report, t.id, file);
      if (!m) {
        rows.push([t.label, file, t.status === "absent" ? "absent" : "—", "—", "—", "—", "—"]);
        continue;
      }
      const r = m.result;
      rows.push([
        t.label,
        file,
        fmtInt(r.requestsPerSec),
        fmtMs(r.latencyAvgMs),
        fmtMs(r.latencyP99Ms),
        (r.transferBytesPerSec / MB).toFixed(1),
        errorsOf(r),
      ]);
    }
  }
  return rows;
}

/** The nginx verdict line: ratio and whether the ≥ 0.9× target is met. */
export function nginxVerdict(report: BenchReport): string {
  const nginx = report.targets.find((t) => t.id === "nginx");
  if (!nginx || nginx.status === "absent") {
    return `fazt/nginx (2k.html): not measured — nginx is absent (${
      nginx?.note ?? "not installed"
    }); the ≥ ${NGINX_TARGET_RATIO}× nginx target is unverified.`;
  }
  const r = ratio(report, "nginx", "2k.html");
  if (r === undefined) return "fazt/nginx (2k.html): not measured.";
  const met = r >= NGINX_TARGET_RATIO ? "MET" : "NOT MET";
  return `fazt/nginx (2k.html): ${r.toFixed(2)}× — target ≥ ${NGINX_TARGET_RATIO}× nginx: ${met}`;
}

function ratioText(r: number | undefined): string {
  return r === undefined ? "not measured" : `${r.toFixed(2)}×`;
}

/** A plain-text version for the terminal. */
export function renderText(report: BenchReport): string {
  const rows = tableRows(report);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  const out = [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of rows.slice(1)) out.push(line(r));
  out.push("");
  out.push(nginxVerdict(report));
  out.push(`fazt/nginx (100k.bin): ${ratioText(ratio(report, "nginx", "100k.bin"))}`);
  for (const file of FILES) {
    out.push(`fazt/bare Deno (${file}): ${ratioText(ratio(report, "deno", file))}`);
  }
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
  out.push(`load average before/after: ${report.loadAverage.start} / ${report.loadAverage.end}`);
  return out.join("\n");
}

function mdTable(rows: string[][]): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  const right = (i: number) => i >= 2 && i <= 5;
  return [
    `| ${rows[0].map(esc).join(" | ")} |`,
    `| ${rows[0].map((_, i) => (right(i) ? "---:" : "---")).join(" | ")} |`,
    ...rows.slice(1).map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/** The whole `docs/BENCHMARKS.md`. */
export function renderMarkdown(report: BenchReport): string {
  const { machine, versions, load } = report;
  const nginx = report.targets.find((t) => t.id === "nginx");
  const mem = report.faztMemory;
  const lines = [
    "# Benchmarks",
    "",
    "<!-- Generated by `deno task bench` (bench/run.ts). Do not edit by hand: rerun it. -->",
    "",
    `Static file throughput of fazt against nginx and a bare \`Deno.serve\`, measured in the same run on the same machine. Date: ${report.date}.`,
    "",
    "## Machine",
    "",
    `- CPUs (nproc): ${machine.nproc}`,
    `- CPU model: ${machine.cpuModel}`,
    `- RAM: ${fmtMiB(machine.memTotalBytes)}`,
    `- Kernel: ${machine.kernel}`,
    `- Load average (1/5/15 min) before the load: ${report.loadAverage.start}; after: ${report.loadAverage.end}. Above ~0.2 other work shared the CPUs and the numbers are noisier.`,
    "",
    "## Versions",
    "",
    `- Deno: ${versions.deno}`,
    `- nginx: ${versions.nginx}`,
    `- wrk: ${versions.wrk}`,
    "",
    "## What is measured",
    "",
    "- Site: `2k.html` (exactly 2,048 bytes), `100k.bin` (102,400 random bytes) and `index.html`, in one temp folder.",
    "- **fazt**: `fazt serve` as a real process with the permission flags of the `fazt` task, the site deployed as app `bench` with the real CLI (`fazt app add`); requests carry `Host: bench.localhost`. fazt serves `2k.html` at its clean URL `/2k` (it answers `/2k.html` with a 308 redirect there), so fazt is loaded at `/2k` and the others at `/2k.html`. Both files are served from fazt's in-memory content cache.",
    `- **nginx**: ${
      nginx?.status === "absent"
        ? `absent — ${nginx.note ?? "not installed"}. No numbers are shown for it.`
        : "the Debian package, own prefix and config (below): `worker_processes 2`, `access_log off`, `sendfile on`, root = the same site folder."
    }`,
    "- **bare Deno**: `bench/bare_deno_server.ts`, a minimal `Deno.serve` answering both files from memory (content-type and content-length only). fazt minus this is fazt's own overhead.",
    `- Load: \`wrk -t${load.threads} -c${load.connections} -d${load.duration} --latency\` per target × file, after a ${load.warmup} warm-up of the same kind; targets run one after another, never concurrently. Every target is first checked to answer 200 with the exact bytes of each file.`,
    "- wrk runs on the same machine and competes with the server for the same CPUs; compare ratios, not absolute numbers, across machines.",
    "- wrk does not send `Accept-Encoding`, so every server sends the files uncompressed.",
    "",
    "## Results",
    "",
    "MB/s is wrk's transfer rate (headers + bodies, 1 MB = 2^20 bytes). Errors are non-2xx/3xx responses and socket errors reported by wrk.",
    "",
    mdTable(tableRows(report)),
    "",
    "## Ratios",
    "",
    `- ${nginxVerdict(report)}`,
    `- fazt/nginx (100k.bin): ${ratioText(ratio(report, "nginx", "100k.bin"))}`,
    ...FILES.map((f) => `- fazt/bare Deno (${f}): ${ratioText(ratio(report, "deno", f))}`),
    "",
    "## fazt memory",
    "",
    "Resident set size of the `fazt serve` process (`/proc/<pid>/status`; the process is started directly, not through `deno task`, so the pid is the server's):",
    "",
    `- idle, right after deploy: ${fmtMiB(mem.idle.rss)}`,
    `- after all load: ${fmtMiB(mem.afterLoad.rss)}`,
    `- peak (VmHWM) before the load, i.e. startup and deploy: ${fmtMiB(mem.idle.peakRss)}`,
    `- peak (VmHWM) after the load: ${fmtMiB(mem.afterLoad.peakRss)}`,
    "",
    `For comparison, the bare Deno reference (same moments): ${
      fmtMiB(report.bareMemory.idle.rss)
    } idle, ${fmtMiB(report.bareMemory.afterLoad.rss)} after load, peak ${
      fmtMiB(report.bareMemory.afterLoad.peakRss)
    }.`,
    "",
    "## Commands",
    "",
    "The exact commands of this run (temp paths and ports vary per run):",
    "",
    "```sh",
    ...report.commands,
    "```",
    "",
  ];
  if (report.nginxConfig) {
    lines.push("nginx configuration:", "", "```nginx", report.nginxConfig.trimEnd(), "```", "");
  }
  lines.push(
    "## How to reproduce",
    "",
    "```sh",
    "apt-get install wrk nginx   # nginx is optional; without it the nginx rows say absent",
    "deno task bench             # BENCH_DURATION=10s deno task bench for longer runs",
    "```",
    "",
    "The run takes about a minute, rewrites this file and prints the table.",
    "",
  );
  return lines.join("\n");
}
