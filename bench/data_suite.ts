/**
 * The data suite of `deno task bench`: the app data stores seen from a
 * handler, on a real `fazt serve` process with its own data folder.
 *
 * In order:
 *
 * 1. `fazt.kv.set` throughput: app `data`'s `GET /api/kv-set` runs
 *    {@linkcode KV_OPS_PER_REQUEST} sequential `await fazt.kv.set(…)` (the
 *    runtime suite's shape), loaded with wrk at -t2 -c4 for
 *    `BENCH_ROUNDS` rounds; CPU per write of the kernel and the sandbox.
 * 2. `fazt.docs.find` latency on {@linkcode DOC_COUNT} documents: the app
 *    seeds collection `items` (each `owner` value on
 *    {@linkcode DOCS_PER_OWNER} documents), then times, inside the
 *    handler, `fazt.docs.find("items", {owner})` for random owners — first
 *    with no index, then after a redeploy whose `app.json` declares
 *    `{"indexes": {"items": ["owner"]}}` (same data, same query; the time
 *    the index took to build is reported too).
 *
 * Its server is stopped when it ends.
 *
 * @module
 */
import { join } from "node:path";
import { FAZT_FLAGS, faztCommand, hostFetch } from "../tests/_helpers/server.ts";
import { type Child, commandText, processStat, spawnChild, waitForOutput } from "./process.ts";
import { runWrk, wrkArgs, type WrkOptions } from "./wrk.ts";
import {
  assertAlive,
  denoVersion,
  display,
  loadAverage,
  machineInfo,
  type SuiteContext,
  wrkVersion,
} from "./suite.ts";
import type { DataReport, FindSample, KvSample } from "./data_report.ts";

/** `fazt.kv.set` calls per request. */
export const KV_OPS_PER_REQUEST = 200;

/** Documents in the collection `find` runs on. */
export const DOC_COUNT = 100_000;

/** Documents sharing one `owner` value (what one `find` returns). */
export const DOCS_PER_OWNER = 10;

/** Documents per `fazt.docs.insert` call while seeding. */
const SEED_BATCH = 1000;

/** Timed `find` calls with the index, and without (each reads every document). */
export const FINDS_INDEXED = 2000;
/** Timed `find` calls without the index. */
export const FINDS_UNINDEXED = 20;

/** The app's `api/main.js`. */
export const DATA_SOURCE =
  `// GET /api/kv-set: ${KV_OPS_PER_REQUEST} sequential fazt.kv.set calls, answering the count.
// POST /api/seed?from=N: inserts documents N … N+${SEED_BATCH - 1} into "items".
// GET /api/find?n=K: K finds of one random owner each, answering each call's time in ms.
const N = ${KV_OPS_PER_REQUEST};
const OWNERS = ${DOC_COUNT / DOCS_PER_OWNER};
export default async (req) => {
  const url = new URL(req.url);
  const op = url.pathname.split("/").pop();
  if (op === "kv-set") {
    let count = 0;
    for (let i = 0; i < N; i++) {
      await fazt.kv.set("k" + i, i);
      count++;
    }
    return String(count);
  }
  if (op === "seed") {
    const from = Number(url.searchParams.get("from"));
    const docs = Array.from({ length: ${SEED_BATCH} }, (_, j) => {
      const i = from + j;
      return { owner: "user-" + (i % OWNERS), n: i, title: "item " + i, done: i % 2 === 0 };
    });
    return (await fazt.docs.insert("items", docs)).length;
  }
  if (op === "find") {
    const times = [];
    for (let k = Number(url.searchParams.get("n")); k > 0; k--) {
      const owner = "user-" + Math.floor(Math.random() * OWNERS);
      const t0 = performance.now();
      const found = await fazt.docs.find("items", { owner });
      times.push(performance.now() - t0);
      if (found.length !== ${DOCS_PER_OWNER}) throw new Error(owner + ": " + found.length + " documents");
    }
    return times;
  }
  return new Response("use /api/kv-set, /api/seed or /api/find", { status: 404 });
};
`;

/** The app's `app.json` once the index is declared. */
export const INDEXED_MANIFEST = JSON.stringify({ indexes: { items: ["owner"] } });

/** The value at quantile `q` (0–1) of `values` (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Runs the data suite and returns its report (server stopped at the end). */
export async function runDataSuite(ctx: SuiteContext): Promise<DataReport> {
  const { log, load } = ctx;
  const started = performance.now();
  const date = new Date().toISOString();
  const children: Child[] = [];
  const commands: string[] = [];
  const loads: { label: string; value: string }[] = [];
  const reading = async (label: string) => {
    const value = await loadAverage();
    loads.push({ label, value });
    log(`load average ${label}: ${value}`);
  };
  try {
    const dataDir = join(ctx.tmp, "data");
    const appDir = join(ctx.tmp, "apps", "data");
    await Deno.mkdir(join(appDir, "api"), { recursive: true });
    await Deno.writeTextFile(join(appDir, "api", "main.js"), DATA_SOURCE);

    const serveArgs = ["serve", "--port", "0", "--data", dataDir];
    const fazt = spawnChild("fazt (data)", faztCommand(serveArgs));
    children.push(ctx.track(fazt));
    commands.push("# fazt (cwd: repository root; its own data folder for this suite)");
    commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...serveArgs]));
    const port = Number(await waitForOutput(fazt, /listening on http:\/\/127\.0\.0\.1:(\d+)/));
    const serverPid = fazt.process.pid;
    const token = (await Deno.readTextFile(join(dataDir, "owner.token"))).trim();
    log(`fazt listening on ${port} (pid ${serverPid})`);

    const deploy = async () => {
      const args = ["app", "add", appDir, "--name", "data", "--data", dataDir];
      commands.push(display(["deno", "run", ...FAZT_FLAGS, "main.ts", ...args]));
      const out = await faztCommand(args).output();
      if (!out.success) {
        const dec = new TextDecoder();
        throw new Error(
          `fazt app add failed (exit ${out.code}):\n${dec.decode(out.stdout)}${
            dec.decode(out.stderr)
          }`,
        );
      }
    };
    const call = async (method: string, path: string): Promise<string> => {
      const res = await hostFetch(port, "data.localhost", path, { method });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${body}`);
      return body;
    };
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${port}/_fazt/api${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (!res.ok) throw new Error(`GET /_fazt/api${path}: ${res.status} ${await res.text()}`);
      return await res.json() as T;
    };
    const sandboxPid = async (): Promise<number | undefined> => {
      const stats = await api<{ runtime: { processes: { appId: string; pid: number }[] } }>(
        "/system/stats",
      );
      const app = await api<{ id: string }>("/apps/data");
      return stats.runtime.processes.find((p) => p.appId === app.id)?.pid;
    };
    const clockTicks = Number(await commandText("getconf", ["CLK_TCK"])) || 100;
    const cpuMs = (pid: number | undefined): number | undefined => {
      const stat = pid === undefined ? undefined : processStat(pid);
      return stat && stat.cpuTicks * 1000 / clockTicks;
    };

    await deploy();
    if (await call("GET", "/api/kv-set") !== String(KV_OPS_PER_REQUEST)) {
      throw new Error("kv-set did not answer the count; refusing to measure.");
    }

    // 1. kv.set throughput.
    const kvOpts: Omit<WrkOptions, "duration"> = {
      url: `http://127.0.0.1:${port}/api/kv-set`,
      host: "data.localhost",
      threads: 2,
      connections: 4,
    };
    commands.push(
      `# load (each after a -d${load.warmup} warm-up with the same arguments; ${load.rounds} round(s))`,
    );
    await reading("before the first measurement");
    const kv: KvSample[] = [];
    for (let round = 1; round <= load.rounds; round++) {
      await runWrk(ctx.wrk, { ...kvOpts, duration: load.warmup }, ctx.signal);
      const sandbox = await sandboxPid();
      const before = [cpuMs(serverPid), cpuMs(sandbox)];
      const full: WrkOptions = { ...kvOpts, duration: load.duration };
      const result = await runWrk(ctx.wrk, full, ctx.signal);
      const after = [cpuMs(serverPid), cpuMs(sandbox)];
      if (round === 1) commands.push(display(["wrk", ...wrkArgs(full)]));
      const writes = result.requests * KV_OPS_PER_REQUEST;
      const per = (i: number) =>
        before[i] === undefined || after[i] === undefined
          ? undefined
          : (after[i]! - before[i]!) * 1000 / writes;
      kv.push({
        round,
        result,
        writesPerSec: result.requestsPerSec * KV_OPS_PER_REQUEST,
        kernelUsPerWrite: per(0),
        sandboxUsPerWrite: per(1),
      });
      log(
        `round ${round}: kv.set ${
          Math.round(result.requestsPerSec * KV_OPS_PER_REQUEST)
        } writes/s (${result.non2xx3xx} non-2xx)`,
      );
      assertAlive(children);
    }

    // 2. docs.find on 100k documents, without and then with the index.
    log(`seeding ${DOC_COUNT} documents`);
    const seedStart = performance.now();
    for (let from = 0; from < DOC_COUNT; from += SEED_BATCH) {
      await call("POST", `/api/seed?from=${from}`);
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    log(`seeded in ${seedSeconds.toFixed(1)} s`);
    /** `n` timed finds, at most `perRequest` per request (an unindexed find reads every document). */
    const finds = async (n: number, perRequest: number): Promise<number[]> => {
      const times: number[] = [];
      for (let left = n; left > 0; left -= perRequest) {
        const k = Math.min(left, perRequest);
        times.push(...JSON.parse(await call("GET", `/api/find?n=${k}`)) as number[]);
      }
      return times;
    };
    await finds(3, 1);
    const unindexed = await finds(FINDS_UNINDEXED, 1);
    log(`without index: p50 ${quantile(unindexed, 0.5).toFixed(2)} ms`);

    await Deno.writeTextFile(join(appDir, "app.json"), INDEXED_MANIFEST);
    const buildStart = performance.now();
    await deploy();
    // The sync is queued before any later write of the app: this one waits for the build.
    await call("GET", "/api/kv-set");
    const indexBuildSeconds = (performance.now() - buildStart) / 1000;
    log(`deploy with the index + one write: ${indexBuildSeconds.toFixed(1)} s`);
    await finds(100, 100);
    const indexed = await finds(FINDS_INDEXED, 500);
    log(`with index: p50 ${quantile(indexed, 0.5).toFixed(3)} ms`);
    await reading("after the measurements");
    assertAlive(children);

    const sample = (label: string, indexedRun: boolean, times: number[]): FindSample => ({
      label,
      indexed: indexedRun,
      calls: times.length,
      p50Ms: quantile(times, 0.5),
      p99Ms: quantile(times, 0.99),
      maxMs: Math.max(...times),
    });
    return {
      date,
      elapsedSeconds: (performance.now() - started) / 1000,
      machine: await machineInfo(),
      versions: { deno: denoVersion(), wrk: await wrkVersion(ctx.wrk) },
      load: { ...load },
      kvOpsPerRequest: KV_OPS_PER_REQUEST,
      kv,
      docCount: DOC_COUNT,
      docsPerOwner: DOCS_PER_OWNER,
      seedSeconds,
      indexBuildSeconds,
      finds: [
        sample("without index", false, unindexed),
        sample('with `"indexes": {"items": ["owner"]}`', true, indexed),
      ],
      source: DATA_SOURCE,
      manifest: INDEXED_MANIFEST,
      loadAverage: loads,
      commands,
    };
  } catch (err) {
    const output = children.map((c) => `${c.name}:\n${c.output().slice(-4000)}`).join("\n");
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${output}`);
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
  }
}
