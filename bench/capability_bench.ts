/**
 * What one capability call costs from a handler, on a real `fazt serve`:
 * an app runs `BENCH_CAP_CALLS` sequential calls per request (`fazt.kv.get`
 * of a small object, `fazt.kv.set`, `fazt.blobs.get` of 1 KiB, and a tenth
 * as many `fazt.docs.find` of 100 documents), five requests per round, and
 * the script reports per call the wall time and the CPU time of the kernel
 * and its children (sandbox and SQL processes, from `/proc`), median and
 * best of `BENCH_CAP_ROUNDS` rounds after one warm-up round.
 *
 * Run: `deno run --allow-all bench/capability_bench.ts`.
 *
 * @module
 */
import { startServer } from "../tests/_helpers/server.ts";
import { zipFiles } from "../tests/_helpers/kernel.ts";

const CALLS = Number(Deno.env.get("BENCH_CAP_CALLS") ?? 2000);
const ROUNDS = Number(Deno.env.get("BENCH_CAP_ROUNDS") ?? 5);
const REQUESTS = 5;

const MAIN = `
const N = ${CALLS};
export default async (req) => {
  const op = new URL(req.url).pathname.split("/").pop();
  if (op === "get") for (let i = 0; i < N; i++) await fazt.kv.get("k" + (i % 50));
  else if (op === "set") for (let i = 0; i < N; i++) await fazt.kv.set("k" + (i % 50), i);
  else if (op === "blob") for (let i = 0; i < N; i++) await fazt.blobs.get("b");
  else if (op === "find") for (let i = 0; i < N / 10; i++) await fazt.docs.find("c", {}, { limit: 100 });
  else if (op === "init") {
    await fazt.blobs.put("b", new Uint8Array(1024));
    const docs = Array.from({ length: 100 }, (_, i) => ({ i, name: "doc " + i, tags: ["a"], nested: { x: i } }));
    await fazt.docs.insert("c", docs);
    for (let i = 0; i < 50; i++) await fazt.kv.set("k" + i, { n: i, name: "value " + i });
  }
  return "ok";
};
`;

/** The calls one request of each kind makes. */
const KINDS: Record<string, number> = {
  get: CALLS,
  set: CALLS,
  blob: CALLS,
  find: CALLS / 10,
};

/** `pid` and every process below it. */
function descendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = Deno.readTextFileSync(`/proc/${out[i]}/task/${out[i]}/children`).trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** User + system CPU of `pids`, in clock ticks (1/100 s). */
function cpuTicks(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
try {
  const deployed = await fetch(`${server.url}/_fazt/api/deploy?app=bench`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zipFiles({ "api/main.js": MAIN }) as Uint8Array<ArrayBuffer>,
  });
  if (deployed.status !== 200) throw new Error(await deployed.text());
  await (await server.fetch("bench.localhost", "/api/init")).text();
  const results: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [kind, calls] of Object.entries(KINDS)) {
      const pids = descendants(server.process.pid);
      const cpu0 = cpuTicks(pids);
      const t0 = performance.now();
      for (let r = 0; r < REQUESTS; r++) {
        await (await server.fetch("bench.localhost", `/api/${kind}`)).text();
      }
      const wall = (performance.now() - t0) * 1000 / (REQUESTS * calls);
      const cpu = (cpuTicks(pids) - cpu0) * 10_000 / (REQUESTS * calls);
      if (round === 0) continue;
      (results[kind] ??= { wall: [], cpu: [] }).wall.push(wall);
      results[kind].cpu.push(cpu);
    }
  }
  console.log("| call | wall µs/call (median, best) | CPU µs/call (median, best) |");
  console.log("| --- | --- | --- |");
  const names: Record<string, string> = {
    get: "`fazt.kv.get`",
    set: "`fazt.kv.set`",
    blob: "`fazt.blobs.get` (1 KiB)",
    find: "`fazt.docs.find` (100 docs)",
  };
  for (const [kind, { wall, cpu }] of Object.entries(results)) {
    const fmt = (xs: number[]) => `${median(xs).toFixed(0)}, ${Math.min(...xs).toFixed(0)}`;
    console.log(`| ${names[kind]} | ${fmt(wall)} | ${fmt(cpu)} |`);
  }
} finally {
  await server.stop();
  await Deno.remove(server.dataDir, { recursive: true });
}
