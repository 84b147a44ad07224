import assert from "node:assert/strict";
import {
  createOrderLimiter,
  DEFAULT_ORDER_LIMITS,
} from "../../../../kernel/services/tls/order_limiter.ts";

Deno.test("the defaults: 2 orders at once, 30 an hour, bursts of 10", () => {
  assert.deepEqual({ ...DEFAULT_ORDER_LIMITS }, { concurrent: 2, perHour: 30, burst: 10 });
});

Deno.test("new orders: a burst, then one per refill interval", () => {
  let t = 1_000_000;
  const limiter = createOrderLimiter({ concurrent: 2, perHour: 30, burst: 3 }, () => t);
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.admit()), [true, true, true, false]);
  t += 119_000; // 30 an hour: one token every 120 s
  assert.equal(limiter.admit(), false);
  t += 1_000;
  assert.equal(limiter.admit(), true);
  assert.equal(limiter.admit(), false);
  t += 24 * 3_600_000; // a quiet day refills no more than the burst
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.admit()), [true, true, true, false]);
});

Deno.test("at most `concurrent` orders run; the others start in arrival order", async () => {
  const limiter = createOrderLimiter({ concurrent: 2, perHour: 30, burst: 10 });
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const gates: (() => void)[] = [];
  const jobs = [0, 1, 2, 3, 4].map((i) =>
    limiter.run(async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => gates[i] = r);
      running--;
      if (i === 1) throw new Error("order 1 failed");
      return i;
    })
  );
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(started, [0, 1]);
  gates[1]();
  await assert.rejects(jobs[1], /order 1 failed/);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(started, [0, 1, 2], "a failed order frees its slot too");
  for (const i of [0, 2, 3, 4]) {
    while (!gates[i]) await new Promise((r) => setTimeout(r, 1));
    gates[i]();
  }
  assert.deepEqual(await Promise.all([jobs[0], jobs[2], jobs[3], jobs[4]]), [0, 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
});
