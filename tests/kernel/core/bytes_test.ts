/** Joining chunks, and reading a stream whole up to a limit. */
import assert from "node:assert/strict";
import { concatBytes, readUpTo } from "../../../kernel/core/bytes.ts";

Deno.test("concatBytes joins chunks in order, with or without their total size", () => {
  const parts = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])];
  assert.deepEqual([...concatBytes(parts)], [1, 2, 3]);
  assert.deepEqual([...concatBytes(parts, 3)], [1, 2, 3]);
  assert.deepEqual([...concatBytes([])], []);
});

function streamOf(chunks: number[][]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => new Uint8Array(c)));
}

Deno.test("readUpTo reads a stream whole within its limit, and refuses past it", async () => {
  assert.deepEqual([...await readUpTo(streamOf([[1], [2, 3]]), 3, () => new Error("big"))], [
    1,
    2,
    3,
  ]);
  await assert.rejects(
    () => readUpTo(streamOf([[1, 2], [3, 4]]), 3, () => new RangeError("too large")),
    RangeError,
  );
});
