import assert from "node:assert/strict";
import { type Database, openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  type AppProcess,
  type AppResources,
  type AppResourcesOptions,
  ceilings,
  createAppResources,
} from "../../../../kernel/services/cockpit/app_resources.ts";
import { openSysFiles } from "../../../../runtime/process/sys_files.ts";
import { isAlive } from "../../../_helpers/process.ts";

const MB = 1024 * 1024;
const A = "app_aaaaaaaaaaaaaaaa";
const B = "app_bbbbbbbbbbbbbbbb";

/** A real deno process that holds `mb` MB (touched), or burns CPU, until killed. */
class Child {
  readonly proc: Deno.ChildProcess;
  readonly ready: Promise<void>;
  constructor(code: string) {
    this.proc = new Deno.Command(Deno.execPath(), {
      args: ["eval", `${code}; console.log("ready"); setInterval(() => {}, 1000);`],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = this.proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.ready = lines.read().then(() => lines.cancel());
  }
  static holding(mb: number): Child {
    return new Child(`globalThis.keep = new Uint8Array(${mb} << 20).fill(1)`);
  }
  static burning(): Child {
    return new Child(
      "setInterval(() => { const t = Date.now(); while (Date.now() - t < 45); }, 50)",
    );
  }
  get pid(): number {
    return this.proc.pid;
  }
  async stop(): Promise<void> {
    try {
      this.proc.kill("SIGKILL");
    } catch {
      // gone
    }
    await this.proc.status;
  }
}

interface Harness {
  db: Database;
  resources: AppResources;
  /** The processes the watchdog sees. */
  processes: AppProcess[];
  stops: { appId: string; kind: string; message: string }[];
  logs: { appId: string; level: string; message: string }[];
}

async function withResources(
  options: Partial<AppResourcesOptions>,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-resources-" });
  const db = openDatabase({ path: `${dir}/kernel.db`, migrations: KERNEL_MIGRATIONS });
  const files = await openSysFiles();
  assert.ok(files);
  const processes: AppProcess[] = [];
  const stops: Harness["stops"] = [];
  const logs: Harness["logs"] = [];
  let resources: AppResources | undefined;
  try {
    await db.write((w) => {
      const add = w.prepare(
        "INSERT INTO apps (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)",
      );
      add.run(A, "alpha");
      add.run(B, "beta");
    });
    resources = await createAppResources({
      db,
      mode: "watchdog",
      defaultMemoryBytes: 128 * MB,
      cpuBudgetMs: 100,
      log: (appId, level, message) => logs.push({ appId, level, message }),
      dataLimiter: null,
      files,
      ...options,
    });
    resources.attach({
      list: () => processes,
      stop(appId, kind, message) {
        stops.push({ appId, kind, message });
        for (const p of processes) {
          if (p.appId === appId && (kind === "all" || p.kind === kind)) {
            try {
              Deno.kill(p.pid, "SIGKILL");
            } catch {
              // gone
            }
          }
        }
      },
    });
    await fn({ db, resources, processes, stops, logs });
  } finally {
    await resources?.close();
    await files.close();
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("caps: the server default, the owner's own (stored), cleared again; bad ones refused", async () => {
  await withResources({ mode: "off" }, async ({ db, resources }) => {
    assert.equal(resources.mechanism, "off");
    assert.deepEqual(resources.memoryLimit(A), { bytes: 128 * MB, custom: false });
    assert.equal(resources.sqliteHeapBytes(A), 32 * MB);
    await resources.setMemoryLimit(A, 256 * MB);
    assert.deepEqual(resources.memoryLimit(A), { bytes: 256 * MB, custom: true });
    assert.equal(resources.sqliteHeapBytes(A), 64 * MB);
    const again = await createAppResources({
      db,
      mode: "off",
      defaultMemoryBytes: 128 * MB,
      cpuBudgetMs: 100,
      log() {},
      dataLimiter: null,
      files: null,
    });
    assert.deepEqual(again.memoryLimit(A), { bytes: 256 * MB, custom: true }, "stored");
    assert.deepEqual(again.memoryLimit(B), { bytes: 128 * MB, custom: false });
    await resources.setMemoryLimit(A, null);
    assert.deepEqual(resources.memoryLimit(A), { bytes: 128 * MB, custom: false });
    const rows = db.read.prepare("SELECT count(*) AS n FROM app_limits").get() as { n: number };
    assert.equal(rows.n, 0, "a cleared cap leaves no row behind");
    for (const bad of [10 * MB, 100 * MB + 0.5, -1]) {
      await assert.rejects(
        resources.setMemoryLimit(A, bad),
        (e: unknown) => e instanceof FaztError && e.code === "invalid_input",
      );
    }
    await assert.rejects(
      resources.setMemoryLimit("app_zzzzzzzzzzzzzzzz", 128 * MB),
      (e: unknown) => e instanceof FaztError && e.code === "not_found",
    );
    assert.equal(resources.sqliteHeapBytes(A), 32 * MB);
  });
});

Deno.test("rlimit ceilings keep an app's sandbox and SQL process together under 1.5 × its cap", () => {
  for (const cap of [64, 96, 128, 256, 1024, 16384].map((n) => n * MB)) {
    const { sandbox, sql } = ceilings(cap);
    assert.ok(
      sandbox + sql <= 1.5 * cap - 4 * MB,
      `cap ${cap / MB}: ${sandbox / MB} + ${sql / MB}`,
    );
    assert.ok(sql >= 32 * MB);
    assert.ok(sandbox >= cap / 2);
  }
  // From the default cap up, the sandbox may pass the cap, so the watchdog then stops it.
  assert.equal(ceilings(128 * MB).sandbox, 136 * MB);
});

Deno.test("an app whose processes together hold more than its cap is stopped, largest first, logged and shown", async () => {
  const big = Child.holding(80);
  const small = Child.holding(24);
  const other = Child.holding(24);
  try {
    await Promise.all([big.ready, small.ready, other.ready]);
    await withResources({}, async ({ resources, processes, stops, logs }) => {
      assert.equal(resources.mechanism, "watchdog");
      await resources.setMemoryLimit(A, 96 * MB);
      processes.push(
        { appId: A, pid: big.pid, kind: "sandbox", inflight: 0, busyMs: 0 },
        { appId: A, pid: small.pid, kind: "sql" },
        { appId: B, pid: other.pid, kind: "sandbox", inflight: 0, busyMs: 0 },
      );
      await resources.check();
      assert.deepEqual(stops.map((s) => [s.appId, s.kind]), [[A, "sandbox"]]);
      assert.match(
        stops[0].message,
        /^The app's processes held [\d.]+ MiB \(sandbox [89]\d(\.\d)? MiB, SQL [23]\d(\.\d)? MiB\), more than its memory cap of 96 MiB, so fazt stopped its runtime\./,
      );
      const error = logs.find((l) => l.level === "error");
      assert.deepEqual([error?.appId, error?.message], [A, stops[0].message]);
      const view = await resources.view(A);
      assert.equal(view.memory.stops, 1);
      assert.equal(view.memory.lastStop?.message, stops[0].message);
      assert.ok(view.memory.usedBytes > 96 * MB && view.memory.peakBytes >= view.memory.usedBytes);
      assert.equal((await resources.view(B)).memory.stops, 0);
      // Nobody heard of it (no request in flight): the next start is told once.
      assert.throws(
        () => resources.admit(A),
        (e: unknown) =>
          e instanceof FaztError && e.code === "unavailable" &&
          /memory cap of 96 MiB/.test(e.message) && e.headers["retry-after"] === "1",
      );
      resources.admit(A);
      resources.admit(B);
      assert.equal(resources.status().memoryStops, 1);
      assert.ok(resources.status().watchdog.checks >= 1);
    });
    await big.proc.status;
    assert.ok(!isAlive(big.pid));
    assert.ok(isAlive(small.pid) && isAlive(other.pid));
  } finally {
    await Promise.all([big.stop(), small.stop(), other.stop()]);
  }
});

Deno.test("CPU burned with no request in flight stops and pauses its app; CPU spent serving requests does not", async () => {
  const idle = Child.burning();
  const serving = Child.burning();
  try {
    await Promise.all([idle.ready, serving.ready]);
    // A small budget (10 ms per second, 300 ms saved) so the test is short.
    await withResources(
      { cpuBudgetMs: 10, intervalMs: 50, cpuIntervalMs: 100 },
      async ({ resources, processes, stops }) => {
        const since = performance.now();
        processes.push(
          { appId: A, pid: idle.pid, kind: "sandbox", inflight: 0, busyMs: 0 },
          {
            appId: B,
            pid: serving.pid,
            kind: "sandbox",
            inflight: 1,
            get busyMs() {
              return performance.now() - since; // a request always in flight
            },
          },
        );
        const checkUntil = async (done: () => Promise<boolean>) => {
          const deadline = Date.now() + 15_000;
          while (!(await done()) && Date.now() < deadline) {
            await resources.check();
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        await checkUntil(() => Promise.resolve(stops.some((s) => s.appId === A)));
        const stop = stops.find((s) => s.appId === A);
        assert.ok(stop, "the idle burner was never stopped");
        assert.equal(stop.kind, "all");
        assert.match(stop.message, /with no request in flight/);
        assert.match(
          stop.message,
          /background CPU budget of 10 ms per second \(saved up to 300 ms\)/,
        );
        const view = await resources.view(A);
        assert.equal(view.cpu.stops, 1);
        assert.ok(view.cpu.pausedUntil !== null);
        assert.ok(view.cpu.leftMs < 0);
        assert.ok(view.cpu.backgroundMs > 300);
        assert.throws(
          () => resources.admit(A),
          (e: unknown) =>
            e instanceof FaztError && e.code === "unavailable" &&
            /paused for \d+ s/.test(e.message) && Number(e.headers["retry-after"]) >= 1,
        );
        // B goes on using CPU while serving: twice what the budget lets an app save.
        await checkUntil(async () => (await resources.view(B)).cpu.usedMs >= 600);
        assert.ok(!stops.some((s) => s.appId === B), "the app serving requests was stopped");
        const served = await resources.view(B);
        assert.ok(served.cpu.usedMs >= 600, `B used ${served.cpu.usedMs} ms`);
        assert.equal(served.cpu.backgroundMs, 0);
        resources.admit(B);
      },
    );
  } finally {
    await Promise.all([idle.stop(), serving.stop()]);
  }
});

/** True when this machine has a cgroup v1 memory hierarchy this test may write to. */
function v1Writable(): boolean {
  try {
    const line = Deno.readTextFileSync("/proc/self/cgroup").split("\n")
      .find((l) => /:memory:/.test(l));
    if (!line) return false;
    Deno.statSync(
      `/sys/fs/cgroup/memory${line.slice(line.lastIndexOf(":") + 1)}/memory.limit_in_bytes`,
    );
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "with cgroups an app's process that reaches its cap is stopped by the kernel, and the stop is explained",
  ignore: !v1Writable(),
  async fn() {
    await withResources({ mode: "auto" }, async ({ resources, logs }) => {
      assert.match(resources.mechanism, /^cgroup-v[12]$/);
      await resources.setMemoryLimit(A, 64 * MB);
      const child = new Child(
        "await new Promise((r) => setTimeout(r, 400)); const a = []; for (let i = 0; i < 16; i++) a.push(new Uint8Array(16 << 20).fill(1))",
      );
      await resources.sandboxBound(A, child.pid);
      const status = await child.proc.status;
      assert.equal(status.signal, "SIGKILL");
      const reason = await resources.exitReason(A, child.pid, status, 1);
      assert.match(reason ?? "", /reached its memory cap of 64 MiB, so the system stopped/);
      assert.equal(await resources.exitReason(A, child.pid, status, 1), null, "counted once");
      assert.ok(logs.some((l) => l.message === reason));
      const view = await resources.view(A);
      assert.equal(view.memory.stops, 1);
      assert.ok(
        view.memory.peakBytes <= 64 * MB && view.memory.peakBytes > 32 * MB,
        "the group's peak",
      );
      resources.admit(A); // a request was in flight: it heard, no notice
      await child.stop();
    });
  },
});
