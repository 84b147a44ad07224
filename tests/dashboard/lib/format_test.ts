/**
 * The dashboard's formatting (dashboard/src/lib/format.ts): byte counts
 * read exactly as the CLI prints them, and egress limits in the unit the
 * owner sets them in.
 */
import assert from "node:assert/strict";
import { formatBytes, formatLimit, LIMIT_MB } from "../../../dashboard/src/lib/format.ts";
import { formatBytes as cliFormatBytes } from "../../../kernel/cli/progress.ts";

Deno.test("formatBytes: 1000-based units with one decimal", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.0 KB");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(67_108_864), "67.1 MB");
  assert.equal(formatBytes(999_960), "1.0 MB");
  assert.equal(formatBytes(2.5e12), "2.5 TB");
});

Deno.test("formatBytes shows what the CLI shows for the same size", () => {
  const sizes = [0, 1, 512, 999, 999.6, 1000, 1023, 1024, 99_949, 99_950, 999_949, 999_950];
  for (let n = 1; n < 1e18; n = Math.floor(n * 3.7) + 1) sizes.push(n, n * 1000 - 1);
  sizes.push(-1536, NaN, Infinity);
  for (const n of sizes) assert.equal(formatBytes(n), cliFormatBytes(n), String(n));
});

Deno.test("formatLimit: egress limits count MB of 1,048,576 bytes, as apps.set_egress_limit takes them", () => {
  assert.equal(LIMIT_MB, 1_048_576);
  assert.equal(formatLimit(5 * LIMIT_MB), "5 MB");
  assert.equal(formatLimit(1000 * LIMIT_MB), "1,000 MB");
  assert.equal(formatLimit(1.5 * LIMIT_MB), "1.5 MB");
});
