/**
 * The https suite's results and how they are shown: its section of
 * `docs/BENCHMARKS.md` and a plain-text summary for the terminal. Medians
 * of the rounds per server × mode, what every run really did (connections
 * opened, full and resumed handshakes), fazt's ratios to Caddy and nginx
 * with the targets judged, each server's memory, the cockpit's latency
 * while an app is flooded over HTTPS, and how the numbers were made.
 *
 * @module
 */
import type { WrkResult } from "./wrk.ts";
import type { HandshakeCounts, TlsProbe } from "./tls_client.ts";
import { fmtInt, fmtMiB, fmtMs, fmtRatio, mdTable, median, textTable } from "./report.ts";
import type { MachineInfo } from "./suite.ts";
import type { Latency } from "./safeguards_suite.ts";

/** Keep-alive throughput must reach this many times Caddy's. */
export const KEEPALIVE_TARGET = 1.0;
/** Handshakes per second must reach this many times Caddy's. */
export const HANDSHAKE_TARGET = 0.8;
/** The cockpit's p99 during the flood may be at most this many times its idle p99. */
export const COCKPIT_TARGET = 3;

/** The servers compared. */
export type HttpsTargetId = "fazt" | "caddy" | "nginx1" | "nginx2";

/**
 * How wrk connects: `keepalive` (one connection per wrk connection),
 * `resumed` (a new connection per request; wrk offers the previous TLS 1.3
 * session ticket, so the handshake resumes when the server accepts it) and
 * `full` (a new connection per request, a full handshake each time).
 */
export type HttpsMode = "keepalive" | "resumed" | "full";

/** The modes in table order. */
export const MODES: readonly HttpsMode[] = ["keepalive", "resumed", "full"];

/** How each mode appears in tables. */
export const MODE_LABELS: Record<HttpsMode, string> = {
  keepalive: "keep-alive",
  resumed: "new connection, resumption allowed",
  full: "new connection, full handshake",
};

/** One server under test. */
export interface HttpsTargetInfo {
  /** Its id. */
  id: HttpsTargetId;
  /** How it appears in tables. */
  label: string;
  /** Whether it was measured; "absent" when it is not installed. */
  status: "measured" | "absent";
  /** Why it is absent. */
  note?: string;
}

/** One wrk run. */
export interface HttpsMeasurement {
  /** The server. */
  target: HttpsTargetId;
  /** How wrk connected. */
  mode: HttpsMode;
  /** The round, from 1. */
  round: number;
  /** What wrk measured. */
  result: WrkResult;
  /** TCP connections the machine accepted during the run (`PassiveOpens` of /proc/net/snmp). */
  connections: number;
  /** Handshakes wrk completed, as the shim counted them (undefined without the shim). */
  handshakes?: HandshakeCounts;
  /** CPU time the server's processes used during the run (user + system), seconds. */
  serverCpuSeconds: number;
  /** The share of the machine's CPU time that was busy during the run (0–1), wrk included. */
  machineBusy: number;
  /** The busy share in the half second before the run (other work on the machine), 0–1. */
  background: number;
}

/** The resident memory of a server's processes (the main one and everything below it). */
export interface ServerMemory {
  /** How many processes. */
  processes: number;
  /** Summed VmRSS after setup, before any load. */
  idle: number;
  /** Summed VmRSS after all the load. */
  afterLoad: number;
  /** Summed VmHWM (each process's peak) after all the load. */
  peak: number;
  /** VmRSS of the main process alone (fazt's kernel, Caddy, nginx's master): idle and after load. */
  main: { idle: number; afterLoad: number };
}

/** The cockpit's latency in one phase. */
export interface CockpitPhase {
  /** `idle` or what was flooded. */
  name: string;
  /** `GET /_fazt/api/system/status` on the admin host over HTTPS. */
  status: Latency;
  /** What wrk measured on the flooded app (null when idle). */
  flood: WrkResult | null;
  /** The wrk command (null when idle). */
  command: string | null;
  /** Load averages before and after. */
  load: [string, string];
}

/** Everything the section shows. */
export interface HttpsReport {
  /** When the run started (ISO 8601). */
  date: string;
  /** Wall-clock seconds of the suite. */
  elapsedSeconds: number;
  /** The machine. */
  machine: MachineInfo;
  /** Load averages before, after each round, and at the end. */
  loadAverage: { start: string; afterRounds: string[]; end: string };
  /** Tool versions. */
  versions: { deno: string; caddy: string; nginx: string; wrk: string; openssl: string };
  /** Load settings. */
  load: { threads: number; connections: number; duration: string; warmup: string; rounds: number };
  /** The certificate every server used. */
  certificate: { description: string; names: string[] };
  /** What the client offers (protocol, group, cipher). */
  client: { protocol: string; group: string; cipher: string };
  /** What each server negotiated with the pinned client. */
  negotiated: Partial<Record<HttpsTargetId, TlsProbe>>;
  /** The servers, in measuring order. */
  targets: HttpsTargetInfo[];
  /** The modes measured; a missing one says why in `modeNotes`. */
  modes: HttpsMode[];
  /** Why a mode was not measured. */
  modeNotes: Partial<Record<HttpsMode, string>>;
  /** Every wrk run. */
  measurements: HttpsMeasurement[];
  /**
   * For scale: nginx (2 workers) over plain HTTP with a new connection per
   * request, every round (absent without nginx): what TCP connection setup
   * alone allows on this machine.
   */
  plainNewConnection: { round: number; result: WrkResult; connections: number }[];
  /** Each server's memory. */
  memory: Partial<Record<HttpsTargetId, ServerMemory>>;
  /** The cockpit phases: idle, then the flooded `/api` app. */
  cockpit: { samples: number; phases: CockpitPhase[] };
  /** The commands that were run, in order. */
  commands: string[];
  /** The Caddyfile and nginx configuration (of the 1-worker nginx). */
  configs: { caddy?: string; nginx?: string };
}

/** The rounds of one server × mode, summarised. */
export interface HttpsSummary {
  /** Every round's run. */
  runs: HttpsMeasurement[];
  /** Median requests/s. */
  requestsPerSec: number;
  /** Median p99, ms. */
  latencyP99Ms: number;
  /** Median average latency, ms. */
  latencyAvgMs: number;
  /** Connections accepted per completed request, summed over the rounds. */
  connectionsPerRequest: number;
  /** Handshakes summed over the rounds (undefined without the shim). */
  handshakes?: HandshakeCounts;
  /** The server's CPU time per completed request over the rounds, µs. */
  serverCpuPerRequestUs: number;
  /** Median share of the machine's CPU that was busy. */
  machineBusy: number;
  /** The largest busy share before a run (other work on the machine). */
  backgroundMax: number;
  /** Non-2xx/3xx plus socket errors, summed. */
  errors: number;
}

/** The median summary of `target` × `mode`, or undefined when not measured. */
export function summarizeHttps(
  report: HttpsReport,
  target: HttpsTargetId,
  mode: HttpsMode,
): HttpsSummary | undefined {
  const runs = report.measurements
    .filter((m) => m.target === target && m.mode === mode)
    .sort((a, b) => a.round - b.round);
  if (runs.length === 0) return undefined;
  const med = (f: (r: WrkResult) => number) => median(runs.map((m) => f(m.result)));
  const sum = (f: (m: HttpsMeasurement) => number) => runs.reduce((n, m) => n + f(m), 0);
  const counted = runs.every((m) => m.handshakes);
  return {
    runs,
    requestsPerSec: med((r) => r.requestsPerSec),
    latencyP99Ms: med((r) => r.latencyP99Ms),
    latencyAvgMs: med((r) => r.latencyAvgMs),
    connectionsPerRequest: sum((m) => m.connections) / Math.max(1, sum((m) => m.result.requests)),
    handshakes: counted
      ? { full: sum((m) => m.handshakes!.full), resumed: sum((m) => m.handshakes!.resumed) }
      : undefined,
    serverCpuPerRequestUs: sum((m) => m.serverCpuSeconds) * 1e6 /
      Math.max(1, sum((m) => m.result.requests)),
    machineBusy: median(runs.map((m) => m.machineBusy)),
    backgroundMax: Math.max(...runs.map((m) => m.background)),
    errors: sum((m) => m.result.non2xx3xx + m.result.socketErrors),
  };
}

/** fazt's median req/s over `other`'s in `mode`, or undefined when either is missing. */
export function httpsRatio(
  report: HttpsReport,
  other: HttpsTargetId,
  mode: HttpsMode,
): number | undefined {
  const fazt = summarizeHttps(report, "fazt", mode);
  const them = summarizeHttps(report, other, mode);
  if (!fazt || !them || them.requestsPerSec === 0) return undefined;
  return fazt.requestsPerSec / them.requestsPerSec;
}

/** fazt's req/s over `other`'s within each round (the two ran seconds apart). */
export function httpsRoundRatios(
  report: HttpsReport,
  other: HttpsTargetId,
  mode: HttpsMode,
): number[] {
  const out: number[] = [];
  for (let round = 1; round <= report.load.rounds; round++) {
    const at = (t: HttpsTargetId) =>
      report.measurements.find((m) => m.target === t && m.mode === mode && m.round === round);
    const fazt = at("fazt");
    const them = at(other);
    if (fazt && them && them.result.requestsPerSec > 0) {
      out.push(fazt.result.requestsPerSec / them.result.requestsPerSec);
    }
  }
  return out;
}

/**
 * Whether every new-connection run of `target` really opened one connection
 * per request (at least 0.95 accepted connections per completed request).
 */
export function reconnected(s: HttpsSummary): boolean {
  return s.connectionsPerRequest >= 0.95;
}

function handshakeText(s: HttpsSummary): string {
  if (!s.handshakes) return "not counted";
  return `${fmtInt(s.handshakes.full)} full / ${fmtInt(s.handshakes.resumed)} resumed`;
}

function errorsText(s: HttpsSummary): string {
  if (s.errors === 0) return "0";
  const detail = s.runs
    .filter((m) => m.result.non2xx3xx + m.result.socketErrors > 0)
    .map((m) =>
      `${
        m.result.non2xx3xx ? `${m.result.non2xx3xx} non-2xx/3xx, ` : ""
      }${m.result.socketErrorDetail}`
    );
  return `${fmtInt(s.errors)} (${detail.join("; ")})`;
}

/** The results table (header first): one row per server × mode. */
export function httpsRows(report: HttpsReport): string[][] {
  const rows = [[
    "Server",
    "Mode",
    "Req/s",
    "p99",
    "avg",
    "Connections / request",
    "Handshakes (wrk side)",
    "Server CPU / request",
    "Machine CPU busy (before, max)",
    "Errors",
  ]];
  for (const mode of MODES) {
    for (const t of report.targets) {
      const s = summarizeHttps(report, t.id, mode);
      if (!s) {
        const why = t.status === "absent"
          ? "absent"
          : report.modeNotes[mode]
          ? "not measured"
          : "—";
        rows.push([t.label, MODE_LABELS[mode], why, "—", "—", "—", "—", "—", "—", "—"]);
        continue;
      }
      rows.push([
        t.label,
        MODE_LABELS[mode],
        fmtInt(s.requestsPerSec),
        fmtMs(s.latencyP99Ms),
        fmtMs(s.latencyAvgMs),
        s.connectionsPerRequest.toFixed(s.connectionsPerRequest < 0.01 ? 4 : 2) +
        (mode !== "keepalive" && !reconnected(s) ? " (not one per request)" : ""),
        handshakeText(s),
        `${s.serverCpuPerRequestUs.toFixed(0)} µs`,
        `${(s.machineBusy * 100).toFixed(0)}% (${(s.backgroundMax * 100).toFixed(0)}%)`,
        errorsText(s),
      ]);
    }
  }
  return rows;
}

/** The ratio table (header first): fazt ÷ each other server, per mode. */
export function httpsRatioRows(report: HttpsReport): string[][] {
  const rows = [["fazt ÷", ...report.modes.map((m) => MODE_LABELS[m])]];
  for (const t of report.targets) {
    if (t.id === "fazt") continue;
    rows.push([
      t.label,
      ...report.modes.map((m) => {
        if (t.status === "absent") return "absent";
        const r = httpsRatio(report, t.id, m);
        return r === undefined ? "not measured" : fmtRatio(r);
      }),
    ]);
  }
  return rows;
}

/** Whether the cockpit target holds: no failed request and flooded p99 ≤ 3× idle p99. */
export function cockpitVerdict(idle: CockpitPhase, flooded: CockpitPhase): boolean {
  return flooded.status.errors === 0 && idle.status.errors === 0 &&
    flooded.status.p99 <= COCKPIT_TARGET * idle.status.p99;
}

/** The target verdicts, one line each. */
export function httpsVerdicts(report: HttpsReport): string[] {
  const caddy = report.targets.find((t) => t.id === "caddy");
  const line = (what: string, mode: HttpsMode, target: number): string => {
    const head = `${what} ≥ ${target.toFixed(1)}× Caddy:`;
    if (!caddy || caddy.status === "absent") return `${head} unverified — Caddy is absent.`;
    if (!report.modes.includes(mode)) {
      return `${head} unverified — ${report.modeNotes[mode] ?? "not measured"}.`;
    }
    const r = httpsRatio(report, "caddy", mode);
    if (r === undefined) return `${head} not measured.`;
    const fazt = summarizeHttps(report, "fazt", mode)!;
    const them = summarizeHttps(report, "caddy", mode)!;
    const ok = r >= target;
    const rounds = httpsRoundRatios(report, "caddy", mode);
    const range = rounds.length > 1
      ? ` (per round ${fmtRatio(Math.min(...rounds))}–${fmtRatio(Math.max(...rounds))})`
      : "";
    return `${head} fazt ${fmtInt(fazt.requestsPerSec)}/s, Caddy ${
      fmtInt(them.requestsPerSec)
    }/s: ${fmtRatio(r)}${range} — ${ok ? "MET" : "NOT MET"}`;
  };
  const out = [
    line("Keep-alive requests/s", "keepalive", KEEPALIVE_TARGET),
    line("Full handshakes/s (new connection per request)", "full", HANDSHAKE_TARGET),
    line(
      "Handshakes/s with resumption allowed (new connection per request)",
      "resumed",
      HANDSHAKE_TARGET,
    ),
  ];
  const [idle, ...floods] = report.cockpit.phases;
  for (const f of floods) {
    out.push(
      `Cockpit p99 while ${f.name} ≤ ${COCKPIT_TARGET}× idle: ${fmtMs(f.status.p99)} against ${
        fmtMs(idle.status.p99)
      } idle (${(f.status.p99 / idle.status.p99).toFixed(1)}×), ${f.status.errors} failed — ${
        cockpitVerdict(idle, f) ? "MET" : "NOT MET"
      }`,
    );
  }
  return out;
}

/** The memory table (header first). */
export function memoryRows(report: HttpsReport): string[][] {
  const rows = [[
    "Server",
    "Processes",
    "RSS idle",
    "RSS after load",
    "Peak (summed VmHWM)",
    "Main process: idle → after load",
  ]];
  for (const t of report.targets) {
    const m = report.memory[t.id];
    if (!m) {
      rows.push([t.label, "—", t.status === "absent" ? "absent" : "—", "—", "—", "—"]);
      continue;
    }
    rows.push([
      t.label,
      String(m.processes),
      fmtMiB(m.idle),
      fmtMiB(m.afterLoad),
      fmtMiB(m.peak),
      `${fmtMiB(m.main.idle)} → ${fmtMiB(m.main.afterLoad)}`,
    ]);
  }
  return rows;
}

/** The cockpit table (header first). */
export function cockpitRows(report: HttpsReport): string[][] {
  const [idle] = report.cockpit.phases;
  const rows = [["Phase", "OK", "Failed", "p50", "p99", "max", "p99 vs idle"]];
  for (const p of report.cockpit.phases) {
    rows.push([
      p.name,
      String(p.status.n),
      String(p.status.errors),
      fmtMs(p.status.p50),
      fmtMs(p.status.p99),
      fmtMs(p.status.max),
      `${(p.status.p99 / idle.status.p99).toFixed(1)}×`,
    ]);
  }
  return rows;
}

function negotiatedRows(report: HttpsReport): string[][] {
  const rows = [[
    "Server",
    "Protocol",
    "Cipher",
    "Key exchange",
    "Signature",
    "Chain verified",
    "ALPN (offered h2, http/1.1)",
  ]];
  for (const t of report.targets) {
    const p = report.negotiated[t.id];
    if (!p) continue;
    rows.push([
      t.label,
      p.protocol,
      p.cipher,
      p.keyExchange,
      p.signature,
      p.verified ? "yes" : "no",
      p.alpn,
    ]);
  }
  return rows;
}

const right = (from: number, to = Infinity) => (i: number) => i >= from && i <= to;
const rightResults = (i: number) => (i >= 2 && i <= 5) || i === 7 || i === 8;

/** A plain-text summary for the terminal. */
export function renderHttpsText(report: HttpsReport): string {
  const n = report.load.rounds;
  return [
    `HTTPS, 2 KB static file (median of ${n} round${n === 1 ? "" : "s"}):`,
    ...textTable(httpsRows(report), rightResults),
    "",
    ...plainText(report),
    "Ratios (fazt median req/s ÷ the other's):",
    ...textTable(httpsRatioRows(report), right(1)),
    "",
    ...httpsVerdicts(report),
    "",
    "Memory:",
    ...textTable(memoryRows(report), right(1)),
    "",
    "Cockpit (GET /_fazt/api/system/status on the admin host over HTTPS):",
    ...textTable(cockpitRows(report), right(1)),
  ].join("\n");
}

/** True when a 1-minute load average of the run exceeded the CPU count (other work on the machine). */
export function sharedMachine(report: HttpsReport): boolean {
  const { start, afterRounds, end } = report.loadAverage;
  return [start, ...afterRounds, end].some((l) => Number.parseFloat(l) > report.machine.nproc);
}

function loadLines(report: HttpsReport): string {
  const { start, afterRounds, end } = report.loadAverage;
  const between = afterRounds.slice(0, -1).map((l, i) => `after round ${i + 1}: ${l}`);
  return [`before the first measurement: ${start}`, ...between, `after the last: ${end}`].join(
    "; ",
  );
}

function plainText(report: HttpsReport): string[] {
  const runs = report.plainNewConnection;
  if (runs.length === 0) return [];
  const rps = median(runs.map((r) => r.result.requestsPerSec));
  const requests = runs.reduce((n, r) => n + r.result.requests, 0);
  const connections = runs.reduce((n, r) => n + r.connections, 0);
  return [
    `For scale, without TLS: nginx (2 workers) over plain HTTP with a new connection per request (same wrk arguments) answered ${
      fmtInt(rps)
    } req/s (median; ${
      (connections / Math.max(1, requests)).toFixed(2)
    } connections per request). That is what TCP connection setup and teardown alone allow on this machine; the handshake rows above cannot exceed it.`,
    "",
  ];
}

/** The "HTTPS" section of `docs/BENCHMARKS.md`. */
export function renderHttpsSection(report: HttpsReport): string {
  const { load, machine, versions } = report;
  const [idle, ...floods] = report.cockpit.phases;
  const modeNotes = Object.entries(report.modeNotes).map(([m, why]) =>
    `- ${MODE_LABELS[m as HttpsMode]}: not measured — ${why}.`
  );
  return [
    "## HTTPS",
    "",
    `A 2 KB static file over HTTPS from fazt (\`fazt serve --https on\` with the owner's certificate added by \`fazt cert add\`), Caddy (\`file_server\`) and nginx (\`ssl\`, 1 and 2 worker processes), all with the same certificate and key, measured in the same run, one server at a time; then the cockpit's latency on fazt while an \`/api\` app is flooded over HTTPS. \`BENCH_SUITES=https deno task bench\` (bench/https_suite.ts; ${
      report.elapsedSeconds.toFixed(0)
    } s). Date: ${report.date}.`,
    "",
    "### Machine",
    "",
    `- ${machine.nproc} CPUs (${machine.cpuModel}), ${
      fmtMiB(machine.memTotalBytes)
    } RAM, ${machine.kernel}.`,
    `- Deno ${versions.deno}; Caddy ${versions.caddy}; nginx ${versions.nginx}; ${versions.wrk}; ${versions.openssl}.`,
    `- Load average (1/5/15 min): ${loadLines(report)}. wrk and the server share the CPUs.${
      sharedMachine(report)
        ? " The 1-minute load exceeded the CPU count during the run, so other work shared the machine: the numbers are noisier than the method allows; the per-round ratio ranges below and the busy share before each run show how much."
        : ""
    }`,
    "",
    "### TLS",
    "",
    `Certificate: ${report.certificate.description}, for ${
      report.certificate.names.map((n) => `\`${n}\``).join(", ")
    }. The client (wrk, through an OpenSSL configuration passed as \`OPENSSL_CONF\`) offers only ${report.client.protocol}, the ${report.client.group} group and ${report.client.cipher}, so every server negotiates the same; the servers are configured to the same (Caddy \`protocols tls1.3\`, \`curves secp256r1\`; nginx \`ssl_protocols TLSv1.3\`, \`ssl_ecdh_curve prime256v1\`; fazt's defaults). What each server negotiated with that client, checked with \`openssl s_client\` against the benchmark CA and the host name \`localhost\`:`,
    "",
    mdTable(negotiatedRows(report), () => false),
    "",
    "### Static 2 KB over HTTPS",
    "",
    `wrk -t${load.threads} -c${load.connections}, ${load.duration} per run after a ${load.warmup} warm-up with the same arguments, ${load.rounds} round(s) of round → mode → server; medians of the rounds. wrk speaks HTTP/1.1 and sends no ALPN, so every server answers HTTP/1.1. HTTP/2 is not compared: fazt offers HTTP/1.1 only (the ALPN column above), and wrk cannot speak h2. A new connection per request is \`-H 'Connection: close'\`: the server closes after each answer and wrk reconnects. wrk then offers the TLS 1.3 session ticket of its previous connection, so such a handshake _resumes_ (PSK with an ECDHE key exchange, no certificate signature) when the server accepts the ticket: that is the \`resumption allowed\` mode, like a returning visitor. For full handshakes (ECDHE plus the server's ECDSA signature, like a new visitor) wrk runs with bench/tls_handshake_shim.c preloaded (\`LD_PRELOAD\`, \`TLS_SHIM_FRESH=1\`), which drops the remembered session before each handshake; in every mode the shim counts the handshakes wrk completed, full and resumed. _Connections / request_ is the number of TCP connections the machine accepted during the run (\`PassiveOpens\` in /proc/net/snmp) over the requests wrk completed: about 1 means every request had its own connection and handshake; Req/s is then handshakes/s. _Server CPU / request_ is the CPU time (user + system, from /proc/<pid>/stat) of the server's processes during the run over the requests completed: what a request (with its handshake, in the new-connection modes) costs the server, independent of how fast wrk could go. Before each run the suite waits (up to 30 s) until the machine is at most 25% busy for half a second, so work left over from the previous run or other work on the machine settles; _Machine CPU busy_ is the share of both CPUs that was busy during the run (/proc/stat), and in brackets the largest share seen just before a run (above 25%: the machine never quieted down, and that run's numbers are suspect). Near 100% during a run means the machine, not the server alone, set the pace, and then wrk's own handshake work (OpenSSL 3.0 on the client side) takes a large part of it, so a server that needs less CPU per handshake leaves more of it to wrk.`,
    "",
    ...modeNotes,
    ...(modeNotes.length ? [""] : []),
    mdTable(httpsRows(report), rightResults),
    "",
    ...plainText(report),
    "fazt ÷ the others (median req/s):",
    "",
    mdTable(httpsRatioRows(report), right(1)),
    "",
    ...httpsVerdicts(report).map((l) => `- ${l}`),
    "",
    "### Memory",
    "",
    "Resident memory of each server's processes (fazt's kernel and any process below it; Caddy's one process; nginx's master and workers), summed VmRSS from /proc after setup and after all the load above (before the cockpit phase deploys an `/api` app), and the main process alone.",
    "",
    mdTable(memoryRows(report), right(1)),
    "",
    "### The cockpit while an app is flooded over HTTPS",
    "",
    `\`GET /_fazt/api/system/status\` with the owner token on \`admin.localhost\` over HTTPS (SNI and Host \`admin.localhost\`, chain verified against the benchmark CA), one request at a time over a kept-alive connection, ${report.cockpit.samples} requests per phase: idle, then while wrk floods an \`/api\` hello app over HTTPS (\`Host: flood-api.localhost\`, keep-alive; measuring starts 1 s into the flood and stops when wrk stops). Target: flooded p99 ≤ ${COCKPIT_TARGET}× the idle p99, no failed request.`,
    "",
    mdTable(cockpitRows(report), right(1)),
    "",
    ...floods.map((f) =>
      `- ${f.name}: wrk ${fmtInt(f.flood!.requestsPerSec)} requests/s (${
        fmtInt(f.flood!.requests)
      } requests, p99 ${fmtMs(f.flood!.latencyP99Ms)}, non-2xx/3xx ${
        f.flood!.non2xx3xx
      }, socket errors ${f.flood!.socketErrorDetail}); load average before ${f.load[0]}, after ${
        f.load[1]
      }.`
    ),
    `- idle: load average before ${idle.load[0]}, after ${idle.load[1]}.`,
    "",
    "### Commands",
    "",
    "```sh",
    ...report.commands,
    "```",
    "",
    ...(report.configs.caddy
      ? ["Caddyfile:", "", "```", report.configs.caddy.trimEnd(), "```", ""]
      : []),
    ...(report.configs.nginx
      ? [
        "nginx configuration (1 worker; the 2-worker one differs only in its prefix, port and `worker_processes`):",
        "",
        "```nginx",
        report.configs.nginx.trimEnd(),
        "```",
        "",
      ]
      : []),
  ].join("\n");
}
