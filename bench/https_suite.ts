/**
 * The https suite of `deno task bench`: a 2 KB static file over HTTPS from
 * fazt, Caddy and nginx (1 and 2 workers) with one certificate, and the
 * cockpit's latency on fazt while an `/api` app is flooded over HTTPS.
 *
 * 1. A throwaway CA and an ECDSA P-256 leaf for `localhost`,
 *    `admin.localhost`, `*.localhost` and the app names (tls_cert.ts); an
 *    OpenSSL client configuration that offers only TLS 1.3, P-256 and one
 *    cipher; the wrk handshake shim built with `cc` (tls_client.ts).
 * 2. A real `fazt serve --domain localhost --https on` process; the
 *    certificate added with `fazt cert add`, the site deployed with
 *    `fazt app add` and routed to the root host with `fazt route add @`;
 *    Caddy and nginx on the same folder with the same certificate. Every
 *    server must answer `https://localhost:<port>/` with the exact bytes
 *    (chain verified) and negotiate what the client offers.
 * 3. `BENCH_ROUNDS` rounds of mode → server: keep-alive, a new connection
 *    per request with resumption allowed, and with full handshakes.
 * 4. Caddy and nginx stop; an `/api` hello app is deployed on fazt and the
 *    cockpit (`GET /_fazt/api/system/status` on `admin.localhost` over
 *    HTTPS) is timed idle and while wrk floods the app over HTTPS.
 *
 * Settings (besides the shared ones): `BENCH_HTTPS_SAMPLES` (cockpit
 * requests per phase, default 500) and `BENCH_HTTPS_FLOOD` (wrk `-d` of the
 * flood, default `10s`).
 *
 * @module
 */
import { join } from "node:path";
import { FAZT_FLAGS, faztCommand } from "../tests/_helpers/server.ts";
import {
  type Child,
  commandText,
  findExecutable,
  freePort,
  processMemory,
  processStat,
  spawnChild,
  waitForOutput,
  waitForPort,
} from "./process.ts";
import { startNginx } from "./nginx.ts";
import { startCaddy } from "./caddy.ts";
import { runWrk, wrkArgs, type WrkOptions } from "./wrk.ts";
import { makeSite, sameBytes } from "./static_suite.ts";
import { makeBenchCertificate } from "./tls_cert.ts";
import {
  buildShim,
  parseShimCounts,
  probeTls,
  TLS_CLIENT,
  writeClientConfig,
} from "./tls_client.ts";
import { httpsClient } from "./https_request.ts";
import { descendants, summarize } from "./safeguards_suite.ts";
import type {
  CockpitPhase,
  HttpsMeasurement,
  HttpsMode,
  HttpsReport,
  HttpsTargetId,
  HttpsTargetInfo,
  ServerMemory,
} from "./https_report.ts";
import { MODE_LABELS, MODES } from "./https_report.ts";
import {
  assertAlive,
  denoVersion,
  display,
  loadAverage,
  machineInfo,
  type SuiteContext,
  wrkVersion,
} from "./suite.ts";

const THREADS = 2;
const CONNECTIONS = 50;
/** The static app; routed to the root host `localhost`. */
const SITE_APP = "bench";
/** The `/api` app flooded while the cockpit is timed. */
const FLOOD_APP = "flood-api";
/** The admin host (the dashboard and cockpit API move there when the root host serves an app). */
const ADMIN_HOST = "admin.localhost";
/** A hello handler, as in the safeguards benchmark. */
const HELLO = `export default (req) => ({ hello: new URL(req.url).hostname });\n`;
/** wrk's load during the flood (as in the safeguards benchmark). */
const FLOOD = { threads: 2, connections: 64 } as const;

const NGINX: readonly (readonly ["nginx1" | "nginx2", number, string])[] = [
  ["nginx1", 1, "nginx (1 worker)"],
  ["nginx2", 2, "nginx (2 workers)"],
];

/** A server under load. */
interface Target {
  info: HttpsTargetInfo;
  port: number;
  /** The 2 KB file's path. */
  path: string;
  /** The process whose tree is measured for memory. */
  pid: number;
}

function envInt(name: string, fallback: number): number {
  const v = Deno.env.get(name);
  if (v === undefined || v === "") return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw new Error(`${name} must be a positive whole number.`);
  }
  return Number(v);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** TCP connections this machine has accepted so far (`PassiveOpens` of /proc/net/snmp). */
export function tcpPassiveOpens(snmp = Deno.readTextFileSync("/proc/net/snmp")): number {
  const [head, values] = snmp.split("\n").filter((l) => l.startsWith("Tcp:"));
  const i = head?.split(/\s+/).indexOf("PassiveOpens") ?? -1;
  if (i < 1 || !values) throw new Error("No Tcp PassiveOpens in /proc/net/snmp.");
  return Number(values.split(/\s+/)[i]);
}

/** CPU ticks (user + system) used so far by `pid` and every process below it. */
function treeCpuTicks(pid: number): number {
  return [pid, ...descendants(pid)].reduce((n, p) => n + (processStat(p)?.cpuTicks ?? 0), 0);
}

/** Busy and total CPU ticks of the whole machine so far (the `cpu` line of /proc/stat). */
export function machineTicks(stat = Deno.readTextFileSync("/proc/stat")): {
  busy: number;
  total: number;
} {
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("No cpu line in /proc/stat.");
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

/**
 * Waits until the machine is nearly idle before a run: samples /proc/stat
 * over 500 ms until at most `limit` of the CPU time was busy (other work on
 * the machine; our servers idle between runs), for up to `timeoutMs`.
 * Returns the busy share of the last sample, so a run that had to start on
 * a busy machine is visible in the report.
 */
export async function waitForQuietMachine(limit = 0.25, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const a = machineTicks();
    await sleep(500);
    const b = machineTicks();
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy <= limit || Date.now() > deadline) return busy;
  }
}

/** Summed VmRSS and VmHWM of `pid` and every process below it, and the VmRSS of `pid` alone. */
function treeMemory(pid: number): { processes: number; rss: number; peak: number; main: number } {
  const pids = [pid, ...descendants(pid)];
  let rss = 0;
  let peak = 0;
  for (const p of pids) {
    const m = processMemory(p);
    rss += m.rss;
    peak += m.peakRss;
  }
  return { processes: pids.length, rss, peak, main: processMemory(pid).rss };
}

/** Runs a fazt CLI command to completion; throws with its output when it fails. */
async function fazt(args: string[]): Promise<string> {
  const out = await faztCommand(args).output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  if (!out.success) throw new Error(`fazt ${args.join(" ")} failed (exit ${out.code}):\n${text}`);
  return text;
}

/** Runs the https suite and returns its report (servers stopped at the end). */
export async function runHttpsSuite(ctx: SuiteContext): Promise<HttpsReport> {
  const { log } = ctx;
  const started = performance.now();
  const date = new Date().toISOString();
  const opensslPath = await findExecutable("openssl");
  if (!opensslPath) {
    throw new Error(
      "openssl is not installed; the https suite needs it to make its certificate (apt-get install openssl).",
    );
  }
  const caddyPath = await findExecutable("caddy");
  const nginxPath = await findExecutable("nginx");
  const ccPath = await findExecutable("cc");
  const samples = envInt("BENCH_HTTPS_SAMPLES", 500);
  const floodDuration = Deno.env.get("BENCH_HTTPS_FLOOD") ?? "10s";
  if (!/^\d+s$/.test(floodDuration)) throw new Error("BENCH_HTTPS_FLOOD must look like 10s.");
  const load = { threads: THREADS, connections: CONNECTIONS, ...ctx.load };
  const children: Child[] = [];
  const start = (child: Child) => {
    children.push(ctx.track(child));
    return child;
  };
  try {
    const siteDir = join(ctx.tmp, "site");
    const dataDir = join(ctx.tmp, "data");
    const files = await makeSite(siteDir);
    const page = files.get("2k.html")!;
    const names = [
      "localhost",
      ADMIN_HOST,
      "*.localhost",
      `${SITE_APP}.localhost`,
      `${FLOOD_APP}.localhost`,
    ];
    const cert = await makeBenchCertificate(opensslPath, join(ctx.tmp, "cert"), names);
    const ca = await Deno.readTextFile(cert.caFile);
    const clientConfig = await writeClientConfig(ctx.tmp);
    const modes: HttpsMode[] = [...MODES];
    const modeNotes: Partial<Record<HttpsMode, string>> = {};
    let shim: string | undefined;
    if (ccPath) shim = await buildShim(ccPath, ctx.tmp);
    else {
      modes.splice(modes.indexOf("full"), 1);
      modeNotes.full =
        "no C compiler (`cc`) to build the handshake shim that makes wrk skip resumption";
    }
    const wrkEnv = (mode: HttpsMode): Record<string, string> => ({
      OPENSSL_CONF: clientConfig,
      ...(shim ? { LD_PRELOAD: shim } : {}),
      ...(mode === "full" ? { TLS_SHIM_FRESH: "1" } : {}),
    });
    const commands: string[] = [
      `# certificate: ${cert.description}; wrk runs with OPENSSL_CONF=<client config: MinProtocol ${TLS_CLIENT.protocol}, Groups ${TLS_CLIENT.group}, Ciphersuites ${TLS_CLIENT.cipher}>${
        shim ? " and LD_PRELOAD=<bench/tls_handshake_shim.c built with cc>" : ""
      }`,
    ];
    const targets: Target[] = [];

    // fazt: a real server with HTTPS on, the owner's certificate, the site on the root host.
    const httpsPort = freePort();
    const httpPort = freePort();
    const serveArgs = [
      "serve",
      "--port",
      "0",
      "--data",
      dataDir,
      "--domain",
      "localhost",
      "--https",
      "on",
      "--https-port",
      String(httpsPort),
      "--http-port",
      String(httpPort),
    ];
    const server = start(spawnChild("fazt", faztCommand(serveArgs)));
    commands.push("# fazt (cwd: repository root)");
    commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...serveArgs]));
    const apiPort = Number(
      await waitForOutput(server, /listening on http:\/\/127\.0\.0\.1:(\d+)/),
    );
    await waitForPort(server, httpsPort);
    log(`fazt listening on ${apiPort} (API), ${httpsPort} (HTTPS), ${httpPort} (HTTP)`);
    for (
      const args of [
        ["cert", "add", "--cert", cert.certFile, "--key", cert.keyFile, "--data", dataDir],
        ["app", "add", siteDir, "--name", SITE_APP, "--data", dataDir],
        ["route", "add", "@", SITE_APP, "--data", dataDir],
      ]
    ) {
      commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...args]));
      await fazt(args);
    }
    log(`added the certificate, deployed "${SITE_APP}" and routed it to https://localhost`);
    targets.push({
      info: { id: "fazt", label: "fazt", status: "measured" },
      port: httpsPort,
      // fazt serves x.html under its clean URL /x.
      path: "/2k",
      pid: server.process.pid,
    });

    const configs: HttpsReport["configs"] = {};
    const infos: HttpsTargetInfo[] = [targets[0].info];
    if (caddyPath) {
      const caddy = await startCaddy(caddyPath, join(ctx.tmp, "caddy"), {
        siteDir,
        certFile: cert.certFile,
        keyFile: cert.keyFile,
        protocols: "tls1.3",
        curve: "secp256r1",
      });
      start(caddy.child);
      configs.caddy = caddy.config;
      commands.push("# Caddy (HOME, XDG_DATA_HOME, XDG_CONFIG_HOME in the temp folder)");
      commands.push(display(caddy.command));
      log(`Caddy listening on ${caddy.port}`);
      const info: HttpsTargetInfo = { id: "caddy", label: "Caddy", status: "measured" };
      infos.push(info);
      targets.push({ info, port: caddy.port, path: "/2k.html", pid: caddy.child.process.pid });
    } else {
      log("caddy is not installed; its rows will say absent (apt-get install caddy)");
      infos.push({
        id: "caddy",
        label: "Caddy",
        status: "absent",
        note: "`caddy` not found on PATH",
      });
    }
    for (const [id, workers, label] of NGINX) {
      if (!nginxPath) {
        infos.push({
          id,
          label,
          status: "absent",
          note: "`nginx` not found on PATH or in /usr/sbin",
        });
        continue;
      }
      const nginx = await startNginx(
        nginxPath,
        join(ctx.tmp, `nginx-${workers}`),
        siteDir,
        workers,
        {
          certFile: cert.certFile,
          keyFile: cert.keyFile,
          protocols: "TLSv1.3",
          curve: "prime256v1",
        },
      );
      start(nginx.child);
      configs.nginx ??= nginx.config;
      commands.push(`# ${label}`);
      commands.push(display(nginx.command));
      log(`${label} listening on ${nginx.port}`);
      const info: HttpsTargetInfo = { id, label, status: "measured" };
      infos.push(info);
      targets.push({ info, port: nginx.port, path: "/2k.html", pid: nginx.child.process.pid });
    }

    // For scale: nginx over plain HTTP, to show what TCP connection setup alone allows.
    let plainPort: number | undefined;
    if (nginxPath) {
      const plain = await startNginx(nginxPath, join(ctx.tmp, "nginx-plain"), siteDir, 2);
      start(plain.child);
      plainPort = plain.port;
      commands.push(
        "# nginx (2 workers) over plain HTTP, for scale (the same template without TLS)",
      );
      commands.push(display(plain.command));
    }

    // Every server: the exact bytes over a verified chain, and the pinned TLS parameters.
    const negotiated: HttpsReport["negotiated"] = {};
    for (const t of targets) {
      const client = httpsClient({ port: t.port, servername: "localhost", ca });
      try {
        const res = await client.get(t.path);
        if (res.status !== 200 || !sameBytes(res.body, page)) {
          throw new Error(
            `${t.info.label} answered https://localhost:${t.port}${t.path} with ${res.status} and ${res.body.length} bytes; expected 200 with the 2048 bytes of 2k.html. Refusing to measure.`,
          );
        }
      } finally {
        client.close();
      }
      const probe = await probeTls(opensslPath, {
        port: t.port,
        servername: "localhost",
        caFile: cert.caFile,
        clientConfig,
      });
      if (
        probe.protocol !== "TLSv1.3" || probe.cipher !== TLS_CLIENT.cipher ||
        !/prime256v1|P-256/.test(probe.keyExchange) || probe.signature !== "ECDSA" ||
        !probe.verified
      ) {
        throw new Error(
          `${t.info.label} negotiated ${
            JSON.stringify(probe)
          }; expected TLS 1.3, ${TLS_CLIENT.cipher}, P-256, ECDSA and a verified chain.`,
        );
      }
      negotiated[t.info.id] = probe;
    }
    log("every server answers the exact bytes over TLS 1.3 / P-256 / ECDSA with a verified chain");

    const idle = new Map<HttpsTargetId, ReturnType<typeof treeMemory>>(
      targets.map((t) => [t.info.id, treeMemory(t.pid)]),
    );
    const clockTicks = Number(await commandText("getconf", ["CLK_TCK"])) || 100;
    const loadStart = await loadAverage();
    log(`load average before the first measurement: ${loadStart}`);
    const loadAfterRounds: string[] = [];
    const measurements: HttpsMeasurement[] = [];
    const plainNewConnection: HttpsReport["plainNewConnection"] = [];
    commands.push(
      `# load (warm-up with -d${load.warmup} first, same arguments and environment; ${load.rounds} round(s) of round → mode → server)`,
    );
    for (let round = 1; round <= load.rounds; round++) {
      for (const mode of modes) {
        for (const t of targets) {
          const opts: WrkOptions = {
            url: `https://localhost:${t.port}${t.path}`,
            threads: load.threads,
            connections: load.connections,
            duration: load.duration,
            headers: mode === "keepalive" ? [] : ["Connection: close"],
          };
          const run = { signal: ctx.signal, env: wrkEnv(mode) };
          const what = `round ${round}/${load.rounds} ${t.info.label} ${MODE_LABELS[mode]}`;
          log(`${what}: warm-up ${load.warmup}`);
          await runWrk(ctx.wrk, { ...opts, duration: load.warmup }, run);
          const background = await waitForQuietMachine();
          log(
            `${what}: measuring ${load.duration} (machine ${
              (background * 100).toFixed(0)
            }% busy before)`,
          );
          const before = tcpPassiveOpens();
          const cpuBefore = treeCpuTicks(t.pid);
          const machineBefore = machineTicks();
          const result = await runWrk(ctx.wrk, opts, run);
          const machineAfter = machineTicks();
          const serverCpuSeconds = (treeCpuTicks(t.pid) - cpuBefore) / clockTicks;
          const machineBusy = (machineAfter.busy - machineBefore.busy) /
            Math.max(1, machineAfter.total - machineBefore.total);
          const connections = tcpPassiveOpens() - before;
          const handshakes = parseShimCounts(result.stderr);
          if (shim && !handshakes) {
            throw new Error(`wrk ran without the handshake shim's count:\n${result.stderr}`);
          }
          if (round === 1) {
            const env = mode === "full" ? "TLS_SHIM_FRESH=1 " : "";
            commands.push(`${env}${display(["wrk", ...wrkArgs(opts)])}`);
          }
          measurements.push({
            target: t.info.id,
            mode,
            round,
            result,
            connections,
            handshakes,
            serverCpuSeconds,
            machineBusy,
            background,
          });
          log(
            `${what}: ${
              Math.round(result.requestsPerSec)
            } req/s, p99 ${result.latencyP99Ms} ms, ${connections} connections, handshakes ${
              handshakes ? `${handshakes.full} full / ${handshakes.resumed} resumed` : "not counted"
            }`,
          );
          assertAlive(children);
        }
      }
      if (plainPort !== undefined) {
        const opts: WrkOptions = {
          url: `http://127.0.0.1:${plainPort}/2k.html`,
          threads: load.threads,
          connections: load.connections,
          duration: load.duration,
          headers: ["Connection: close"],
        };
        log(`round ${round}/${load.rounds} nginx plain HTTP, new connection per request`);
        await runWrk(ctx.wrk, { ...opts, duration: load.warmup }, ctx.signal);
        const before = tcpPassiveOpens();
        const result = await runWrk(ctx.wrk, opts, ctx.signal);
        plainNewConnection.push({ round, result, connections: tcpPassiveOpens() - before });
        if (round === 1) commands.push(display(["wrk", ...wrkArgs(opts)]));
        log(
          `nginx plain HTTP, new connection per request: ${
            Math.round(result.requestsPerSec)
          } req/s`,
        );
      }
      loadAfterRounds.push(await loadAverage());
      log(`load average after round ${round}: ${loadAfterRounds[round - 1]}`);
    }
    const memory: Partial<Record<HttpsTargetId, ServerMemory>> = {};
    for (const t of targets) {
      const after = treeMemory(t.pid);
      memory[t.info.id] = {
        processes: after.processes,
        idle: idle.get(t.info.id)!.rss,
        afterLoad: after.rss,
        peak: after.peak,
        main: { idle: idle.get(t.info.id)!.main, afterLoad: after.main },
      };
    }
    for (const c of children.slice(1).reverse()) await c.stop();

    // The cockpit while an /api app is flooded over HTTPS.
    const token = (await Deno.readTextFile(join(dataDir, "owner.token"))).trim();
    const deploy = await fetch(
      `http://127.0.0.1:${apiPort}/_fazt/api/apps/${FLOOD_APP}/deploy-files`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ files: { "api/main.js": { text: HELLO } } }),
      },
    );
    const deployed = await deploy.text();
    if (deploy.status !== 200) {
      throw new Error(`deploying ${FLOOD_APP}: ${deploy.status} ${deployed}`);
    }
    const app = httpsClient({ port: httpsPort, servername: "localhost", ca });
    try {
      const res = await app.get("/api", { host: `${FLOOD_APP}.localhost` });
      if (res.status !== 200) {
        throw new Error(
          `${FLOOD_APP} answered /api over HTTPS with ${res.status}: ${
            new TextDecoder().decode(res.body).slice(0, 300)
          }`,
        );
      }
    } finally {
      app.close();
    }
    const cockpit = httpsClient({ port: httpsPort, servername: ADMIN_HOST, ca });
    const measureCockpit = async (count: number, until: () => boolean = () => false) => {
      const ok: number[] = [];
      let errors = 0;
      for (let i = 0; i < count && !until(); i++) {
        const t0 = performance.now();
        try {
          const res = await cockpit.get("/_fazt/api/system/status", {
            authorization: `Bearer ${token}`,
          });
          if (res.status === 200) ok.push(performance.now() - t0);
          else errors++;
        } catch {
          errors++;
        }
      }
      return summarize(ok, errors);
    };
    const phases: CockpitPhase[] = [];
    try {
      const first = await cockpit.get("/_fazt/api/system/status", {
        authorization: `Bearer ${token}`,
      });
      if (first.status !== 200) {
        throw new Error(
          `GET https://${ADMIN_HOST}:${httpsPort}/_fazt/api/system/status answered ${first.status}: ${
            new TextDecoder().decode(first.body).slice(0, 300)
          }`,
        );
      }
      await measureCockpit(50); // warm-up
      log("cockpit: idle");
      await waitForQuietMachine();
      const idleBefore = await loadAverage();
      const idleStatus = await measureCockpit(samples);
      phases.push({
        name: "idle",
        status: idleStatus,
        flood: null,
        command: null,
        load: [idleBefore, await loadAverage()],
      });
      log(`cockpit: ${FLOOD_APP} flooded over HTTPS`);
      const floodOpts: WrkOptions = {
        url: `https://localhost:${httpsPort}/api`,
        ...FLOOD,
        duration: floodDuration,
        host: `${FLOOD_APP}.localhost`,
      };
      await waitForQuietMachine();
      const floodBefore = await loadAverage();
      let done = false;
      const flooding = runWrk(ctx.wrk, floodOpts, {
        signal: ctx.signal,
        env: { OPENSSL_CONF: clientConfig },
      }).finally(() => done = true);
      await sleep(1000);
      const floodStatus = await measureCockpit(samples, () => done);
      const flood = await flooding;
      commands.push("# the cockpit phase: the flood");
      commands.push(display(["wrk", ...wrkArgs(floodOpts)]));
      phases.push({
        name: "the /api app is flooded over HTTPS",
        status: floodStatus,
        flood,
        command: display(["wrk", ...wrkArgs(floodOpts)]),
        load: [floodBefore, await loadAverage()],
      });
      assertAlive([server]);
    } finally {
      cockpit.close();
    }

    const loadEnd = loadAfterRounds[loadAfterRounds.length - 1];
    return {
      date,
      elapsedSeconds: (performance.now() - started) / 1000,
      machine: await machineInfo(),
      loadAverage: { start: loadStart, afterRounds: loadAfterRounds, end: loadEnd },
      versions: {
        deno: denoVersion(),
        caddy: caddyPath ? (await commandText(caddyPath, ["version"])).split("\n")[0] : "absent",
        nginx: nginxPath
          ? (await commandText(nginxPath, ["-v"])).replace(/^nginx version:\s*/, "")
          : "absent",
        wrk: await wrkVersion(ctx.wrk),
        openssl: (await commandText(opensslPath, ["version"])).split("\n")[0],
      },
      load,
      certificate: { description: cert.description, names },
      client: { ...TLS_CLIENT },
      negotiated,
      targets: infos,
      modes,
      modeNotes,
      measurements,
      plainNewConnection,
      memory,
      cockpit: { samples, phases },
      commands,
      configs,
    };
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
  }
}
