/**
 * Exponential backoff per key: free failures, a delay that doubles up to a
 * cap and counts from the last attempt, forgetting, and a bounded memory
 * that a flood of one-off keys cannot use to push out a key under attack.
 */
import assert from "node:assert/strict";
import { backoffDelayMs, createBackoff } from "../../../../kernel/services/auth/backoff.ts";

const POLICY = { free: 3, baseMs: 1000, maxMs: 8000, forgetAfterMs: 60_000 };

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

Deno.test("backoff: free failures cost nothing, then the delay doubles up to its cap", () => {
  const c = clock();
  const b = createBackoff({ ...POLICY, now: c.now });
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    assert.equal(b.waitMs("k"), 0, `attempt ${i + 1} may go`);
    b.fail("k");
    waits.push(b.waitMs("k"));
    c.advance(b.waitMs("k"));
  }
  assert.deepEqual(waits, [0, 0, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.deepEqual([0, 2, 3, 5, 6, 40].map((n) => backoffDelayMs(POLICY, n)), [
    0,
    0,
    1000,
    4000,
    8000,
    8000,
  ]);
});

Deno.test("backoff: the wait counts from the last attempt and other keys are not affected", () => {
  const c = clock();
  const b = createBackoff({ ...POLICY, now: c.now });
  for (let i = 0; i < 4; i++) b.fail("a");
  assert.equal(b.waitMs("a"), 2000);
  c.advance(1500);
  assert.equal(b.waitMs("a"), 500);
  assert.equal(b.waitMs("b"), 0);
  assert.equal(b.failures("a"), 4);
  assert.equal(b.failures("b"), 0);
});

Deno.test("backoff: touch restarts the wait without raising the delay", () => {
  const c = clock();
  const b = createBackoff({ ...POLICY, now: c.now });
  for (let i = 0; i < 3; i++) b.fail("a");
  c.advance(1000);
  assert.equal(b.waitMs("a"), 0);
  b.touch("a");
  assert.equal(b.waitMs("a"), 1000, "the same delay, from now");
  assert.equal(b.failures("a"), 3);
  b.touch("unknown");
  assert.equal(b.size(), 1, "touching an untracked key tracks nothing");
});

Deno.test("backoff: a success forgets the key, a quiet period forgets it too, clear forgets all", () => {
  const c = clock();
  const b = createBackoff({ ...POLICY, now: c.now });
  for (let i = 0; i < 5; i++) b.fail("a");
  for (let i = 0; i < 5; i++) b.fail("b");
  b.forget("a");
  assert.equal(b.waitMs("a"), 0);
  assert.equal(b.failures("a"), 0);
  c.advance(60_000);
  assert.equal(b.failures("b"), 0, "a day (here a minute) without attempts starts afresh");
  b.fail("c");
  b.clear();
  assert.equal(b.size(), 0);
});

Deno.test("backoff: forgotten keys are dropped as new attempts come in", () => {
  const c = clock();
  const b = createBackoff({ ...POLICY, now: c.now });
  for (let i = 0; i < 100; i++) b.fail(`old${i}`);
  c.advance(60_000);
  for (let i = 0; i < 100; i++) b.fail(`new${i}`);
  assert.equal(b.size(), 100);
});

Deno.test("backoff: memory is bounded, and a flood of one-off keys cannot evict a key under backoff", () => {
  const c = clock();
  const b = createBackoff({ ...POLICY, maxKeys: 50, now: c.now });
  for (let i = 0; i < 6; i++) b.fail("victim");
  const wait = b.waitMs("victim");
  assert.equal(wait, 8000);
  for (let i = 0; i < 10_000; i++) b.fail(`spray${i}`);
  assert.equal(b.size(), 50);
  assert.equal(b.waitMs("victim"), wait, "the key under backoff is still tracked");
  // Keys past their free failures all round: the least recently used goes.
  const full = createBackoff({ ...POLICY, maxKeys: 3, now: c.now });
  for (const k of ["a", "b", "c"]) for (let i = 0; i < 4; i++) full.fail(k);
  full.fail("d");
  assert.deepEqual(["a", "b", "c", "d"].map((k) => full.failures(k)), [0, 4, 4, 1]);
});
