/** `formatBytes`: binary units, at most one decimal, one convention everywhere. */
import assert from "node:assert/strict";
import { formatBytes } from "../../../kernel/core/format.ts";

Deno.test("formatBytes: bytes below 1 KiB, then binary units with at most one decimal", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [1_048_575, "1 MiB"],
    [10 * 1024 * 1024, "10 MiB"],
    [128 * 1024 * 1024, "128 MiB"],
    [1.25 * 1024 ** 3, "1.3 GiB"],
    [-1536, "-1.5 KiB"],
    [Infinity, "Infinity B"],
  ];
  for (const [n, text] of cases) assert.equal(formatBytes(n), text, String(n));
});
