/**
 * Specification of upload progress: byte formatting, the terminal progress
 * bar (throttled redraws, silence off a terminal) and the progress-reporting
 * byte stream.
 *
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { progressBar, streamWithProgress } from "../../../kernel/cli/progress.ts";

/** A fake output that records what is written, as text. */
function fakeOut(terminal: boolean) {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  return {
    writes,
    out: {
      isTerminal: () => terminal,
      writeSync(p: Uint8Array): number {
        writes.push(decoder.decode(p));
        return p.length;
      },
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LINES: [total: number, done: number, line: string][] = [
  [2_097_152, 0, "Uploading [░░░░░░░░░░░░░░░░░░░░] 0%  0 B / 2 MiB"],
  [2_097_152, 1_310_720, "Uploading [████████████░░░░░░░░] 62%  1.3 MiB / 2 MiB"],
  [2_097_152, 2_097_152, "Uploading [████████████████████] 100%  2 MiB / 2 MiB"],
  [1024, 5000, "Uploading [████████████████████] 100%  1 KiB / 1 KiB"],
  [1024, -5, "Uploading [░░░░░░░░░░░░░░░░░░░░] 0%  0 B / 1 KiB"],
  [0, 0, "Uploading [████████████████████] 100%  0 B / 0 B"],
];

for (const [total, done, line] of LINES) {
  Deno.test(`progressBar() draws "${line}" for ${done} of ${total} bytes on a terminal`, () => {
    const { out, writes } = fakeOut(true);
    progressBar(total, "Uploading", out).update(done);
    assertEquals(writes, [`\r${line}\x1b[K`]);
  });
}

Deno.test("progressBar() redraws at most every 50 ms", async () => {
  const { out, writes } = fakeOut(true);
  const bar = progressBar(1000, "Up", out);
  bar.update(100);
  bar.update(200);
  bar.update(300);
  assertEquals(writes.length, 1);
  await sleep(60);
  bar.update(400);
  assertEquals(writes.length, 2);
  assertEquals(writes[1].includes("40%"), true);
});

Deno.test("progressBar() draws at once when the upload completes, however recent the last draw", () => {
  const { out, writes } = fakeOut(true);
  const bar = progressBar(1000, "Up", out);
  bar.update(10);
  bar.update(1000);
  assertEquals(writes.length, 2);
  assertEquals(writes[1].includes("100%"), true);
});

Deno.test("progressBar() says what it waits for after the last byte, until finish()", () => {
  const { out, writes } = fakeOut(true);
  const bar = progressBar(1000, "Up", out, "storing…");
  bar.update(500);
  bar.update(1000);
  bar.finish();
  assertEquals(writes, [
    "\rUp [██████████░░░░░░░░░░] 50%  500 B / 1000 B\x1b[K",
    "\rUp [████████████████████] 100%  1000 B / 1000 B · storing…\x1b[K",
    "\rUp [████████████████████] 100%  1000 B / 1000 B\x1b[K",
    "\n",
  ]);
});

Deno.test("progressBar() finish() draws the latest state and ends the line, once", () => {
  const { out, writes } = fakeOut(true);
  const bar = progressBar(1000, "Up", out);
  bar.update(100);
  bar.update(700); // throttled: not drawn yet
  bar.finish();
  bar.finish();
  bar.update(900);
  assertEquals(writes.length, 3);
  assertEquals(writes[1], "\rUp [██████████████░░░░░░] 70%  700 B / 1000 B\x1b[K");
  assertEquals(writes[2], "\n");
});

Deno.test("progressBar() prints nothing when the output is not a terminal", () => {
  const { out, writes } = fakeOut(false);
  const bar = progressBar(1000, "Up", out);
  bar.update(10);
  bar.update(1000);
  bar.finish();
  assertEquals(writes, []);
});

Deno.test("progressBar() completes short writes", () => {
  const raw: number[] = [];
  let calls = 0;
  progressBar(10, "Up", {
    isTerminal: () => true,
    writeSync(p: Uint8Array): number {
      calls++;
      const n = Math.min(p.length, 7);
      raw.push(...p.subarray(0, n));
      return n;
    },
  }).update(5);
  const text = new TextDecoder().decode(new Uint8Array(raw));
  assertEquals(text, "\rUp [██████████░░░░░░░░░░] 50%  5 B / 10 B\x1b[K");
  assertEquals(calls > 1, true);
});

Deno.test("progressBar() stops drawing instead of throwing when the output fails", () => {
  let calls = 0;
  const bar = progressBar(10, "Up", {
    isTerminal: () => true,
    writeSync(): number {
      calls++;
      throw new Error("broken pipe");
    },
  });
  bar.update(10);
  bar.finish();
  assertEquals(calls, 1);
});

Deno.test("progressBar() defaults to Deno.stderr", () => {
  const bar = progressBar(10, "Up");
  bar.update(10);
  bar.finish();
});

/** Reads a stream to the end, returning its chunks. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const KIB64 = 64 * 1024;

const STREAMS: [size: number, chunks: number[]][] = [
  [0, []],
  [1, [1]],
  [KIB64, [KIB64]],
  [KIB64 + 1, [KIB64, 1]],
  [200_000, [KIB64, KIB64, KIB64, 200_000 - 3 * KIB64]],
];

for (const [size, chunkSizes] of STREAMS) {
  Deno.test(`streamWithProgress() yields ${size} bytes in 64 KiB chunks, reporting each`, async () => {
    const bytes = new Uint8Array(size).map((_, i) => i % 251);
    const reports: number[] = [];
    const chunks = await readAll(streamWithProgress(bytes, (sent) => reports.push(sent)));
    assertEquals(chunks.map((c) => c.length), chunkSizes);
    let sum = 0;
    assertEquals(reports, chunkSizes.map((n) => (sum += n)));
    const joined = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      joined.set(c, offset);
      offset += c.length;
    }
    assertEquals(joined, bytes);
  });
}

Deno.test("streamWithProgress() reports progress only as chunks are read", async () => {
  const reports: number[] = [];
  const stream = streamWithProgress(new Uint8Array(3 * KIB64), (sent) => reports.push(sent));
  await sleep(0);
  assertEquals(reports, []);
  const reader = stream.getReader();
  await reader.read();
  await sleep(0);
  assertEquals(reports, [KIB64]);
  await reader.cancel();
});

Deno.test("streamWithProgress() hands out copies, leaving the source untouched", async () => {
  const bytes = new Uint8Array(10).fill(7);
  const [chunk] = await readAll(streamWithProgress(bytes, () => {}));
  chunk.fill(0);
  assertEquals(bytes, new Uint8Array(10).fill(7));
});

Deno.test("streamWithProgress() drives a progress bar to 100% through a Response body", async () => {
  const { out, writes } = fakeOut(true);
  const bytes = new Uint8Array(150_000);
  const bar = progressBar(bytes.length, "Up", out);
  const received = await new Response(streamWithProgress(bytes, (n) => bar.update(n))).bytes();
  bar.finish();
  assertEquals(received.length, bytes.length);
  assertEquals(writes.at(-2), "\rUp [████████████████████] 100%  146.5 KiB / 146.5 KiB\x1b[K");
  assertEquals(writes.at(-1), "\n");
});
