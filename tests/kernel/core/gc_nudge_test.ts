import assert from "node:assert/strict";
import { createGcNudge } from "../../../kernel/core/gc_nudge.ts";

Deno.test("the nudge collects once per so many released bytes, and never without gc", () => {
  let runs = 0;
  const nudge = createGcNudge(100, () => runs++);
  nudge.released(60);
  assert.equal(runs, 0);
  nudge.released(40);
  assert.equal(runs, 1, "100 bytes released: one collection");
  nudge.released(99);
  assert.equal(runs, 1);
  nudge.released(1);
  assert.equal(runs, 2);
  assert.equal(nudge.collections, 2);

  const without = createGcNudge(1, undefined);
  without.released(10);
  assert.equal(without.collections, 0);
});

Deno.test("fazt's kernel runs with V8's gc exposed (the fazt task's --expose-gc)", async () => {
  const { FAZT_FLAGS } = await import("../../_helpers/server.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      ...FAZT_FLAGS.filter((f) => f.startsWith("--v8-flags")),
      "console.log(typeof globalThis.gc)",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "function");
});
