import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { createIoYield } from "../../../../kernel/services/cockpit/io_yield.ts";
import { busy, echoPair } from "../../../_helpers/event_loop.ts";

/** Runs 1 ms work items separated by `yieldFn` until an echo came back; returns how many ran. */
async function itemsUntilEcho(yieldFn: () => Promise<void>): Promise<number> {
  const echo = await echoPair();
  try {
    let back = false;
    const trip = echo.roundTrip().then(() => back = true);
    let items = 0;
    while (!back && items < 500) {
      busy(1);
      items++;
      await yieldFn();
    }
    await trip;
    return items;
  } finally {
    await echo.close();
  }
}

Deno.test("a yield to I/O lets waiting I/O through; setImmediate does not (the platform fact behind it)", async () => {
  const io = await createIoYield();
  try {
    const withIo = await itemsUntilEcho(() => io.next());
    assert.ok(withIo <= 4, `the echo came back after ${withIo} items`);
  } finally {
    io.close();
  }
  const withImmediate = await itemsUntilEcho(() => new Promise((r) => setImmediate(r)));
  // Deno's scheduler polls for I/O once every 61 task polls while tasks stay ready.
  assert.ok(withImmediate >= 30, `with setImmediate the echo came back after ${withImmediate}`);
});

Deno.test("concurrent callers share one round trip", async () => {
  const io = await createIoYield();
  try {
    const a = io.next();
    const b = io.next();
    assert.equal(a, b);
    await a;
    const c = io.next();
    assert.notEqual(c, a, "a new round trip once the last one ended");
    await c;
  } finally {
    io.close();
  }
});

Deno.test("after close, yields still resolve (setImmediate)", async () => {
  const io = await createIoYield();
  io.close();
  for (let i = 0; i < 5; i++) await io.next();
});
