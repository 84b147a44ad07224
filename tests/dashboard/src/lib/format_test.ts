/**
 * The dashboard's byte counts are the kernel's (`kernel/core/format.ts`,
 * copied into `dashboard/src/gen/format.ts`), so the dashboard, the CLI and
 * the kernel's messages read the same for the same size.
 */
import assert from "node:assert/strict";
import { formatBytes, MIB } from "../../../../dashboard/src/lib/format.ts";
import { formatBytes as kernelFormatBytes } from "../../../../kernel/core/format.ts";

Deno.test("the dashboard formats byte counts exactly as the kernel does", () => {
  const sizes = [0, 1, 512, 1023, 1023.6, 1024, 1536, 1_048_575, 1_048_576, 10_485_760];
  for (let n = 1; n < 1e18; n = Math.floor(n * 3.7) + 1) sizes.push(n, n * 1024 - 1);
  sizes.push(-1536, NaN, Infinity);
  for (const n of sizes) assert.equal(formatBytes(n), kernelFormatBytes(n), String(n));
});

Deno.test("size settings count MiB (egress and memory limits): 10 is 10,485,760 bytes, shown as 10 MiB", () => {
  assert.equal(MIB, 1_048_576);
  assert.equal(formatBytes(5 * MIB), "5 MiB");
  assert.equal(formatBytes(1.5 * MIB), "1.5 MiB");
  assert.equal(formatBytes(10 * MIB), "10 MiB");
  assert.equal(10 * MIB, 10_485_760);
});
