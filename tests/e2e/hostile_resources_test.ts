/**
 * Hostile apps against the per-app resource limits (kernel/services/cockpit/
 * app_resources.ts), through a real server: memory bombs of every kind
 * (ArrayBuffers, strings, JavaScript objects, WebAssembly memory, SQLite
 * allocations in the app's SQL process, a bomb that goes off after the
 * response; `node:sqlite` inside the sandbox is refused by the module allow
 * list, tests/e2e/hostile_imports_test.ts), the
 * owner setting a cap over REST and the CLI, and CPU left burning after the
 * response next to an app that is merely busy.
 *
 * What each server really held is measured by the test itself, not by
 * fazt: each server starts inside a cgroup v1 memory group the test made
 * (tests/_helpers/memory_meter.ts), whose `memory.max_usage_in_bytes` is the
 * exact peak of the server and all its children. Every bomb must leave the
 * app's processes together under 1.5 × its cap (its memory before the bomb
 * plus the server's growth during it).
 *
 * The bombs run three times: with the strongest mechanism here (cgroup v1
 * memory groups: fazt's own groups sit inside the test's), with cgroups off
 * (`--resource-limits rlimit`: `RLIMIT_DATA` ceilings, the watchdog and
 * SQLite's heap limit), and with the watchdog alone, which guarantees only
 * that an app over its cap is stopped within a check or two, not how far a
 * fast bomb gets in between (its peaks are printed, not asserted).
 *
 * The sandbox heap is raised to 512 MB so that the app cap (128 MB), not
 * V8's heap limit, is what stops the heap bombs.
 */
import assert from "node:assert/strict";
import { eventually, isAlive } from "../_helpers/process.ts";
import { type Ctx, type HostileCase, runHostileSuite, sleep, within } from "../_helpers/hostile.ts";
import { createMemoryMeter, type MemoryMeter } from "../_helpers/memory_meter.ts";
import { cli } from "../_helpers/server.ts";

const MB = 1024 * 1024;
/** The default per-app cap. */
const CAP = 128 * MB;
const TIMEOUT_S = 5;

// ---------------------------------------------------------------------------
// The apps

/**
 * Every bomb stops after about 2 GB, so a mechanism that failed would still
 * leave the machine standing. `/api/room?mb=N` holds N MB and answers.
 */
const BOMBER = {
  "api/main.js": `const keep = [];
const BOMBS = {
  arraybuffers() {
    for (let i = 0; i < 32; i++) keep.push(new Uint8Array(64 << 20).fill(1));
  },
  strings() {
    for (let i = 0; i < 128; i++) {
      const s = ("x" + i).repeat(8 << 20); // 16 MB, flattened by the read below
      s.charCodeAt(s.length >> 1);
      keep.push(s);
    }
  },
  objects() {
    for (let i = 0; i < 256; i++) keep.push(new Array(1 << 20).fill(i + 0.5));
  },
  wasm() {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768 });
    keep.push(memory);
    for (let i = 0; i < 128; i++) {
      const at = memory.buffer.byteLength;
      memory.grow(256);
      new Uint8Array(memory.buffer, at, 256 * 65536).fill(1);
    }
  },
};
export default async (req) => {
  const url = new URL(req.url);
  const [, , what, kind] = url.pathname.split("/");
  if (what === "bomb") {
    await BOMBS[kind]();
    return "survived";
  }
  if (what === "later") {
    setTimeout(() => BOMBS.arraybuffers(), 50);
    return "scheduled";
  }
  if (what === "room") {
    const mb = Number(url.searchParams.get("mb"));
    keep.push(new Uint8Array(mb << 20).fill(7));
    return "holding " + mb + " MB";
  }
  if (what === "sql") {
    const statements = {
      randomblob: "SELECT length(randomblob(900000000)) AS n",
      concat: "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) " +
        "SELECT length(group_concat(hex(randomblob(100000)))) AS n FROM c",
      small: "SELECT 1 AS n",
    };
    try {
      return { rows: await fazt.sql.query(statements[kind]) };
    } catch (err) {
      return { error: String(err) };
    }
  }
  return "alive";
};
`,
};

/** Starts a timer that burns 95 ms of every 100 ms, and answers at once. */
const BURNER = {
  "api/main.js": `let burning = false;
export default () => {
  if (!burning) {
    burning = true;
    setInterval(() => {
      const t = Date.now();
      while (Date.now() - t < 95);
    }, 100);
  }
  return "ok";
};
`,
};

/** Works 15 ms of CPU per request, and keeps a light timer (5 ms per second). */
const BUSY = {
  "api/main.js": `setInterval(() => {
  const t = performance.now();
  while (performance.now() - t < 5);
}, 1000);
export default () => {
  const t = performance.now();
  let n = 0;
  while (performance.now() - t < 15) n++;
  return String(n);
};
`,
};

// ---------------------------------------------------------------------------
// Reading the server

interface StopView {
  at: string;
  message: string;
}

interface Resources {
  mechanism: string;
  memory: {
    limitBytes: number;
    custom: boolean;
    usedBytes: number;
    peakBytes: number;
    sqliteHeapBytes: number;
    stops: number;
    lastStop: StopView | null;
  };
  cpu: {
    budgetMsPerSecond: number;
    burstMs: number;
    leftMs: number;
    usedMs: number;
    backgroundMs: number;
    pausedUntil: string | null;
    stops: number;
    lastStop: StopView | null;
  };
}

async function resources(ctx: Ctx, app: string): Promise<Resources> {
  const res = await ctx.server.api("GET", `/apps/${app}`);
  assert.equal(res.status, 200);
  return (await res.json() as { resources: Resources }).resources;
}

async function kernelLogs(ctx: Ctx, app: string): Promise<string[]> {
  const res = await ctx.server.api("GET", `/apps/${app}/logs?limit=200`);
  assert.equal(res.status, 200);
  const entries = await res.json() as { source: string; message: string }[];
  return entries.filter((e) => e.source === "kernel").map((e) => e.message);
}

/** Every log entry of the app since `since` (ms), as one text. */
async function logsSince(ctx: Ctx, app: string, since: number): Promise<string> {
  const from = encodeURIComponent(new Date(since).toISOString());
  const res = await ctx.server.api("GET", `/apps/${app}/logs?limit=200&since=${from}`);
  assert.equal(res.status, 200);
  return JSON.stringify(await res.json());
}

/** The memory group a process is in (cgroup v1), from `/proc/<pid>/cgroup`. */
function memoryGroupOf(pid: number): string {
  const line = Deno.readTextFileSync(`/proc/${pid}/cgroup`).split("\n")
    .find((l) => /:memory:/.test(l));
  assert.ok(line, `process ${pid} has no memory group`);
  return `/sys/fs/cgroup/memory${line.slice(line.lastIndexOf(":") + 1)}`;
}

const fmt = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;

/**
 * Lets the previous case settle: waits for a watchdog check (which may stop
 * a process left over its cap), then until the app answers (hearing of
 * such a stop once, with a 503).
 */
async function settle(ctx: Ctx): Promise<void> {
  await sleep(600);
  // A bomb whose allocation failed inside the app (rlimit mode) leaves its process alive with
  // what it kept: start the next case from a fresh process, as a redeploy does.
  if ((await resources(ctx, "bomber")).memory.usedBytes > 64 * MB) {
    await ctx.deploy("bomber", BOMBER);
    await sleep(600);
  }
  await eventually(5_000, "the bomber answers", async () => {
    const res = await ctx.get("bomber", "/api/ok");
    return res.status === 200 && res.text === "alive";
  });
}

/** Waits for one watchdog reading of the app, then returns what its processes own. */
async function ownedNow(ctx: Ctx, app: string): Promise<number> {
  await sleep(600);
  return (await resources(ctx, app)).memory.usedBytes;
}

// ---------------------------------------------------------------------------
// The cases

type Mode = "cgroup" | "rlimit" | "watchdog";

const BOMB_KINDS = ["arraybuffers", "strings", "objects", "wasm"] as const;

/** Peaks measured per mode and bomb, printed at the end of each suite. */
const peaks: string[] = [];

/** One bomb against the bomber app: stopped, within 1.5 × its cap, said so, and recovered. */
function bombCase(mode: Mode, meter: MemoryMeter, kind: string): HostileCase {
  return {
    name: `a ${kind} bomb is stopped below 1.5 × the app's cap, and the app recovers`,
    async run(ctx) {
      await settle(ctx);
      const pid = await ctx.pidOf("bomber");
      const group = mode === "cgroup" ? memoryGroupOf(pid) : null;
      const before = await resources(ctx, "bomber");
      const owned = await ownedNow(ctx, "bomber");
      meter.resetPeak();
      const base = meter.usage();
      const since = Date.now();
      const res = await within(30_000, `the ${kind} bomb`, ctx.get("bomber", `/api/bomb/${kind}`));
      const growth = meter.peak() - base;
      peaks.push(
        `${mode} ${kind}: ${res.status}, app before ${fmt(owned)}, server grew ${
          fmt(growth)
        } (app total ≤ ${fmt(owned + growth)}, cap ${fmt(CAP)})`,
      );
      assert.notEqual(res.status, 200, `the bomb survived: ${res.text}`);
      assert.ok(res.status >= 500, `${res.status} ${res.text}`);
      if (mode !== "watchdog") {
        assert.ok(
          owned + growth < 1.5 * CAP,
          `${kind}: the app held up to ${fmt(owned + growth)}, over 1.5 × its ${fmt(CAP)} cap`,
        );
      }
      // The stop is in the app's logs and status (rlimit: the failed allocation may be all).
      const said = /memory cap|allocation failed|out of memory|Unable to grow|Invalid string/i;
      await eventually(3_000, `the ${kind} bomb is in the app's logs`, async () => {
        return said.test(await logsSince(ctx, "bomber", since));
      });
      if (group) {
        assert.match(res.text, /memory cap of 128 MiB/);
        // The app's own group never held more than its cap (its peak counter, and as shown).
        const peak = Number(Deno.readTextFileSync(`${group}/memory.max_usage_in_bytes`));
        assert.ok(peak <= CAP, `the app's group peaked at ${fmt(peak)}`);
        const shown = (await resources(ctx, "bomber")).memory.peakBytes;
        assert.ok(shown < 1.5 * CAP && shown >= peak, `peak shown: ${fmt(shown)}`);
      }
      if (mode === "watchdog") {
        await eventually(2_000, "the bloated sandbox is stopped", () => !isAlive(pid));
      }
      if (!isAlive(pid) || res.status === 502) {
        const after = await resources(ctx, "bomber");
        assert.ok(after.memory.stops > before.memory.stops, "the stop is not in the status");
        assert.match(after.memory.lastStop?.message ?? "", /memory cap of 128 MiB/);
      }
      // It recovers: a fresh process when the old one was stopped.
      await eventually(5_000, "the app answers again", async () => {
        const again = await ctx.get("bomber", "/api/ok");
        return again.status === 200 && again.text === "alive";
      });
    },
  };
}

function sqlCases(mode: Mode, meter: MemoryMeter): HostileCase[] {
  return ["randomblob", "concat"].map((kind) => ({
    name: `a SQLite ${kind} bomb in the app's SQL process fails with a clear error`,
    async run(ctx) {
      await settle(ctx);
      const warm = await ctx.get("bomber", "/api/sql/small");
      assert.equal(warm.status, 200, warm.text);
      const owned = await ownedNow(ctx, "bomber");
      meter.resetPeak();
      const base = meter.usage();
      const res = await ctx.get("bomber", `/api/sql/${kind}`);
      const growth = meter.peak() - base;
      peaks.push(`${mode} sql ${kind}: server grew ${fmt(growth)}`);
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as { error?: string };
      assert.match(out.error ?? "", /more than the 32 MiB of memory this app's SQL may use/);
      assert.ok(owned + growth < 1.5 * CAP, `the app held up to ${fmt(owned + growth)}`);
      assert.ok(growth < 64 * MB, `the SQL process grew by ${fmt(growth)}`);
      const again = await ctx.get("bomber", "/api/sql/small");
      assert.equal(again.status, 200, again.text);
    },
  }));
}

/**
 * A bomb that goes off after the response. With cgroups its process is
 * stopped: the next request hears of it (503 naming the cap), the one after
 * runs fresh. With RLIMIT_DATA the allocation fails at the ceiling: the
 * process lives on under the cap and its logs say what failed.
 */
function laterCase(mode: Mode, meter: MemoryMeter): HostileCase {
  return {
    name: "a bomb that goes off after the response is stopped too, and the app is told",
    async run(ctx) {
      await settle(ctx);
      const pid = await ctx.pidOf("bomber");
      const owned = await ownedNow(ctx, "bomber");
      meter.resetPeak();
      const base = meter.usage();
      const since = Date.now();
      const res = await ctx.get("bomber", "/api/later");
      assert.deepEqual([res.status, res.text], [200, "scheduled"]);
      if (mode === "cgroup") {
        await eventually(5_000, "the bomb's process is stopped", () => !isAlive(pid));
        await sleep(300);
        const next = await ctx.get("bomber", "/api/ok");
        assert.equal(next.status, 503, next.text);
        assert.match(next.text, /memory cap of 128 MiB/);
        const after = await ctx.get("bomber", "/api/ok");
        assert.deepEqual([after.status, after.text], [200, "alive"]);
        assert.notEqual(await ctx.pidOf("bomber"), pid);
      } else {
        await eventually(5_000, "the failed allocation is in the app's logs", async () => {
          return /allocation failed/.test(await logsSince(ctx, "bomber", since));
        });
        const next = await ctx.get("bomber", "/api/ok");
        assert.ok(next.status === 200 || /memory cap/.test(next.text), next.text);
      }
      const growth = meter.peak() - base;
      peaks.push(`${mode} later: app total ≤ ${fmt(owned + growth)}`);
      assert.ok(owned + growth < 1.5 * CAP, `the app held up to ${fmt(owned + growth)}`);
    },
  };
}

const ROOM: HostileCase = {
  name:
    "an app gets real room under its cap: 64 MB held on top of a SQL process that kept its cache",
  async run(ctx) {
    await settle(ctx);
    assert.equal((await ctx.get("bomber", "/api/sql/small")).status, 200);
    const pid = await ctx.pidOf("bomber");
    const stops = (await resources(ctx, "bomber")).memory.stops;
    // The SQL process may keep up to its heap limit (a quarter of the cap) after the SQL bombs,
    // and the sandbox its ~15 MB: 64 MB of the app's own still fit under the cap.
    const res = await ctx.get("bomber", "/api/room?mb=64");
    assert.deepEqual([res.status, res.text], [200, "holding 64 MB"]);
    await sleep(800);
    if (!isAlive(pid)) {
      const stop = (await resources(ctx, "bomber")).memory.lastStop?.message;
      assert.fail(`the app was stopped under its cap: ${stop}`);
    }
    const r = await resources(ctx, "bomber");
    assert.equal(r.memory.stops, stops);
    assert.ok(r.memory.usedBytes > 64 * MB && r.memory.usedBytes < CAP, fmt(r.memory.usedBytes));
  },
};

function deployBomber(): HostileCase {
  return {
    name: "the bomber app deploys and answers",
    async run(ctx) {
      await ctx.deploy("bomber", BOMBER);
      assert.equal((await ctx.get("bomber", "/api/ok")).text, "alive");
    },
  };
}

function memorySuite(mode: Mode, meter: MemoryMeter): HostileCase[] {
  return [
    deployBomber(),
    ...BOMB_KINDS.map((kind) => bombCase(mode, meter, kind)),
    ...(mode === "watchdog" ? [] : sqlCases(mode, meter)),
    ...(mode === "watchdog" ? [] : [laterCase(mode, meter)]),
    {
      name: "peaks measured (printed for docs/BENCHMARKS.md)",
      run() {
        console.log(peaks.filter((p) => p.startsWith(mode)).join("\n"));
        return Promise.resolve();
      },
    },
  ];
}

const STATUS: HostileCase = {
  name: "system.status says which mechanism enforces caps, and the memory guard reads real memory",
  async run(ctx) {
    type Status = {
      memory: { kernelRss: number; guard: { rss: number } | null };
      resources: { mechanism: string; note: string; watchdog: { checks: number } };
    };
    let body!: Status;
    await eventually(5_000, "the watchdog has checked", async () => {
      body = await (await ctx.server.api("GET", "/system/status")).json() as Status;
      return body.resources.watchdog.checks > 0 && (body.memory.guard?.rss ?? 0) > 0;
    });
    assert.match(body.resources.mechanism, /^cgroup-v[12]$/);
    assert.match(body.resources.note, /app groups under .*fazt-\d+/);
    assert.ok(body.resources.watchdog.checks > 0);
    // Before, the guard could not read /proc under fazt's permissions and saw 0.
    assert.ok(
      (body.memory.guard?.rss ?? 0) > body.memory.kernelRss / 2,
      JSON.stringify(body.memory),
    );
  },
};

const OWNER_CAP: HostileCase = {
  name: "the owner sets an app's cap over REST and the CLI; it is enforced and shown",
  async run(ctx) {
    const { server } = ctx;
    await ctx.deploy("roomy", BOMBER);
    assert.equal((await ctx.get("roomy", "/api/ok")).status, 200);
    const pid = await ctx.pidOf("roomy");
    const group = memoryGroupOf(pid);
    assert.match(group, /fazt-\d+\/app_[a-z2-7]{16}$/);
    const limitFile = () => Number(Deno.readTextFileSync(`${group}/memory.limit_in_bytes`));
    assert.equal(limitFile(), CAP);

    // REST: raise it to 256 MB; 160 MB now fits.
    const up = await server.api("PUT", "/apps/roomy/memory-limit", { limitMb: 256 });
    assert.equal(up.status, 200);
    const view = await up.json() as Resources;
    assert.equal(view.memory.limitBytes, 256 * MB);
    assert.equal(view.memory.custom, true);
    assert.equal(view.memory.sqliteHeapBytes, 64 * MB);
    assert.equal(limitFile(), 256 * MB);
    const roomy = await ctx.get("roomy", "/api/room?mb=160");
    assert.deepEqual([roomy.status, roomy.text], [200, "holding 160 MB"]);

    // Bad input changes nothing.
    for (const body of [{ limitMb: 8 }, { limitMb: "lots" }, { limitMb: 1e12 }]) {
      const bad = await server.api("PUT", "/apps/roomy/memory-limit", body);
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal((await bad.json() as { error: { code: string } }).error.code, "invalid_input");
    }
    assert.equal(limitFile(), 256 * MB);

    // CLI: down to 96 MB; the same 160 MB is stopped, naming the new cap.
    const set = await cli([
      "app",
      "memory-limit",
      "roomy",
      "--limit",
      "96",
      "--data",
      server.dataDir,
      "--json",
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((JSON.parse(set.stdout) as Resources).memory.limitBytes, 96 * MB);
    await eventually(3_000, "the new cap is in the group", () => limitFile() === 96 * MB);
    const tight = await ctx.get("roomy", "/api/room?mb=160");
    assert.ok(tight.status >= 500, `${tight.status} ${tight.text}`);
    assert.match(tight.text, /memory cap of 96 MiB/);

    // The app's info shows it, and its logs say what happened.
    const info = await cli(["app", "info", "roomy", "--data", server.dataDir, "--json"]);
    assert.equal(info.code, 0, info.stderr);
    const shown = (JSON.parse(info.stdout) as { resources: Resources }).resources;
    assert.equal(shown.memory.limitBytes, 96 * MB);
    assert.ok(shown.memory.stops >= 1);
    assert.match(shown.memory.lastStop?.message ?? "", /memory cap of 96 MiB/);
    const logs = await kernelLogs(ctx, "roomy");
    assert.ok(logs.some((l) => /memory cap is now 96 MiB/.test(l)), logs.join("\n"));
    // The cgroup's own stop and the watchdog's sample race; either one is the cap enforced.
    assert.ok(
      logs.some((l) => /(reached|more than) its memory cap of 96 MiB/.test(l)),
      logs.join("\n"),
    );

    // Cleared: back to the server default.
    const cleared = await server.api("PUT", "/apps/roomy/memory-limit", {});
    const back = await cleared.json() as Resources;
    assert.deepEqual([back.memory.limitBytes, back.memory.custom], [CAP, false]);
  },
};

const CPU_BURNER: HostileCase = {
  name:
    "CPU left burning after the response is stopped under steady traffic, logged, shown, and paused",
  async run(ctx) {
    await ctx.deploy("burner", BURNER);
    const first = await ctx.get("burner", "/api/x");
    assert.equal(first.status, 200);
    const started = Date.now();
    let refused: { status: number; text: string; retry: string | null; at: number } | null = null;
    // Steady traffic: a request every 250 ms.
    while (!refused && Date.now() - started < 25_000) {
      const res = await ctx.get("burner", "/api/x");
      if (res.status !== 200) {
        refused = {
          status: res.status,
          text: res.text,
          retry: res.headers.get("retry-after"),
          at: Date.now(),
        };
      }
      await sleep(250);
    }
    assert.ok(refused, "the burner was never stopped");
    const took = refused.at - started;
    console.log(`burner stopped after ${took} ms: ${refused.status}`);
    assert.ok(refused.status === 502 || refused.status === 503, refused.text);
    assert.match(refused.text, /CPU/);
    const r = await resources(ctx, "burner");
    assert.ok(r.cpu.stops >= 1);
    assert.match(r.cpu.lastStop?.message ?? "", /background CPU budget of 100 ms per second/);
    assert.ok(r.cpu.backgroundMs > 2_000, `background ${r.cpu.backgroundMs} ms`);
    const logs = await kernelLogs(ctx, "burner");
    assert.ok(logs.some((l) => /with no request in flight/.test(l)), logs.join("\n"));
    // While paused, requests get 503 + Retry-After and no process runs.
    const paused = r.cpu.pausedUntil !== null
      ? await ctx.get("burner", "/api/x")
      : refused.status === 503
      ? { status: 503, headers: new Headers({ "retry-after": refused.retry ?? "" }), text: "" }
      : null;
    if (paused) {
      assert.equal(paused.status, 503);
      assert.ok(Number(paused.headers.get("retry-after")) >= 1);
    }
  },
};

const CPU_BUSY: HostileCase = {
  name: "an app that is merely busy serving requests (and runs a light timer) is never stopped",
  async run(ctx) {
    await ctx.deploy("busy", BUSY);
    const end = Date.now() + 8_000;
    let ok = 0;
    const failures: string[] = [];
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (Date.now() < end) {
        const res = await ctx.get("busy", "/api/work");
        if (res.status === 200) ok++;
        else failures.push(`${res.status} ${res.text}`);
      }
    }));
    assert.deepEqual(failures, []);
    assert.ok(ok > 50, `only ${ok} requests`);
    const r = await resources(ctx, "busy");
    assert.equal(r.cpu.stops, 0, r.cpu.lastStop?.message);
    assert.ok(r.cpu.usedMs > 1_000, `used ${r.cpu.usedMs} ms`);
    assert.ok(r.cpu.leftMs > r.cpu.burstMs / 2, JSON.stringify(r.cpu));
  },
};

// ---------------------------------------------------------------------------
// The suites

const ARGS = ["--sandbox-heap", "512", "--api-timeout", String(TIMEOUT_S)];

function suite(name: string, mode: Mode, args: string[], extra: HostileCase[] = []): void {
  const meter = createMemoryMeter(`fazt-test-${mode}`);
  if (!meter) {
    Deno.test({
      name: `${name} (needs a writable cgroup v1 memory hierarchy to measure)`,
      ignore: true,
      fn() {},
    });
    return;
  }
  // Removed after the suite, or when the test process ends (a filtered-out suite never runs).
  globalThis.addEventListener("unload", () => meter.remove());
  runHostileSuite(
    name,
    [...extra.slice(0, 1), ...memorySuite(mode, meter), ...extra.slice(1)],
    { args: [...ARGS, ...args], cgroupProcs: meter.procsFile },
    () => Promise.resolve(meter.remove()),
  );
}

suite("per-app limits with the strongest mechanism here (cgroups)", "cgroup", [], [
  STATUS,
  ROOM,
  OWNER_CAP,
  CPU_BURNER,
  CPU_BUSY,
]);
suite("per-app memory caps with cgroups off (RLIMIT_DATA + watchdog + SQLite)", "rlimit", [
  "--resource-limits",
  "rlimit",
]);
suite("per-app memory caps with the watchdog alone", "watchdog", [
  "--resource-limits",
  "watchdog",
]);
