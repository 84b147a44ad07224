import assert from "node:assert/strict";
import { type FlushTiming, LineSplitter, LineWriter } from "../../../runtime/process/lines.ts";

/** A connection that records each write (only `write` is used by the writer). */
function recordingConn(): { conn: Deno.Conn; writes: string[] } {
  const writes: string[] = [];
  const dec = new TextDecoder();
  const conn = {
    write(bytes: Uint8Array): Promise<number> {
      writes.push(dec.decode(bytes));
      return Promise.resolve(bytes.length);
    },
  } as unknown as Deno.Conn;
  return { conn, writes };
}

/** Queues one line per job: each from its own resolved promise, as requests arrive. */
async function pushFromJobs(flush: FlushTiming): Promise<string[]> {
  const { conn, writes } = recordingConn();
  const out = new LineWriter(() => {}, flush);
  out.attach(conn);
  // Each line is queued from a task of its own (a timer), as Deno.serve
  // hands requests over one by one.
  await new Promise<void>((done) => {
    let left = 3;
    for (const line of ["a", "b", "c"]) {
      setTimeout(() => {
        out.push(line);
        if (--left === 0) setTimeout(done, 5);
      }, 0);
    }
  });
  await out.drained();
  return writes;
}

Deno.test("LineWriter: lines queued in the same tasks' turn go out in one write with 'turn'", async () => {
  assert.deepEqual(await pushFromJobs("turn"), ["a\nb\nc\n"]);
});

Deno.test("LineWriter: 'microtask' writes after each task", async () => {
  assert.deepEqual(await pushFromJobs("microtask"), ["a\n", "b\n", "c\n"]);
});

Deno.test("LineSplitter hands over complete lines and joins split ones", () => {
  const lines: string[] = [];
  const split = new LineSplitter((l) => lines.push(l), 10);
  const enc = new TextEncoder();
  split.push(enc.encode("one\ntw"));
  split.push(enc.encode("o\nthree"));
  split.end();
  assert.deepEqual(lines, ["one", "two", "three"]);
  assert.throws(() => split.push(enc.encode("x".repeat(11))), RangeError);
});
