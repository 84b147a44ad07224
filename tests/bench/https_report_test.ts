import assert from "node:assert/strict";
import {
  cockpitRows,
  type HttpsMeasurement,
  type HttpsMode,
  type HttpsReport,
  httpsRows,
  type HttpsTargetId,
  httpsVerdicts,
  renderHttpsSection,
  sharedMachine,
  summarizeHttps,
} from "../../bench/https_report.ts";
import { parseWrk } from "../../bench/wrk.ts";
import { summarize } from "../../bench/safeguards_suite.ts";

function wrkText(rps: number, requests: number): string {
  return [
    "  Thread Stats   Avg      Stdev     Max   +/- Stdev",
    "    Latency     1.00ms    0.50ms   9.00ms   90.00%",
    "  Latency Distribution",
    "     50%    0.90ms",
    "     99%    4.00ms",
    `  ${requests} requests in 5.00s, 10.00MB read`,
    `Requests/sec: ${rps}`,
    "Transfer/sec:      2.00MB",
  ].join("\n");
}

function run(
  target: HttpsTargetId,
  mode: HttpsMode,
  round: number,
  rps: number,
  connections: number,
): HttpsMeasurement {
  const requests = rps * 5;
  return {
    target,
    mode,
    round,
    result: parseWrk(wrkText(rps, requests)),
    connections,
    handshakes: mode === "full"
      ? { full: connections, resumed: 0 }
      : { full: 50, resumed: Math.max(0, connections - 50) },
    serverCpuSeconds: requests * 100e-6,
    machineBusy: 0.9,
    background: round / 100,
  };
}

function report(fazt: Record<HttpsMode, number>, floodP99: number): HttpsReport {
  const caddy = { keepalive: 10_000, resumed: 2_000, full: 1_000 };
  const measurements: HttpsMeasurement[] = [];
  for (const round of [1, 2, 3]) {
    for (const mode of ["keepalive", "resumed", "full"] as const) {
      const conns = (rps: number) => mode === "keepalive" ? 50 : rps * 5;
      measurements.push(run("fazt", mode, round, fazt[mode], conns(fazt[mode])));
      measurements.push(run("caddy", mode, round, caddy[mode], conns(caddy[mode])));
    }
  }
  const latency = (p99: number) => summarize([...Array(98).fill(1), p99, p99], 0);
  return {
    date: "2026-12-07T00:00:00.000Z",
    elapsedSeconds: 60,
    machine: { nproc: 2, cpuModel: "test", memTotalBytes: 1 << 30, kernel: "linux" },
    loadAverage: { start: "0", afterRounds: ["1", "1", "1"], end: "1" },
    versions: { deno: "d", caddy: "c", nginx: "n", wrk: "w", openssl: "o" },
    load: { threads: 2, connections: 50, duration: "5s", warmup: "2s", rounds: 3 },
    certificate: { description: "ECDSA", names: ["localhost"] },
    client: { protocol: "TLSv1.3", group: "P-256", cipher: "TLS_AES_128_GCM_SHA256" },
    negotiated: {},
    targets: [
      { id: "fazt", label: "fazt", status: "measured" },
      { id: "caddy", label: "Caddy", status: "measured" },
      { id: "nginx1", label: "nginx (1 worker)", status: "absent", note: "not installed" },
    ],
    modes: ["keepalive", "resumed", "full"],
    modeNotes: {},
    measurements,
    plainNewConnection: [],
    memory: {
      fazt: {
        processes: 1,
        idle: 60 << 20,
        afterLoad: 70 << 20,
        peak: 80 << 20,
        main: { idle: 60 << 20, afterLoad: 70 << 20 },
      },
    },
    cockpit: {
      samples: 100,
      phases: [
        { name: "idle", status: latency(2), flood: null, command: null, load: ["0", "0"] },
        {
          name: "the /api app is flooded over HTTPS",
          status: latency(floodP99),
          flood: parseWrk(wrkText(5_000, 50_000)),
          command: "wrk ...",
          load: ["1", "1"],
        },
      ],
    },
    commands: ["fazt serve"],
    configs: {},
  };
}

Deno.test("the targets are judged on medians against Caddy", () => {
  const met = httpsVerdicts(report({ keepalive: 10_000, resumed: 1_600, full: 800 }, 6));
  assert.equal(met.length, 4);
  for (const line of met) assert.match(line, /— MET$/, line);
  assert.match(met[0], /1\.00× \(per round 1\.00×–1\.00×\)/);
  const missed = httpsVerdicts(report({ keepalive: 9_999, resumed: 1_599, full: 799 }, 6.01));
  for (const line of missed) assert.match(line, /— NOT MET$/, line);
});

Deno.test("a failed cockpit request fails the cockpit target", () => {
  const r = report({ keepalive: 10_000, resumed: 2_000, full: 1_000 }, 2);
  r.cockpit.phases[1].status = { ...r.cockpit.phases[1].status, errors: 1 };
  assert.match(httpsVerdicts(r)[3], /NOT MET/);
});

Deno.test("rows show handshakes, connections per request and absent servers", () => {
  const r = report({ keepalive: 10_000, resumed: 2_000, full: 1_000 }, 2);
  const s = summarizeHttps(r, "fazt", "full")!;
  assert.equal(s.connectionsPerRequest, 1);
  assert.deepEqual(s.handshakes, { full: 15_000, resumed: 0 });
  const rows = httpsRows(r);
  const fullFazt = rows.find((row) => row[0] === "fazt" && row[1].includes("full"))!;
  assert.equal(fullFazt[2], "1,000");
  assert.equal(fullFazt[5], "1.00");
  assert.equal(fullFazt[6], "15,000 full / 0 resumed");
  assert.equal(fullFazt[7], "100 µs");
  assert.equal(fullFazt[8], "90% (3%)");
  assert.ok(rows.some((row) => row[0] === "nginx (1 worker)" && row[2] === "absent"));
  // A "new connection" run that reused connections is flagged.
  r.measurements = r.measurements.map((m) =>
    m.target === "caddy" && m.mode === "resumed" ? { ...m, connections: 10 } : m
  );
  const flagged = httpsRows(r).find((row) => row[0] === "Caddy" && row[1].includes("resumption"))!;
  assert.match(flagged[5], /not one per request/);
  assert.equal(cockpitRows(r)[2][6], "1.0×");
  assert.match(renderHttpsSection(r), /^## HTTPS/);
});

Deno.test("a load average above the CPU count marks the run as shared", () => {
  const r = report({ keepalive: 10_000, resumed: 2_000, full: 1_000 }, 2);
  assert.equal(sharedMachine(r), false);
  assert.ok(!renderHttpsSection(r).includes("other work shared the machine"));
  r.loadAverage.afterRounds[1] = "2.50, 1.00, 0.50";
  assert.equal(sharedMachine(r), true);
  assert.ok(renderHttpsSection(r).includes("other work shared the machine"));
});
