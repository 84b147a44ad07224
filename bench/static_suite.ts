/**
 * The static suite of `deno task bench`: fazt's static file serving against
 * nginx (when installed, once with 1 and once with 2 worker processes) and
 * a bare `Deno.serve`, with wrk.
 *
 * It builds a temp site (`2k.html`, `100k.bin`, `index.html`), starts a real
 * `fazt serve` process and deploys the site as app `bench` with the real
 * CLI, starts both nginx instances and the bare Deno reference on the same
 * folder, checks that every server answers each file with the exact bytes,
 * then runs wrk against each target × file one after another, for
 * `BENCH_ROUNDS` interleaved rounds (round → file → target). Its servers
 * are stopped when it ends.
 *
 * @module
 */
import { join } from "node:path";
import { FAZT_FLAGS, faztCommand, hostFetch, ROOT } from "../tests/_helpers/server.ts";
import {
  commandText,
  findExecutable,
  processMemory,
  spawnChild,
  waitForOutput,
} from "./process.ts";
import type { Child } from "./process.ts";
import { startNginx } from "./nginx.ts";
import { type DownloadMemory, measureDownloadMemory } from "./download_memory.ts";
import { runWrk, wrkArgs, type WrkOptions } from "./wrk.ts";
import {
  type BenchReport,
  FILES,
  type Measurement,
  type NginxConfigInfo,
  type TargetInfo,
} from "./report.ts";
import { NEW_RESPONSE_PREFIX } from "./bare_deno_server.ts";
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
const APP = "bench";
const APP_HOST = `${APP}.localhost`;
/** The download-memory step: its app, file size and parallel downloads (issue 18). */
const BIG_APP = "bigfile";
const BIG_BYTES = 50 * 1024 * 1024;
const BIG_PARALLEL = 10;

/** The nginx references: target id and `worker_processes`, in measuring order. */
const NGINX_WORKERS: readonly (readonly ["nginx1" | "nginx2", number])[] = [
  ["nginx1", 1],
  ["nginx2", 2],
];

const NGINX_LABELS: Record<"nginx1" | "nginx2", string> = {
  nginx1: "nginx (1 worker)",
  nginx2: "nginx (2 workers)",
};

/** A server under load: where to send requests for each file. */
interface Target {
  info: TargetInfo;
  port: number;
  /** The Host header to send (fazt routes by it). */
  host?: string;
  /** Request path per file name. */
  paths: Record<string, string>;
}

/**
 * Writes the benchmark site (`2k.html`, `100k.bin`, `index.html`) and
 * returns its files' bytes.
 */
export async function makeSite(dir: string): Promise<Map<string, Uint8Array>> {
  await Deno.mkdir(dir, { recursive: true });
  const head =
    "<!doctype html>\n<html><head><meta charset=utf-8><title>2 KB</title></head><body>\n";
  const tail = "\n</body></html>\n";
  const filler = "fazt benchmark page. ".repeat(200).slice(0, 2048 - head.length - tail.length);
  const html = new TextEncoder().encode(head + filler + tail);
  if (html.length !== 2048) throw new Error(`2k.html is ${html.length} bytes, not 2048.`);
  const bin = new Uint8Array(102_400);
  for (let i = 0; i < bin.length; i += 65_536) {
    crypto.getRandomValues(bin.subarray(i, Math.min(i + 65_536, bin.length)));
  }
  const index = new TextEncoder().encode(
    '<!doctype html>\n<html><head><meta charset=utf-8><title>bench</title></head><body><a href="2k.html">2k</a> <a href="100k.bin">100k</a></body></html>\n',
  );
  const files = new Map([["2k.html", html], ["100k.bin", bin], ["index.html", index]]);
  for (const [name, bytes] of files) await Deno.writeFile(join(dir, name), bytes);
  return files;
}

/** Writes a site with one incompressible file `big.bin` of `bytes` bytes (and an index). */
async function makeBigSite(dir: string, bytes: number): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const big = new Uint8Array(bytes);
  for (let i = 0; i < big.length; i += 65_536) {
    crypto.getRandomValues(big.subarray(i, Math.min(i + 65_536, big.length)));
  }
  await Deno.writeFile(join(dir, "big.bin"), big);
  await Deno.writeTextFile(join(dir, "index.html"), "<!doctype html><p>big file</p>\n");
}

/** True when `a` and `b` hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that `target` answers 200 with exactly the file's bytes; throws otherwise. */
async function verify(target: Target, files: Map<string, Uint8Array>): Promise<void> {
  for (const file of FILES) {
    const path = target.paths[file];
    const res = await hostFetch(target.port, target.host ?? `127.0.0.1:${target.port}`, path);
    const body = new Uint8Array(await res.arrayBuffer());
    const want = files.get(file)!;
    if (res.status !== 200 || !sameBytes(body, want)) {
      throw new Error(
        `${target.info.label} answered ${path} with ${res.status} and ${body.length} bytes; expected 200 with the ${want.length} bytes of ${file}. Refusing to measure.`,
      );
    }
  }
}

/** Runs the static suite and returns its report (servers stopped at the end). */
export async function runStaticSuite(ctx: SuiteContext): Promise<BenchReport> {
  const { log } = ctx;
  const started = performance.now();
  const date = new Date().toISOString();
  const nginxPath = await findExecutable("nginx");
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
    const commands: string[] = [];
    const targets: Target[] = [];

    // fazt: a real server process, the site deployed with the real CLI.
    const serveArgs = ["serve", "--port", "0", "--data", dataDir];
    const fazt = start(spawnChild("fazt", faztCommand(serveArgs)));
    commands.push(`# fazt (cwd: repository root)`);
    commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...serveArgs]));
    const faztPort = Number(
      await waitForOutput(fazt, /listening on http:\/\/127\.0\.0\.1:(\d+)/),
    );
    log(`fazt listening on ${faztPort} (pid ${fazt.process.pid})`);
    const addArgs = ["app", "add", siteDir, "--name", APP, "--data", dataDir];
    commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...addArgs]));
    const added = await faztCommand(addArgs).output();
    if (!added.success) {
      const dec = new TextDecoder();
      throw new Error(
        `fazt app add failed (exit ${added.code}):\n${dec.decode(added.stdout)}${
          dec.decode(added.stderr)
        }`,
      );
    }
    log(`deployed the site as app "${APP}"`);
    targets.push({
      info: { id: "fazt", label: "fazt", status: "measured" },
      port: faztPort,
      host: APP_HOST,
      // fazt serves x.html under its clean URL /x (and redirects /x.html there).
      paths: { "2k.html": "/2k", "100k.bin": "/100k.bin" },
      // nginx and bare Deno are added below.
    });

    // nginx from the system, when installed: 1 worker (like fazt's one JS
    // thread on a 1-vCPU VPS) and 2 workers, from the same config template.
    const nginxConfigs: NginxConfigInfo[] = [];
    if (nginxPath) {
      for (const [id, workers] of NGINX_WORKERS) {
        const label = NGINX_LABELS[id];
        const nginx = await startNginx(
          nginxPath,
          join(ctx.tmp, `nginx-${workers}`),
          siteDir,
          workers,
        );
        start(nginx.child);
        nginxConfigs.push({ label, config: nginx.config });
        commands.push(`# ${label}`);
        commands.push(display(nginx.command));
        log(`${label} listening on ${nginx.port}`);
        targets.push({
          info: { id, label, status: "measured" },
          port: nginx.port,
          paths: { "2k.html": "/2k.html", "100k.bin": "/100k.bin" },
        });
      }
    } else {
      log("nginx is not installed; its rows will say absent (apt-get install nginx to compare)");
    }

    // The bare Deno.serve reference.
    const bareScript = join(ROOT, "bench", "bare_deno_server.ts");
    const bareArgs = ["run", "--allow-read", "--allow-net", bareScript, siteDir];
    const bare = start(spawnChild(
      "bare Deno",
      new Deno.Command(Deno.execPath(), {
        args: bareArgs,
        cwd: ROOT,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }),
    ));
    commands.push("# bare Deno reference (both variants)");
    commands.push(
      display(["deno", "run", "--allow-read", "--allow-net", "bench/bare_deno_server.ts", siteDir]),
    );
    const barePort = Number(await waitForOutput(bare, /listening on http:\/\/127\.0\.0\.1:(\d+)/));
    log(`bare Deno listening on ${barePort}`);
    targets.push({
      info: { id: "deno", label: "bare Deno (clone)", status: "measured" },
      port: barePort,
      paths: { "2k.html": "/2k.html", "100k.bin": "/100k.bin" },
    });
    targets.push({
      info: { id: "denoNew", label: "bare Deno (new Response)", status: "measured" },
      port: barePort,
      paths: {
        "2k.html": `${NEW_RESPONSE_PREFIX}/2k.html`,
        "100k.bin": `${NEW_RESPONSE_PREFIX}/100k.bin`,
      },
    });

    for (const t of targets) await verify(t, files);
    const faztRedirect = await hostFetch(faztPort, APP_HOST, "/2k.html");
    await faztRedirect.body?.cancel();
    log(
      `all targets answer 200 with the exact bytes (fazt /2k.html → ${faztRedirect.status} ${
        faztRedirect.headers.get("location") ?? ""
      })`,
    );

    const idle = processMemory(fazt.process.pid);
    const bareIdle = processMemory(bare.process.pid);
    const loadStart = await loadAverage();
    log(`load average before the first measurement: ${loadStart}`);
    const loadAfterRounds: string[] = [];
    const measurements: Measurement[] = [];
    commands.push(
      `# load (warm-up with -d${load.warmup} first, same arguments; ${load.rounds} round(s) of round → file → target)`,
    );
    for (let round = 1; round <= load.rounds; round++) {
      for (const file of FILES) {
        for (const t of targets) {
          const opts: WrkOptions = {
            url: `http://127.0.0.1:${t.port}${t.paths[file]}`,
            threads: load.threads,
            connections: load.connections,
            duration: load.duration,
            host: t.host,
          };
          const what = `round ${round}/${load.rounds} ${t.info.label} ${file}`;
          log(`${what}: warm-up ${load.warmup}`);
          await runWrk(ctx.wrk, { ...opts, duration: load.warmup }, ctx.signal);
          log(`${what}: measuring ${load.duration}`);
          const result = await runWrk(ctx.wrk, opts, ctx.signal);
          if (round === 1) commands.push(display(["wrk", ...wrkArgs(opts)]));
          measurements.push({ target: t.info.id, file, round, result });
          log(
            `${what}: ${Math.round(result.requestsPerSec)} req/s, p99 ${result.latencyP99Ms} ms`,
          );
          assertAlive(children);
        }
      }
      loadAfterRounds.push(await loadAverage());
      log(`load average after round ${round}: ${loadAfterRounds[round - 1]}`);
    }
    const afterLoad = processMemory(fazt.process.pid);
    const bareAfterLoad = processMemory(bare.process.pid);

    // Memory while several clients download one large file at once.
    let downloadMemory: DownloadMemory | undefined;
    const curl = await findExecutable("curl");
    if (curl) {
      const bigDir = join(ctx.tmp, "bigsite");
      await makeBigSite(bigDir, BIG_BYTES);
      const bigArgs = ["app", "add", bigDir, "--name", BIG_APP, "--data", dataDir];
      commands.push("# download memory: a 50 MiB incompressible file, 10 curl clients at once");
      commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...bigArgs]));
      const bigAdded = await faztCommand(bigArgs).output();
      if (!bigAdded.success) {
        throw new Error(`fazt app add ${BIG_APP} failed (exit ${bigAdded.code}).`);
      }
      downloadMemory = await measureDownloadMemory({
        pid: fazt.process.pid,
        port: faztPort,
        host: `${BIG_APP}.localhost`,
        path: "/big.bin",
        bytes: BIG_BYTES,
        parallel: BIG_PARALLEL,
        curl,
      });
      log(
        `download memory: ${BIG_PARALLEL} × ${BIG_BYTES} bytes grew fazt by ${
          (downloadMemory.growth / 1048576).toFixed(1)
        } MiB`,
      );
      await Deno.remove(bigDir, { recursive: true });
    } else {
      log("curl is not installed; the download-memory step is skipped");
    }
    const loadEnd = loadAfterRounds[loadAfterRounds.length - 1];

    const infos: TargetInfo[] = targets.map((t) => t.info);
    if (!nginxPath) {
      infos.splice(
        1,
        0,
        ...NGINX_WORKERS.map(([id]): TargetInfo => ({
          id,
          label: NGINX_LABELS[id],
          status: "absent",
          note: "`nginx` not found on PATH or in /usr/sbin",
        })),
      );
    }
    return {
      date,
      elapsedSeconds: (performance.now() - started) / 1000,
      machine: await machineInfo(),
      loadAverage: { start: loadStart, afterRounds: loadAfterRounds, end: loadEnd },
      versions: {
        deno: denoVersion(),
        nginx: nginxPath
          ? (await commandText(nginxPath, ["-v"])).replace(/^nginx version:\s*/, "")
          : "absent",
        wrk: await wrkVersion(ctx.wrk),
      },
      load,
      commands,
      targets: infos,
      measurements,
      faztMemory: { idle, afterLoad },
      bareMemory: { idle: bareIdle, afterLoad: bareAfterLoad },
      nginxConfigs,
      downloadMemory,
    };
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
  }
}
