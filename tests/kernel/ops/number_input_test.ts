import assert from "node:assert/strict";
import { int, MAX_COUNT, queryInt } from "../../../kernel/ops/number_input.ts";

Deno.test("int(): only finite whole numbers within the bounds, never coerced", () => {
  const n = int(1, 10);
  for (const ok of [1, 5, 10]) assert.equal(n.parse(ok), ok);
  for (const bad of [0, 11, 1.5, NaN, Infinity, -Infinity, 1e300, "5", true, null, [5], {}]) {
    assert.equal(n.safeParse(bad).success, false, String(bad));
  }
});

Deno.test("queryInt(): plain decimal text as well, and nothing that merely converts to a number", () => {
  const n = queryInt(0, MAX_COUNT);
  for (const [given, want] of [["0", 0], ["25", 25], ["1000000000", 1e9], [7, 7]] as const) {
    assert.equal(n.parse(given), want, String(given));
  }
  for (
    const bad of [
      "",
      " 25",
      "25 ",
      "+25",
      "0x19",
      "1e3",
      "2.5",
      "-1",
      "NaN",
      "Infinity",
      "1000000001",
      "99999999999999999999",
      true,
      null,
      ["1"],
    ]
  ) {
    assert.equal(n.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
