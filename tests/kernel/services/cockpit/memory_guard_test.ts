import assert from "node:assert/strict";
import {
  createMemoryGuard,
  defaultCacheBudget,
  defaultMemoryLimits,
  type MemoryLevel,
  processAnon,
  processRss,
  totalRss,
  treeResident,
} from "../../../../kernel/services/cockpit/memory_guard.ts";

const MB = 1024 * 1024;
const LIMITS = { shrinkCacheAt: 450 * MB, evictAt: 600 * MB, shedAt: 750 * MB };

/** A guard over a fake RSS, recording every action in order. */
function setup(options: { evictThrows?: boolean; intervalMs?: number } = {}) {
  const state = { rss: 100 * MB, probes: 0 };
  const calls: string[] = [];
  const errors: unknown[] = [];
  const guard = createMemoryGuard({
    limits: LIMITS,
    probe: () => {
      state.probes++;
      return state.rss;
    },
    actions: {
      shrinkCache: (level) => calls.push(`shrink:${level}`),
      evictIdle: () => {
        calls.push("evict");
        if (options.evictThrows) throw new Error("evict failed");
        return Promise.resolve(2);
      },
      setPressure: (level) => calls.push(`pressure:${level}`),
    },
    intervalMs: options.intervalMs,
    now: () => 42,
    onError: (err) => errors.push(err),
  });
  return { guard, state, calls, errors };
}

Deno.test("below every threshold nothing happens", async () => {
  const { guard, calls, state } = setup();
  assert.equal(await guard.check(), "ok");
  assert.deepEqual(calls, []);
  assert.deepEqual(guard.stats(), {
    rss: state.rss,
    level: "ok",
    trips: { shrink: 0, evict: 0, shed: 0 },
    checkedAt: 42,
  });
});

Deno.test("each threshold trips its action, cheapest first", async () => {
  const { guard, calls, state } = setup();
  state.rss = 450 * MB;
  assert.equal(await guard.check(), "shrink");
  assert.deepEqual(calls.splice(0), ["shrink:shrink"]);

  state.rss = 600 * MB;
  assert.equal(await guard.check(), "evict");
  assert.deepEqual(calls.splice(0), ["shrink:evict", "evict"]);

  state.rss = 750 * MB;
  assert.equal(await guard.check(), "shed");
  assert.deepEqual(calls.splice(0), ["pressure:shed", "shrink:shed", "evict"]);

  state.rss = 800 * MB;
  assert.equal(await guard.check(), "shed");
  assert.deepEqual(calls.splice(0), ["shrink:shed", "evict"], "shedding is switched on once");

  assert.deepEqual(guard.stats().trips, { shrink: 4, evict: 3, shed: 1 });
  assert.equal(guard.stats().rss, 800 * MB);
  assert.equal(guard.stats().level, "shed");
});

Deno.test("shedding stops only 10% below shedAt, then pressure returns to ok once", async () => {
  const { guard, calls, state } = setup();
  state.rss = 760 * MB;
  await guard.check();
  calls.length = 0;

  state.rss = 700 * MB; // below shedAt, inside the hysteresis band (675 MB)
  assert.equal(await guard.check(), "shed");
  assert.ok(!calls.includes("pressure:ok"), "pressure cleared inside the hysteresis band");

  state.rss = 676 * MB;
  assert.equal(await guard.check(), "shed");
  calls.length = 0;

  state.rss = 670 * MB; // below 675 MB: recover, still above evictAt
  assert.equal(await guard.check(), "evict");
  assert.deepEqual(calls.splice(0), ["pressure:ok", "shrink:evict", "evict"]);

  state.rss = 100 * MB;
  assert.equal(await guard.check(), "ok");
  assert.deepEqual(calls, [], "pressure:ok is sent once, not on every check");

  state.rss = 750 * MB;
  assert.equal(await guard.check(), "shed");
  assert.equal(guard.stats().trips.shed, 2);
});

Deno.test("a failing action is reported and does not stop the others", async () => {
  const { guard, calls, state, errors } = setup({ evictThrows: true });
  state.rss = 900 * MB;
  assert.equal(await guard.check(), "shed");
  assert.deepEqual(calls, ["pressure:shed", "shrink:shed", "evict"]);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /evict failed/);
});

Deno.test("a failing probe keeps the last level and is reported", async () => {
  const errors: unknown[] = [];
  let fail = false;
  const guard = createMemoryGuard({
    limits: LIMITS,
    probe: () => {
      if (fail) throw new Error("no /proc");
      return 500 * MB;
    },
    actions: { shrinkCache() {}, evictIdle: () => 0, setPressure() {} },
    onError: (err) => errors.push(err),
  });
  assert.equal(await guard.check(), "shrink");
  fail = true;
  assert.equal(await guard.check(), "shrink");
  assert.equal(errors.length, 1);
});

Deno.test("concurrent checks share one measurement", async () => {
  const { guard, state } = setup();
  state.rss = 650 * MB;
  const levels: MemoryLevel[] = await Promise.all([guard.check(), guard.check()]);
  assert.deepEqual(levels, ["evict", "evict"]);
  assert.equal(state.probes, 1);
});

Deno.test("start() checks periodically and stop() clears the timer", async () => {
  const { guard, state } = setup({ intervalMs: 5 });
  guard.start();
  guard.start();
  await new Promise((r) => setTimeout(r, 60));
  await guard.stop();
  const probes = state.probes;
  assert.ok(probes >= 3, `expected several checks, got ${probes}`);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(state.probes, probes);
});

Deno.test("limits must be ordered", () => {
  assert.throws(
    () =>
      createMemoryGuard({
        limits: { shrinkCacheAt: 3, evictAt: 2, shedAt: 1 },
        probe: () => 0,
        actions: { shrinkCache() {}, evictIdle: () => 0, setPressure() {} },
      }),
    /shrinkCacheAt ≤ evictAt ≤ shedAt/,
  );
});

Deno.test("defaults derive from system memory", () => {
  const GB = 1024 * MB;
  const limits = defaultMemoryLimits(GB);
  assert.equal(limits.shrinkCacheAt, Math.floor(GB * 0.45));
  assert.equal(limits.evictAt, Math.floor(GB * 0.6));
  assert.equal(limits.shedAt, Math.floor(GB * 0.75));
  assert.equal(defaultCacheBudget(GB), Math.floor(GB * 0.06));
  assert.equal(defaultCacheBudget(128 * MB), 16 * MB, "at least 16 MB");
  assert.equal(defaultCacheBudget(64 * GB), 256 * MB, "at most 256 MB");
});

Deno.test("processRss() reads VmRSS from /proc and is 0 for a gone process", async () => {
  const self = processRss(Deno.pid);
  const reported = Deno.memoryUsage().rss;
  assert.ok(self > 10 * MB, `own RSS ${self}`);
  assert.ok(Math.abs(self - reported) < reported * 0.5, `${self} vs memoryUsage ${reported}`);
  assert.equal(processRss(2 ** 22 + 12345), 0);

  const child = new Deno.Command("sleep", { args: ["5"], stdout: "null", stderr: "null" }).spawn();
  try {
    const childRss = processRss(child.pid);
    assert.ok(childRss > 0, "the child's RSS is read");
    // This process's RSS moves between reads (GC, other tests): bracket it.
    const before = processRss(Deno.pid);
    const both = totalRss([Deno.pid, child.pid, Deno.pid]);
    const after = processRss(Deno.pid);
    const low = Math.min(before, after);
    const high = Math.max(before, after);
    assert.ok(both >= 0.9 * low + childRss, `the child adds to the total (${both})`);
    assert.ok(both < 1.1 * high + childRss + 20 * MB, `duplicates count once (${both})`);
  } finally {
    child.kill();
    await child.status;
  }
  assert.equal(processRss(child.pid), 0, "a reaped process has no RSS");
});

Deno.test("treeResident() counts a deno child's own memory, not the executable it shares with the kernel", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "setTimeout(() => {}, 10_000)"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let it boot
    const anon = processAnon(child.pid);
    const rss = processRss(child.pid);
    assert.ok(anon > 1 * MB && anon < rss, `anon ${anon} of rss ${rss}`);
    // Most of a deno process's RSS is the executable's pages, which this (deno) process maps too.
    assert.ok(rss - anon > 10 * MB, `file-backed ${rss - anon}`);
    const tree = treeResident(Deno.pid, [child.pid, child.pid, Deno.pid]);
    const self = processRss(Deno.pid);
    assert.ok(Math.abs(tree - (self + anon)) < 8 * MB, `tree ${tree} vs ${self} + ${anon}`);
    assert.ok(tree < totalRss([Deno.pid, child.pid]) - 10 * MB, "shared pages count once");
  } finally {
    child.kill();
    await child.status;
  }
  assert.equal(processAnon(child.pid), 0, "a reaped process holds nothing");
  assert.equal(treeResident(2 ** 22 + 12345, []), 0);
});

Deno.test("stop() then start() during a check keeps a single timer", async () => {
  let release: () => void = () => {};
  let probes = 0;
  const guard = createMemoryGuard({
    limits: LIMITS,
    probe: () => {
      probes++;
      return 700 * MB;
    },
    actions: {
      shrinkCache() {},
      evictIdle: () => probes === 1 ? new Promise<number>((r) => release = () => r(0)) : 0,
      setPressure() {},
    },
    intervalMs: 20,
  });
  guard.start();
  const stopped = guard.stop();
  guard.start();
  release();
  await stopped;
  await new Promise((r) => setTimeout(r, 110));
  await guard.stop();
  assert.ok(probes <= 7, `${probes} checks in ~110 ms at a 20 ms interval: a second timer ran`);
});
