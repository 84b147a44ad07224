/**
 * The runtime suite of `deno task bench`: fazt's serverless runtime (apps
 * with `api/main.js`, run in sandbox processes) on a real `fazt serve`
 * process with its own data folder.
 *
 * In order:
 *
 * 1. Memory of a fresh server with no app (no spare sandbox: one is kept
 *    only while some app has server code).
 * 2. Cold starts: `cold-01` … `cold-10` are deployed with the real CLI,
 *    then each is requested once, every time after the spare sandbox has
 *    booted and gone idle, as on a production server; the first request is
 *    timed end to end and so is a second, warm one. Memory is read after
 *    the first app (1 warm app) and after the last (10 warm apps).
 * 3. The hello app against the same handler on a bare `Deno.serve`
 *    (`bench/hello_deno_server.ts`), behind an nginx reverse proxy
 *    (`bench/nginx_proxy.ts`, when nginx is installed) and on the two
 *    bridge floors (JSON lines and binary frames) with wrk at -c50, at the per-app
 *    concurrency limit and at -c1 (warm latency), then the kv app's
 *    `fazt.kv.set` / `fazt.kv.get` loops at -c4, for `BENCH_ROUNDS`
 *    interleaved rounds.
 *
 * Its servers are stopped when it ends.
 *
 * @module
 */
import { join } from "node:path";
import { FAZT_FLAGS, faztCommand, ROOT } from "../tests/_helpers/server.ts";
import { KERNEL_DEFAULTS } from "../kernel/boot/config.ts";
import {
  type Child,
  childProcesses,
  commandText,
  findExecutable,
  isSandboxProcess,
  processMemory,
  processPss,
  processStat,
  spawnChild,
  waitForOutput,
  waitForQuiet,
} from "./process.ts";
import { runWrk, wrkArgs, type WrkOptions } from "./wrk.ts";
import { startNginxProxy } from "./nginx_proxy.ts";
import type {
  ColdSample,
  LoadReading,
  MemorySnapshot,
  ProcessRss,
  RuntimeCase,
  RuntimeCaseId,
  RuntimeMeasurement,
  RuntimeReport,
} from "./runtime_report.ts";
import {
  assertAlive,
  denoVersion,
  display,
  loadAverage,
  machineInfo,
  type SuiteContext,
  wrkVersion,
} from "./suite.ts";

/** `fazt.kv` calls per request of the kv app. */
export const KV_OPS_PER_REQUEST = 200;

/** How many apps are cold-started (each once). */
export const COLD_APPS = 10;

/** The hello app's `api/main.js`. */
export const HELLO_SOURCE = 'export default () => new Response("hello");\n';

/** The kv app's `api/main.js`: N sequential kv calls per request, answering the count. */
export const KV_SOURCE =
  `// GET /api/set: ${KV_OPS_PER_REQUEST} sequential fazt.kv.set calls; GET /api/get: ${KV_OPS_PER_REQUEST} sequential fazt.kv.get calls.
// Both answer with the number of calls that did what they should.
const N = ${KV_OPS_PER_REQUEST};
export default async (req) => {
  const op = new URL(req.url).pathname.split("/").pop();
  let count = 0;
  if (op === "set") {
    for (let i = 0; i < N; i++) {
      await fazt.kv.set("k" + i, i);
      count++;
    }
  } else if (op === "get") {
    for (let i = 0; i < N; i++) {
      if ((await fazt.kv.get("k" + i)) === i) count++;
    }
  } else {
    return new Response("use /api/set or /api/get", { status: 404 });
  }
  return String(count);
};
`;

/** A parsed HTTP/1.1 answer and how long it took. */
export interface TimedResponse {
  /** Status code. */
  status: number;
  /** The body as text (chunked transfer decoded). */
  body: string;
  /** From before connecting until the last byte of the response (ms). */
  ms: number;
}

function indexOfSeq(hay: Uint8Array, seq: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (hay[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Parses one HTTP/1.1 response from `buf`; undefined while it is incomplete.
 * Handles `content-length`, chunked bodies and bodies ended by closing.
 */
function parseResponse(
  buf: Uint8Array,
  closed: boolean,
): { status: number; body: Uint8Array } | undefined {
  const crlf2 = new Uint8Array([13, 10, 13, 10]);
  const end = indexOfSeq(buf, crlf2);
  if (end === -1) return undefined;
  const head = new TextDecoder().decode(buf.subarray(0, end));
  const status = Number(head.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
  const rest = buf.subarray(end + 4);
  const length = head.match(/^content-length:\s*(\d+)/im);
  if (length) {
    const n = Number(length[1]);
    return rest.length >= n ? { status, body: rest.subarray(0, n) } : undefined;
  }
  if (/^transfer-encoding:\s*chunked/im.test(head)) {
    const parts: Uint8Array[] = [];
    let at = 0;
    while (true) {
      const eol = indexOfSeq(rest, new Uint8Array([13, 10]), at);
      if (eol === -1) return undefined;
      const size = parseInt(new TextDecoder().decode(rest.subarray(at, eol)).split(";")[0], 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size in a response: ${head}`);
      if (size === 0) {
        if (indexOfSeq(rest, crlf2, eol - 2) === -1) return undefined;
        const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          body.set(p, o);
          o += p.length;
        }
        return { status, body };
      }
      if (rest.length < eol + 2 + size + 2) return undefined;
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  if (status === 204 || status === 304) return { status, body: new Uint8Array() };
  return closed ? { status, body: rest } : undefined;
}

/**
 * One `GET` over a new TCP connection to 127.0.0.1:`port` with the given
 * `Host`, timed from before connecting until the whole response is read.
 * A raw socket keeps client overhead out of the number.
 */
export async function timedGet(port: number, host: string, path: string): Promise<TimedResponse> {
  const request = new TextEncoder().encode(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  );
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(request);
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(chunk);
      if (n !== null) {
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        buf = next;
      }
      const parsed = parseResponse(buf, n === null);
      if (parsed) {
        const ms = performance.now() - t0;
        return { status: parsed.status, body: new TextDecoder().decode(parsed.body), ms };
      }
      if (n === null) throw new Error(`${host}${path}: the connection closed mid-response`);
    }
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** Writes an app folder holding only `api/main.js`. */
async function writeApp(dir: string, source: string): Promise<void> {
  await Deno.mkdir(join(dir, "api"), { recursive: true });
  await Deno.writeTextFile(join(dir, "api", "main.js"), source);
}

/** What `GET /_fazt/api/system/stats` says about the runtime. */
interface RuntimeStats {
  spare: boolean;
  processes: { appId: string; pid: number }[];
}

/** Runs the runtime suite and returns its report (servers stopped at the end). */
export async function runRuntimeSuite(ctx: SuiteContext): Promise<RuntimeReport> {
  const { log } = ctx;
  const started = performance.now();
  const date = new Date().toISOString();
  const children: Child[] = [];
  const start = (child: Child) => {
    children.push(ctx.track(child));
    return child;
  };
  const commands: string[] = [];
  const loads: LoadReading[] = [];
  const reading = async (label: string) => {
    const value = await loadAverage();
    loads.push({ label, value });
    log(`load average ${label}: ${value}`);
  };
  const concurrency = KERNEL_DEFAULTS.apiConcurrency;
  try {
    const dataDir = join(ctx.tmp, "data");
    const appsDir = join(ctx.tmp, "apps");
    const coldNames = Array.from(
      { length: COLD_APPS },
      (_, i) => `cold-${String(i + 1).padStart(2, "0")}`,
    );
    for (const name of ["hello", ...coldNames]) await writeApp(join(appsDir, name), HELLO_SOURCE);
    await writeApp(join(appsDir, "kv"), KV_SOURCE);

    // fazt: a real server process with its own data folder.
    const serveArgs = ["serve", "--port", "0", "--data", dataDir];
    const fazt = start(spawnChild("fazt (runtime)", faztCommand(serveArgs)));
    commands.push("# fazt (cwd: repository root; its own data folder for this suite)");
    commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...serveArgs]));
    const port = Number(await waitForOutput(fazt, /listening on http:\/\/127\.0\.0\.1:(\d+)/));
    const serverPid = fazt.process.pid;
    log(`fazt listening on ${port} (pid ${serverPid})`);
    const token = (await Deno.readTextFile(join(dataDir, "owner.token"))).trim();
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${port}/_fazt/api${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (!res.ok) throw new Error(`GET /_fazt/api${path}: ${res.status} ${await res.text()}`);
      return await res.json() as T;
    };

    /** Starts a reference server (`deno run <permission> bench/<script>`); returns it and its port. */
    const reference = async (label: string, script: string, permission: string, why: string) => {
      const child = start(spawnChild(
        label,
        new Deno.Command(Deno.execPath(), {
          args: ["run", permission, join(ROOT, "bench", script)],
          cwd: ROOT,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }),
      ));
      commands.push(`# ${why}`);
      commands.push(display(["deno", "run", permission, `bench/${script}`]));
      const port = Number(await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/));
      log(`${label} listening on ${port}`);
      return { child, port };
    };
    const { child: bare, port: barePort } = await reference(
      "bare Deno (hello)",
      "hello_deno_server.ts",
      "--allow-net",
      "bare Deno.serve reference with the same handler",
    );
    const { child: floor, port: floorPort } = await reference(
      "bridge floor (hello)",
      "bridge_floor_server.ts",
      "-A",
      "the bridge floor: a minimal process-isolated runtime with the same handler",
    );

    const { child: floorBin, port: floorBinPort } = await reference(
      "binary bridge floor (hello)",
      "bridge_floor_binary_server.ts",
      "-A",
      "the binary bridge floor: the same over binary frames (no JSON, no base64)",
    );
    // nginx in front of the bare Deno hello, as a self-hosted PaaS runs an app.
    const nginxPath = await findExecutable("nginx");
    const proxy = nginxPath
      ? await startNginxProxy(nginxPath, join(ctx.tmp, "nginx-proxy"), barePort)
      : undefined;
    if (proxy) {
      start(proxy.child);
      commands.push("# nginx reverse proxy → the bare Deno.serve hello (config below)");
      commands.push(display(proxy.command));
      commands.push(...proxy.config.trimEnd().split("\n").map((l) => `#   ${l}`));
      log(`nginx proxy listening on ${proxy.port}`);
    } else {
      log("nginx not found: the reverse-proxy reference is skipped");
    }

    const deploy = async (name: string, show = true) => {
      const args = ["app", "add", join(appsDir, name), "--name", name, "--data", dataDir];
      if (show) commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...args]));
      const out = await faztCommand(args).output();
      if (!out.success) {
        const dec = new TextDecoder();
        throw new Error(
          `fazt app add ${name} failed (exit ${out.code}):\n${dec.decode(out.stdout)}${
            dec.decode(out.stderr)
          }`,
        );
      }
      log(`deployed app "${name}"`);
    };

    /** Waits until the spare sandbox exists and has gone idle; returns its pid. */
    const spareReady = async (): Promise<number> => {
      const deadline = Date.now() + 30_000;
      while (true) {
        const stats = (await api<{ runtime: RuntimeStats }>("/system/stats")).runtime;
        const bound = new Set(stats.processes.map((p) => p.pid));
        const free = childProcesses(serverPid).filter((c) =>
          !bound.has(c.pid) && isSandboxProcess(c.pid)
        );
        if (stats.spare && free.length === 1) {
          await waitForQuiet(free[0].pid, 300);
          return free[0].pid;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `no single idle spare sandbox after 30 s (spare: ${stats.spare}, unbound children: ${free.length})`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const memory: MemorySnapshot[] = [];
    /** Memory now; `spare`: wait for the spare sandbox first (there is none before any app has server code). */
    const snapshot = async (label: string, spare = true) => {
      const sparePid = spare ? await spareReady() : undefined;
      const stats = (await api<{ runtime: RuntimeStats }>("/system/stats")).runtime;
      const names = new Map(
        (await api<{ id: string; name: string }[]>("/apps")).map((a) => [a.id, a.name]),
      );
      const appOf = new Map(stats.processes.map((p) => [p.pid, names.get(p.appId) ?? p.appId]));
      const rssOf = (pid: number, app?: string): ProcessRss | undefined => {
        try {
          return { pid, app, rss: processMemory(pid).rss, pss: processPss(pid) };
        } catch {
          return undefined; // exited meanwhile
        }
      };
      const snap: MemorySnapshot = {
        label,
        kernel: { ...processMemory(serverPid), pss: processPss(serverPid) },
        sandboxes: [],
        others: [],
      };
      for (const c of childProcesses(serverPid)) {
        const app = appOf.get(c.pid);
        const r = rssOf(c.pid, app);
        if (!r) continue;
        if (app !== undefined) snap.sandboxes.push(r);
        else if (c.pid === sparePid) snap.spare = r;
        else snap.others.push(r);
      }
      snap.sandboxes.sort((a, b) => (a.app ?? "").localeCompare(b.app ?? ""));
      memory.push(snap);
      const sum = snap.sandboxes.reduce((n, s) => n + s.rss, 0);
      log(
        `memory, ${label}: kernel ${
          (snap.kernel.rss / 2 ** 20).toFixed(1)
        } MiB, ${snap.sandboxes.length} sandboxes ${(sum / 2 ** 20).toFixed(1)} MiB, spare ${
          ((snap.spare?.rss ?? 0) / 2 ** 20).toFixed(1)
        } MiB`,
      );
    };

    await reading("at the start of the suite");
    await snapshot("after start, no app", false);

    // Cold starts (and memory with 1 and 10 warm apps).
    commands.push(`# ${COLD_APPS} apps for the cold starts (same api/main.js as hello)`);
    for (const [i, name] of coldNames.entries()) await deploy(name, i === 0);
    commands.push(`# … and the same for ${coldNames[1]} … ${coldNames[coldNames.length - 1]}`);
    commands.push(
      `# cold starts: for each app, wait until the spare sandbox is idle, then time GET /api/hello with Host: <app>.localhost over a new connection (in bench/runtime_suite.ts), then a second, warm request`,
    );
    const cold: ColdSample[] = [];
    for (const [i, name] of coldNames.entries()) {
      await spareReady();
      const first = await timedGet(port, `${name}.localhost`, "/api/hello");
      const second = await timedGet(port, `${name}.localhost`, "/api/hello");
      for (const r of [first, second]) {
        if (r.status !== 200 || r.body !== "hello") {
          throw new Error(`${name} answered ${r.status} "${r.body.slice(0, 200)}", not "hello"`);
        }
      }
      cold.push({ app: name, firstMs: first.ms, secondMs: second.ms });
      log(
        `cold start ${i + 1}/${COLD_APPS} ${name}: ${first.ms.toFixed(1)} ms (then warm ${
          second.ms.toFixed(1)
        } ms)`,
      );
      if (i === 0) await snapshot("1 warm app");
      assertAlive(children);
    }
    await snapshot(`${COLD_APPS} warm apps`);

    // Hello and kv under load.
    commands.push("# the apps under load");
    await deploy("hello");
    await deploy("kv");
    const checks: [string, number, string, string, string][] = [
      ["fazt hello", port, "hello.localhost", "/api/hello", "hello"],
      ["bare Deno hello", barePort, `127.0.0.1:${barePort}`, "/", "hello"],
      ["bridge floor hello", floorPort, `127.0.0.1:${floorPort}`, "/", "hello"],
      ["binary bridge floor hello", floorBinPort, `127.0.0.1:${floorBinPort}`, "/", "hello"],
      ...(proxy
        ? [["nginx proxy hello", proxy.port, `127.0.0.1:${proxy.port}`, "/", "hello"] as [
          string,
          number,
          string,
          string,
          string,
        ]]
        : []),
      ["kv set", port, "kv.localhost", "/api/set", String(KV_OPS_PER_REQUEST)],
      ["kv get", port, "kv.localhost", "/api/get", String(KV_OPS_PER_REQUEST)],
    ];
    for (const [what, p, host, path, want] of checks) {
      const r = await timedGet(p, host, path);
      if (r.status !== 200 || r.body !== want) {
        throw new Error(
          `${what} answered ${r.status} "${
            r.body.slice(0, 200)
          }", expected 200 "${want}". Refusing to measure.`,
        );
      }
    }
    log("hello (fazt and bare Deno) and kv set/get answer as expected");

    /** CPU ms used so far by `pid` (user + system). */
    const clockTicks = Number(await commandText("getconf", ["CLK_TCK"])) || 100;
    const cpuMs = (pid: number | undefined): number | undefined => {
      const stat = pid === undefined ? undefined : processStat(pid);
      return stat && stat.cpuTicks * 1000 / clockTicks;
    };
    /** The pid of the sandbox serving app `name` now. */
    const sandboxPid = async (name: string): Promise<number | undefined> => {
      const stats = (await api<{ runtime: RuntimeStats }>("/system/stats")).runtime;
      const apps = await api<{ id: string; name: string }[]>("/apps");
      const id = apps.find((a) => a.name === name)?.id;
      return stats.processes.find((p) => p.appId === id)?.pid;
    };

    const fazt50 = (connections: number, threads: number): Omit<WrkOptions, "duration"> => ({
      url: `http://127.0.0.1:${port}/api/hello`,
      host: "hello.localhost",
      threads,
      connections,
    });
    const deno50 = (connections: number, threads: number): Omit<WrkOptions, "duration"> => ({
      url: `http://127.0.0.1:${barePort}/`,
      threads,
      connections,
    });
    const at50 = (p: number): Omit<WrkOptions, "duration"> => ({
      url: `http://127.0.0.1:${p}/`,
      threads: 2,
      connections: 50,
    });
    const kv = (op: string): Omit<WrkOptions, "duration"> => ({
      url: `http://127.0.0.1:${port}/api/${op}`,
      host: "kv.localhost",
      threads: 2,
      connections: 4,
    });
    /**
     * One wrk case; `app` names fazt's app (its sandbox's CPU is counted),
     * `"floor"` / `"floorbin"` a bridge floor (its child's CPU is counted),
     * `"proxy"` the nginx proxy (bare Deno + nginx's workers), else the bare server.
     */
    type Counted = string | "floor" | "floorbin" | "proxy";
    const plan: { c: RuntimeCase; opts: Omit<WrkOptions, "duration">; app?: Counted }[] = [];
    const add = (
      id: RuntimeCaseId,
      label: string,
      opts: Omit<WrkOptions, "duration">,
      app?: Counted,
    ) =>
      plan.push({
        c: { id, label, threads: opts.threads, connections: opts.connections },
        opts,
        app,
      });
    add("fazt-c50", "fazt /api/hello", fazt50(50, 2), "hello");
    add("deno-c50", "bare Deno.serve", deno50(50, 2));
    if (proxy) add("proxy-c50", "nginx reverse proxy → bare Deno", at50(proxy.port), "proxy");
    add("floor-c50", "bridge floor (JSON lines)", at50(floorPort), "floor");
    add("floorbin-c50", "bridge floor (binary frames)", at50(floorBinPort), "floorbin");
    add("fazt-c32", "fazt /api/hello", fazt50(concurrency, 2), "hello");
    add("deno-c32", "bare Deno.serve", deno50(concurrency, 2));
    add("fazt-c1", "fazt /api/hello", fazt50(1, 1), "hello");
    add("deno-c1", "bare Deno.serve", deno50(1, 1));
    add("kv-set", `fazt.kv.set ×${KV_OPS_PER_REQUEST}`, kv("set"), "kv");
    add("kv-get", `fazt.kv.get ×${KV_OPS_PER_REQUEST}`, kv("get"), "kv");

    const { load } = ctx;
    commands.push(
      `# load (each after a -d${load.warmup} warm-up with the same arguments; ${load.rounds} round(s) in this order)`,
    );
    await reading("before the first load measurement");
    const measurements: RuntimeMeasurement[] = [];
    for (let round = 1; round <= load.rounds; round++) {
      for (const { c, opts, app } of plan) {
        const full: WrkOptions = { ...opts, duration: load.duration };
        const what = `round ${round}/${load.rounds} ${c.label} -c${c.connections}`;
        log(`${what}: warm-up ${load.warmup}`);
        await runWrk(ctx.wrk, { ...opts, duration: load.warmup }, ctx.signal);
        const floorOf = app === "floor" ? floor : app === "floorbin" ? floorBin : undefined;
        const server = floorOf
          ? floorOf.process.pid
          : app === "proxy" || !app
          ? bare.process.pid
          : serverPid;
        const sandbox = floorOf
          ? [childProcesses(floorOf.process.pid)[0]?.pid]
          : app === "proxy"
          ? childProcesses(proxy!.child.process.pid).map((c) => c.pid)
          : app
          ? [await sandboxPid(app)]
          : [];
        const sandboxMs = () => {
          if (sandbox.length === 0) return undefined;
          let total = 0;
          for (const pid of sandbox) {
            const ms = cpuMs(pid);
            if (ms === undefined) return undefined;
            total += ms;
          }
          return total;
        };
        const before = [cpuMs(server), sandboxMs()];
        log(`${what}: measuring ${load.duration}`);
        const result = await runWrk(ctx.wrk, full, ctx.signal);
        const after = [cpuMs(server), sandboxMs()];
        if (round === 1) commands.push(display(["wrk", ...wrkArgs(full)]));
        const used = (i: number) =>
          before[i] === undefined || after[i] === undefined ? undefined : after[i]! - before[i]!;
        const serverMs = used(0);
        measurements.push({
          id: c.id,
          round,
          result,
          cpu: serverMs === undefined ? undefined : { serverMs, sandboxMs: used(1) },
        });
        log(
          `${what}: ${Math.round(result.requestsPerSec)} req/s (${result.non2xx3xx} non-2xx), p50 ${
            result.latencyP50Ms.toFixed(2)
          } ms, p99 ${result.latencyP99Ms.toFixed(2)} ms`,
        );
        assertAlive(children);
      }
      await reading(`after round ${round}`);
    }
    await snapshot("after the load tests");

    return {
      date,
      elapsedSeconds: (performance.now() - started) / 1000,
      machine: await machineInfo(),
      versions: { deno: denoVersion(), wrk: await wrkVersion(ctx.wrk) },
      load: { ...load },
      limits: { concurrency, warmApps: KERNEL_DEFAULTS.warmApps },
      kvOpsPerRequest: KV_OPS_PER_REQUEST,
      apps: [
        {
          name: `hello, ${coldNames[0]} … ${coldNames[coldNames.length - 1]}`,
          source: HELLO_SOURCE,
        },
        { name: "kv", source: KV_SOURCE },
      ],
      cases: plan.map((p) => p.c),
      measurements,
      cold,
      memory,
      loadAverage: loads,
      commands,
    };
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
  }
}
