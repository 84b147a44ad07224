/**
 * Shared parts of the hostile-app suites (`tests/e2e/hostile_*_test.ts`): a
 * well-behaved app every case must leave unharmed, a context that deploys
 * and calls apps on a real server, `/proc` readers for the sandbox
 * processes, and {@linkcode runHostileSuite}, which runs a list of cases
 * against one server and checks after each that the good app and the
 * kernel still answer promptly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { zipFiles } from "./kernel.ts";
import { type StartOptions, startServer, type TestServer } from "./server.ts";
import { isAlive } from "./process.ts";

/** How long a healthy answer may take while another app misbehaves. */
export const PROMPT_MS = 2_000;

/** The app every case must leave unharmed. */
export const GOOD = {
  "index.html": "<h1>good app</h1>",
  "api/main.js": `export default (req) =>
  new URL(req.url).pathname === "/api/ping" ? "pong" : new Response("no such path", { status: 404 });
`,
};

/** One sandbox process in `system.stats`. */
export interface RuntimeProcess {
  appId: string;
  versionId: number;
  pid: number;
  inflight: number;
  idleMs: number;
}

/** The runtime section of `system.stats`. */
export interface RuntimeStats {
  warm: number;
  spare: boolean;
  coldStarts: number;
  killed: number;
  evicted: number;
  processes: RuntimeProcess[];
}

/** What `/proc/<pid>/stat` tells about a process. */
export interface ProcStat {
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** Fields of `/proc/<pid>/stat`, or null when there is no such process. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: f[0], ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) };
}

/** A numeric field of `/proc/<pid>/status` (`VmRSS` in kB, `Threads`). */
export function procStatus(pid: number, field: string): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = text.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"));
  assert.ok(m, `no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** The environment a process was started with (`/proc/<pid>/environ`). */
export function procEnviron(pid: number): Record<string, string> {
  const text = Deno.readTextFileSync(`/proc/${pid}/environ`);
  const env: Record<string, string> = {};
  for (const entry of text.split("\0")) {
    const at = entry.indexOf("=");
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** Files under `dir` (recursively, symlinks not followed) whose bytes contain `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const want = new TextEncoder().encode(needle);
  const found: string[] = [];
  const contains = (bytes: Uint8Array): boolean => {
    let at = bytes.indexOf(want[0]);
    while (at !== -1 && at <= bytes.length - want.length) {
      let i = 1;
      while (i < want.length && bytes[at + i] === want[i]) i++;
      if (i === want.length) return true;
      at = bytes.indexOf(want[0], at + 1);
    }
    return false;
  };
  const walk = async (path: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(path));
    } catch {
      return; // gone meanwhile
    }
    for (const entry of entries) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(child);
      else if (entry.isFile) {
        const bytes = await Deno.readFile(child).catch(() => null);
        if (bytes && contains(bytes)) found.push(child);
      }
    }
  };
  await walk(dir);
  return found;
}

/** Live child processes of `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const child = Number(entry.name);
    if (procStat(child)?.ppid === pid && isAlive(child)) out.push(child);
  }
  return out;
}

/** Settles like `promise`, or rejects once `ms` pass. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a case works with. */
export interface Ctx {
  server: TestServer;
  /** App name → app ID. */
  ids: Map<string, string>;
  /** Deploys an app; returns its ID. */
  deploy(name: string, files: Record<string, string>): Promise<string>;
  /** Requests a path of an app; the whole body is read. */
  get(app: string, path: string, init?: { method?: string; body?: string }): Promise<Answer>;
  /** The runtime section of `system.stats`. */
  runtime(): Promise<RuntimeStats>;
  /** The sandbox process of an app, once warm. */
  pidOf(app: string): Promise<number>;
}

/** An app's answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Milliseconds until the whole answer arrived. */
  ms: number;
}

/** The context of the cases run against `server`. */
export function makeCtx(server: TestServer): Ctx {
  const ids = new Map<string, string>();
  const ctx: Ctx = {
    server,
    ids,
    async deploy(name, files) {
      const res = await fetch(`${server.url}/_fazt/api/deploy?app=${name}`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
        body: zipFiles(files) as Uint8Array<ArrayBuffer>,
      });
      const body = await res.json() as { app: { id: string } };
      assert.equal(res.status, 200, `deploying ${name}: ${JSON.stringify(body)}`);
      ids.set(name, body.app.id);
      return body.app.id;
    },
    async get(app, path, init = {}) {
      const started = Date.now();
      const res = await server.fetch(`${app}.localhost`, path, init);
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, ms: Date.now() - started };
    },
    async runtime() {
      const res = await server.api("GET", "/system/stats");
      assert.equal(res.status, 200);
      return (await res.json() as { runtime: RuntimeStats }).runtime;
    },
    async pidOf(app) {
      const id = ids.get(app);
      const proc = (await ctx.runtime()).processes.find((p) => p.appId === id);
      assert.ok(proc, `${app} has no warm sandbox`);
      return proc.pid;
    },
  };
  return ctx;
}

/** The good app and the kernel answer promptly and correctly. */
export async function assertUnharmed(ctx: Ctx): Promise<void> {
  const { server } = ctx;
  await within(
    PROMPT_MS,
    "the good app and the kernel",
    Promise.all([
      ctx.get("good", "/api/ping").then((a) => assert.deepEqual([a.status, a.text], [200, "pong"])),
      ctx.get("good", "/").then((a) => {
        assert.equal(a.status, 200);
        assert.match(a.text, /good app/);
      }),
      fetch(`${server.url}/_fazt/health`).then(async (res) => {
        assert.equal(res.status, 200);
        assert.equal((await res.json() as { status: string }).status, "ok");
      }),
      server.api("GET", "/apps").then(async (res) => {
        assert.equal(res.status, 200);
        assert.match(await res.text(), /"name":"good"/);
      }),
    ]),
  );
}

/** The kernel's resident memory (kB). */
export function kernelRssKb(ctx: Ctx): number {
  return procStatus(ctx.server.process.pid, "VmRSS");
}

/** Fails when any child of the kernel burns CPU (a spinning sandbox left behind). */
export async function assertNoBusyChildren(ctx: Ctx): Promise<void> {
  const kernel = ctx.server.process.pid;
  const before = new Map(childrenOf(kernel).map((pid) => [pid, procStat(pid)!.cpuTicks]));
  await sleep(500);
  for (const [pid, ticks] of before) {
    const now = procStat(pid);
    if (now === null) continue;
    // A spinning process gets about 50 ticks in 500 ms.
    assert.ok(now.cpuTicks - ticks < 20, `sandbox ${pid} is still burning CPU`);
  }
}

/** One attack and what it must not achieve. */
export interface HostileCase {
  /** What the case shows, as a sentence. */
  name: string;
  /** Runs the attack and asserts its outcome. */
  run(ctx: Ctx): Promise<void>;
}

/**
 * Runs `cases` in order against one fresh server (started with `options`),
 * each as a test step followed by {@linkcode assertUnharmed}.
 */
export function runHostileSuite(
  name: string,
  cases: HostileCase[],
  options: StartOptions = {},
  cleanup: () => Promise<void> = () => Promise.resolve(),
): void {
  Deno.test({
    name,
    ignore: Deno.build.os !== "linux",
    async fn(t) {
      const server = await startServer(options);
      try {
        const ctx = makeCtx(server);
        await ctx.deploy("good", GOOD);
        // The good app's first answer is a fresh server's first sandbox start
        // (its private Deno cache still empty), which is not what "unharmed"
        // measures: it may take longer on a loaded machine.
        await within(10_000, "the good app's first answer", ctx.get("good", "/api/ping"));
        await assertUnharmed(ctx);
        for (const c of cases) {
          await t.step(c.name, async () => {
            await c.run(ctx);
            await assertUnharmed(ctx);
          });
        }
      } finally {
        await server.stop();
        await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
        await cleanup();
      }
    },
  });
}
