import assert from "node:assert/strict";
import { createIoYield, type IoYield } from "../../../../kernel/services/cockpit/io_yield.ts";
import {
  createPriorityGate,
  MAX_QUEUED,
} from "../../../../kernel/services/cockpit/priority_gate.ts";
import { busy, echoPair } from "../../../_helpers/event_loop.ts";

async function withYield(fn: (io: IoYield) => Promise<void>): Promise<void> {
  const io = await createIoYield();
  try {
    await fn(io);
  } finally {
    io.close();
  }
}

Deno.test("the gate runs user work at once while the turn has time", async () => {
  await withYield(async (io) => {
    const gate = createPriorityGate({ yieldToIo: io, turnMs: 50 });
    assert.equal(gate.run(() => 42), 42, "a plain value, not a promise");
    const p = gate.run(() => Promise.resolve("async"));
    assert.ok(p instanceof Promise);
    assert.equal(await p, "async");
    assert.deepEqual(gate.stats(), { queued: 0, deferred: 0 });
  });
});

Deno.test("past the turn, user work waits in order and its results and errors come through", async () => {
  await withYield(async (io) => {
    const gate = createPriorityGate({ yieldToIo: io, turnMs: 1 });
    const order: number[] = [];
    const results: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      results.push(gate.run(() => {
        busy(0.3);
        order.push(i);
        if (i === 13) throw new Error("thirteen");
        return i * 2;
      }));
    }
    const first = results.findIndex((r) => r instanceof Promise);
    assert.ok(
      first > 0 && first < 20,
      `some work ran at once, the rest waited (first queued: ${first})`,
    );
    assert.equal(gate.stats().deferred, 20 - first);
    assert.equal(gate.stats().queued, 20 - first);
    const settled = await Promise.allSettled(results.map((r) => Promise.resolve(r)));
    assert.deepEqual(order, [...Array(20).keys()], "FIFO");
    settled.forEach((s, i) => {
      if (i === 13) {
        assert.equal(s.status === "rejected" && (s.reason as Error).message, "thirteen");
      } else assert.deepEqual(s, { status: "fulfilled", value: i * 2 });
    });
    assert.deepEqual(gate.stats(), { queued: 0, deferred: 20 - first });
  });
});

Deno.test("I/O that arrives while user work waits gets through after at most a turn or two", async () => {
  await withYield(async (io) => {
    const echo = await echoPair();
    try {
      const gate = createPriorityGate({ yieldToIo: io, turnMs: 1 });
      let done = 0;
      const jobs = Array.from({ length: 100 }, () =>
        gate.run(() => {
          busy(2);
          done++;
        }));
      // All 100 jobs (200 ms) are waiting; an echo needs two polls for I/O.
      await echo.roundTrip();
      const seen = done;
      await Promise.all(jobs);
      assert.ok(seen <= 6, `the echo came back after ${seen} of 100 jobs`);
    } finally {
      await echo.close();
    }
  });
});

Deno.test("a turn counts the work after the handler too: cheap requests with costly completions", async () => {
  // As in fazt: the gated part of a static request is small; most of its cost
  // (Deno writing the response) follows in the request's continuation.
  await withYield(async (io) => {
    const echo = await echoPair();
    try {
      const gate = createPriorityGate({ yieldToIo: io, turnMs: 1 });
      let done = 0;
      const jobs = Array.from(
        { length: 200 },
        () =>
          Promise.resolve(gate.run(() => busy(0.02))).then(() => {
            busy(0.3);
            done++;
          }),
      );
      const perEcho: number[] = [];
      for (let i = 0; i < 15 && done < 200; i++) {
        const before = done;
        await echo.roundTrip();
        perEcho.push(done - before);
      }
      await Promise.all(jobs);
      // Time slices alone would run ~50 cheap handlers per turn, 15 ms of completions.
      const steady = perEcho.slice(3).sort((a, b) => a - b);
      const median = steady[Math.floor(steady.length / 2)];
      assert.ok(median <= 12, `requests completed per echo: ${perEcho.join(", ")}`);
    } finally {
      await echo.close();
    }
  });
});

Deno.test("a closed I/O yield falls back to setImmediate and still resolves", async () => {
  const io = await createIoYield();
  await io.next();
  io.close();
  await io.next();
  const gate = createPriorityGate({ yieldToIo: io, turnMs: 0.01 });
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      gate.run(() => {
        busy(0.05);
        return i;
      })),
  );
  assert.deepEqual(results, [...Array(10).keys()]);
});

Deno.test("with the queue full, run() returns null at once and never runs the work", async () => {
  await withYield(async (io) => {
    const gate = createPriorityGate({ yieldToIo: io, turnMs: 0.001 });
    const results: (string | Promise<string> | null)[] = [];
    for (let i = 0; i < MAX_QUEUED + 50; i++) {
      results.push(gate.run(() => {
        busy(0.002);
        return "ran";
      }));
    }
    const full = results.filter((r) => r === null).length;
    const atOnce = results.findIndex((r) => r instanceof Promise);
    assert.ok(atOnce >= 1 && atOnce <= 5, `${atOnce} ran at once`);
    assert.equal(full, 50 - atOnce, "every request past the queue's room overflowed");
    assert.equal(gate.stats().queued, MAX_QUEUED);
    const settled = await Promise.all(results);
    assert.equal(settled.filter((r) => r === "ran").length, MAX_QUEUED + 50 - full);
  });
});
