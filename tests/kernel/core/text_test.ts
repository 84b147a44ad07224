import assert from "node:assert/strict";
import { countOf } from "../../../kernel/core/text.ts";

Deno.test("countOf: singular for one, plural otherwise, thousands separated", () => {
  assert.equal(countOf(1, "file"), "1 file");
  assert.equal(countOf(0, "file"), "0 files");
  assert.equal(countOf(2, "entry", "entries"), "2 entries");
  assert.equal(countOf(1234, "file"), "1,234 files");
});
