/**
 * `deno task bench`: measures fazt's static file serving against nginx (when
 * installed, once with 1 and once with 2 worker processes) and a bare
 * `Deno.serve`, in one run on this machine, with wrk.
 *
 * It builds a temp site (`2k.html`, `100k.bin`, `index.html`), starts a real
 * `fazt serve` process and deploys the site as app `bench` with the real
 * CLI, starts both nginx instances and the bare Deno reference on the same
 * folder, checks that every server answers each file with the exact bytes,
 * then runs wrk against each target × file one after another, for
 * `BENCH_ROUNDS` interleaved rounds (round → file → target). It writes
 * `docs/BENCHMARKS.md` with the median of the rounds and every round's
 * values, and prints the tables. Every child process and temp folder is
 * removed at the end, also on failure or Ctrl-C.
 *
 * Environment: `BENCH_DURATION` (wrk `-d`, default `5s`), `BENCH_WARMUP`
 * (default `2s`), `BENCH_ROUNDS` (default `1`).
 *
 * @module
 */
import { join } from "node:path";
import { FAZT_FLAGS, faztCommand, hostFetch, ROOT } from "../tests/_helpers/server.ts";
import {
  type Child,
  commandText,
  findExecutable,
  processMemory,
  spawnChild,
  waitForOutput,
} from "./process.ts";
import { startNginx } from "./nginx.ts";
import { runWrk, shellQuote, wrkArgs, type WrkOptions } from "./wrk.ts";
import {
  type BenchReport,
  FILES,
  type Measurement,
  type NginxConfigInfo,
  renderMarkdown,
  renderText,
  type TargetInfo,
} from "./report.ts";
import { NEW_RESPONSE_PREFIX } from "./bare_deno_server.ts";

/** Where the report is written. */
export const REPORT_PATH: string = join(ROOT, "docs", "BENCHMARKS.md");

const THREADS = 2;
const CONNECTIONS = 50;
const APP = "bench";
const APP_HOST = `${APP}.localhost`;

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

function duration(name: string, fallback: string): string {
  const value = Deno.env.get(name) ?? fallback;
  if (!/^\d+(\.\d+)?(s|m|h)?$/.test(value)) {
    throw new Error(`${name} must be a wrk duration like 5s or 1m (got "${value}").`);
  }
  return value;
}

function rounds(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 100) {
    throw new Error(`${name} must be a whole number from 1 to 100 (got "${raw}").`);
  }
  return value;
}

function display(cmd: string[]): string {
  return cmd.map(shellQuote).join(" ");
}

/** Writes the benchmark site and returns its files' bytes. */
async function makeSite(dir: string): Promise<Map<string, Uint8Array>> {
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
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

/** The 1/5/15-minute load averages as `uptime` prints them, else from /proc/loadavg. */
async function loadAverage(): Promise<string> {
  const uptime = (await commandText("uptime", [])).match(/load averages?:\s*(.+)$/m);
  if (uptime) return uptime[1].trim();
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(", ") || "unknown";
}

async function machineInfo(): Promise<BenchReport["machine"]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const nproc = Number(await commandText("nproc", [])) || navigator.hardwareConcurrency;
  return {
    nproc,
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? "unknown",
    memTotalBytes: Number(meminfo.match(/^MemTotal:\s+(\d+) kB/m)?.[1] ?? 0) * 1024,
    kernel: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
  };
}

/** Runs the whole benchmark; returns the process exit code. */
export async function main(): Promise<number> {
  const wrk = await findExecutable("wrk");
  if (!wrk) {
    console.error(
      "wrk is not installed; the benchmark needs it to generate load.\n" +
        "Install it with: apt-get install wrk   (Debian/Ubuntu; or build it from https://github.com/wg/wrk)",
    );
    return 1;
  }
  const nginxPath = await findExecutable("nginx");
  const load = {
    threads: THREADS,
    connections: CONNECTIONS,
    duration: duration("BENCH_DURATION", "5s"),
    warmup: duration("BENCH_WARMUP", "2s"),
    rounds: rounds("BENCH_ROUNDS", 1),
  };
  const started = performance.now();
  const date = new Date().toISOString();
  const log = (msg: string) => console.error(`bench: ${msg}`);

  const tmp = await Deno.makeTempDir({ prefix: "fazt-bench-" });
  const children: Child[] = [];
  const abortLoad = new AbortController();
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    cleaned ??= (async () => {
      abortLoad.abort();
      for (const c of children.reverse()) await c.stop().catch(() => {});
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    })();
  const onSignal = () => {
    log("interrupted; stopping servers and removing temp files");
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  try {
    const siteDir = join(tmp, "site");
    const dataDir = join(tmp, "data");
    const files = await makeSite(siteDir);
    const commands: string[] = [];
    const targets: Target[] = [];

    // fazt: a real server process, the site deployed with the real CLI.
    const serveArgs = ["serve", "--port", "0", "--data", dataDir];
    const fazt = spawnChild("fazt", faztCommand(serveArgs));
    children.push(fazt);
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
        const nginx = await startNginx(nginxPath, join(tmp, `nginx-${workers}`), siteDir, workers);
        children.push(nginx.child);
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
    const bare = spawnChild(
      "bare Deno",
      new Deno.Command(Deno.execPath(), {
        args: bareArgs,
        cwd: ROOT,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }),
    );
    children.push(bare);
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
          await runWrk(wrk, { ...opts, duration: load.warmup }, abortLoad.signal);
          log(`${what}: measuring ${load.duration}`);
          const result = await runWrk(wrk, opts, abortLoad.signal);
          if (round === 1) commands.push(display(["wrk", ...wrkArgs(opts)]));
          measurements.push({ target: t.info.id, file, round, result });
          log(
            `${what}: ${Math.round(result.requestsPerSec)} req/s, p99 ${result.latencyP99Ms} ms`,
          );
          for (const c of children) {
            if (c.exited()) throw new Error(`${c.name} exited during the run:\n${c.output()}`);
          }
        }
      }
      loadAfterRounds.push(await loadAverage());
      log(`load average after round ${round}: ${loadAfterRounds[round - 1]}`);
    }
    const afterLoad = processMemory(fazt.process.pid);
    const bareAfterLoad = processMemory(bare.process.pid);
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
    const report: BenchReport = {
      date,
      elapsedSeconds: 0,
      machine: await machineInfo(),
      loadAverage: { start: loadStart, afterRounds: loadAfterRounds, end: loadEnd },
      versions: {
        deno: `${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
        nginx: nginxPath
          ? (await commandText(nginxPath, ["-v"])).replace(/^nginx version:\s*/, "")
          : "absent",
        wrk: (await commandText(wrk, ["-v"])).split("\n")[0].replace(/\s*Copyright.*$/, ""),
      },
      load,
      commands,
      targets: infos,
      measurements,
      faztMemory: { idle, afterLoad },
      bareMemory: { idle: bareIdle, afterLoad: bareAfterLoad },
      nginxConfigs,
    };
    report.elapsedSeconds = (performance.now() - started) / 1000;
    await Deno.mkdir(join(ROOT, "docs"), { recursive: true });
    await Deno.writeTextFile(REPORT_PATH, renderMarkdown(report));
    // Format with the repository's settings so `deno task check` stays green.
    const fmt = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", REPORT_PATH],
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!fmt.success) {
      log(`warning: deno fmt failed on the report: ${new TextDecoder().decode(fmt.stderr)}`);
    }
    console.log(renderText(report));
    log(`wrote ${REPORT_PATH}`);
    return 0;
  } catch (err) {
    console.error(`bench: failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  const code = await main().catch((err) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  });
  Deno.exit(code);
}
