/**
 * The data suite's results and how they are shown: its section of
 * `docs/BENCHMARKS.md` (`fazt.kv.set` writes/s from a handler,
 * `fazt.docs.find` latency on 100,000 documents with and without a
 * declared index, each target marked met or not met) and a plain-text
 * summary for the terminal.
 *
 * @module
 */
import type { WrkResult } from "./wrk.ts";
import type { MachineInfo } from "./suite.ts";
import { fmtInt, fmtMiB, fmtMs, mdTable, median, textTable } from "./report.ts";

/** `fazt.kv.set` calls per second from one app's handlers should reach this. */
export const KV_SET_TARGET = 20_000;
/** `fazt.docs.find` with an indexed filter on 100,000 documents: p99 at most this (ms). */
export const FIND_P99_TARGET_MS = 2;

/** One round of the kv.set load. */
export interface KvSample {
  /** Round number, from 1. */
  round: number;
  /** wrk's result. */
  result: WrkResult;
  /** `fazt.kv.set` calls per second. */
  writesPerSec: number;
  /** Kernel CPU per write (µs), when readable. */
  kernelUsPerWrite?: number;
  /** Sandbox CPU per write (µs), when readable. */
  sandboxUsPerWrite?: number;
}

/** The timings of one series of `find` calls. */
export interface FindSample {
  /** What was measured, as the table shows it. */
  label: string;
  /** Whether the filtered field was indexed. */
  indexed: boolean;
  /** Timed calls. */
  calls: number;
  /** Median time (ms). */
  p50Ms: number;
  /** 99th percentile (ms). */
  p99Ms: number;
  /** Slowest call (ms). */
  maxMs: number;
}

/** Everything the data suite measured. */
export interface DataReport {
  /** When the suite started (ISO). */
  date: string;
  /** How long it ran (s). */
  elapsedSeconds: number;
  /** The machine. */
  machine: MachineInfo;
  /** Deno and wrk versions. */
  versions: { deno: string; wrk: string };
  /** Load settings. */
  load: { duration: string; warmup: string; rounds: number };
  /** kv.set calls per request. */
  kvOpsPerRequest: number;
  /** The kv.set rounds. */
  kv: KvSample[];
  /** Documents in the collection. */
  docCount: number;
  /** Documents one find returns. */
  docsPerOwner: number;
  /** How long seeding took (s). */
  seedSeconds: number;
  /** Deploy with the index declared + one write (which waits for the build), in s. */
  indexBuildSeconds: number;
  /** Without, then with the index. */
  finds: FindSample[];
  /** The app's `api/main.js`. */
  source: string;
  /** The `app.json` declaring the index. */
  manifest: string;
  /** Load averages read during the run. */
  loadAverage: { label: string; value: string }[];
  /** The commands, to reproduce. */
  commands: string[];
}

function kvMedian(report: DataReport): number {
  return median(report.kv.map((k) => k.writesPerSec));
}

/** The targets, each marked met or NOT MET. */
export function dataVerdicts(report: DataReport): string[] {
  const writes = kvMedian(report);
  const indexed = report.finds.find((f) => f.indexed);
  const verdict = (ok: boolean) => ok ? "**met**" : "**NOT MET**";
  return [
    `fazt.kv.set ≥ ${
      fmtInt(KV_SET_TARGET)
    } writes/s (${report.kvOpsPerRequest} sequential awaits per request, -c4): ${
      fmtInt(writes)
    } writes/s — ${verdict(writes >= KV_SET_TARGET)}`,
    `fazt.docs.find on ${
      fmtInt(report.docCount)
    } documents with an indexed filter, p99 ≤ ${FIND_P99_TARGET_MS} ms: ${
      indexed ? fmtMs(indexed.p99Ms) : "—"
    } — ${verdict(indexed !== undefined && indexed.p99Ms <= FIND_P99_TARGET_MS)}`,
  ];
}

function kvRows(report: DataReport): string[][] {
  const us = (v: number | undefined) => v === undefined ? "—" : `${v.toFixed(1)} µs`;
  return [
    [
      "round",
      "req/s",
      "writes/s",
      "p50",
      "p99",
      "kernel CPU/write",
      "sandbox CPU/write",
      "non-2xx",
    ],
    ...report.kv.map((k) => [
      String(k.round),
      k.result.requestsPerSec.toFixed(1),
      fmtInt(k.writesPerSec),
      fmtMs(k.result.latencyP50Ms),
      fmtMs(k.result.latencyP99Ms),
      us(k.kernelUsPerWrite),
      us(k.sandboxUsPerWrite),
      String(k.result.non2xx3xx),
    ]),
  ];
}

function findRows(report: DataReport): string[][] {
  return [
    ["find({owner})", "calls", "p50", "p99", "max"],
    ...report.finds.map((f) => [
      f.label,
      String(f.calls),
      fmtMs(f.p50Ms),
      fmtMs(f.p99Ms),
      fmtMs(f.maxMs),
    ]),
  ];
}

/** The data suite's section of `docs/BENCHMARKS.md` (`## App data` with `###` subsections). */
export function renderDataSection(report: DataReport): string {
  const { machine, versions, load } = report;
  const right = (i: number) => i >= 1;
  return [
    "## App data",
    "",
    `The app data stores (\`fazt.kv\`, \`fazt.docs\`) seen from a handler on a real \`fazt serve\` (\`bench/data_suite.ts\`). Date: ${report.date}. Machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${
      fmtMiB(machine.memTotalBytes)
    } RAM, ${machine.kernel}; Deno ${versions.deno}; ${versions.wrk}.`,
    "",
    "### Targets",
    "",
    ...dataVerdicts(report).map((v) => `- ${v}`),
    "",
    "Load average (1/5/15 min): " +
    report.loadAverage.map((l) => `${l.label}: ${l.value}`).join("; ") + ".",
    "",
    "### fazt.kv.set from a handler",
    "",
    `\`GET /api/kv-set\` runs ${report.kvOpsPerRequest} sequential \`await fazt.kv.set("k" + i, i)\`; wrk -t2 -c4 -d${load.duration} after a ${load.warmup} warm-up, ${load.rounds} round(s). Writes/s = req/s × ${report.kvOpsPerRequest}. *CPU/write* is the CPU time (user + system, \`/proc/<pid>/stat\`) of fazt's kernel process and of the app's sandbox divided by the writes. Each write is acknowledged after its transaction committed to the WAL of the app's \`store.db\` (\`synchronous = NORMAL\`): it survives fazt being killed at any point; an OS crash or power loss may lose the last commits before the next checkpoint.`,
    "",
    mdTable(kvRows(report), right),
    "",
    "### fazt.docs.find on 100,000 documents",
    "",
    `Collection \`items\` holds ${
      fmtInt(report.docCount)
    } documents (\`{owner, n, title, done}\`, each \`owner\` on ${report.docsPerOwner} of them; seeded with 1,000-document inserts in ${
      report.seedSeconds.toFixed(1)
    } s). The handler times each \`await fazt.docs.find("items", {owner})\` for a random owner with \`performance.now()\` (so the times include the bridge round trip) and checks it got ${report.docsPerOwner} documents. First without an index, then after a redeploy adding \`app.json\` \`${report.manifest}\`; that deploy and the app's next write (which waits for the index) took ${
      report.indexBuildSeconds.toFixed(1)
    } s.`,
    "",
    mdTable(findRows(report), right),
    "",
    "### App and commands",
    "",
    "```js",
    report.source.trimEnd(),
    "```",
    "",
    "```sh",
    ...report.commands,
    "```",
  ].join("\n");
}

/** A plain-text version for the terminal. */
export function renderDataText(report: DataReport): string {
  return [
    "App data:",
    ...textTable(kvRows(report), (i) => i >= 1),
    "",
    ...textTable(findRows(report), (i) => i >= 1),
    "",
    ...dataVerdicts(report),
  ].join("\n");
}
