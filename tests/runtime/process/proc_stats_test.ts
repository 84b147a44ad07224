import assert from "node:assert/strict";
import {
  createProcReader,
  parseStatCpuMs,
  parseStatm,
} from "../../../runtime/process/proc_stats.ts";
import { openSysFiles } from "../../../runtime/process/sys_files.ts";

const MB = 1024 * 1024;

Deno.test("statm: owned memory is resident minus shared pages; data is the private address space", () => {
  assert.deepEqual(parseStatm("4540172 10613 7455 15604 0 139663 0\n", 4096), {
    owned: (10613 - 7455) * 4096,
    data: 139663 * 4096,
  });
  assert.equal(parseStatm(null, 4096), null);
  assert.equal(parseStatm("1 2 3", 4096), null);
  assert.equal(parseStatm("a b c d e f g", 4096), null);
});

Deno.test("stat: CPU time is utime + stime, whatever the command name holds", () => {
  const fields = ["S", ...Array.from({ length: 10 }, () => "0"), "250", "50", "0", "0"];
  assert.equal(parseStatCpuMs(`123 (deno) ${fields.join(" ")}`), 3000);
  assert.equal(parseStatCpuMs(`123 (a) b (c) d) ${fields.join(" ")}`), 3000);
  assert.equal(parseStatCpuMs(null), null);
});

Deno.test("the reader sees a child's own memory grow and its CPU time advance", async () => {
  const files = await openSysFiles();
  assert.ok(files);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "const a = new Uint8Array(64 << 20).fill(1); const t = Date.now(); while (Date.now() - t < 300); console.log('ready'); setInterval(() => a[0]++, 1000);",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = await createProcReader(files);
    assert.ok([4096, 16384, 65536].includes(reader.pageBytes), String(reader.pageBytes));
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    await lines.read();
    const readings = await reader.read([child.pid, child.pid, 2 ** 22 + 12345], true);
    assert.deepEqual(
      [...readings.keys()],
      [child.pid],
      "duplicates once, gone processes not at all",
    );
    const r = readings.get(child.pid)!;
    assert.ok(r.memory!.owned > 64 * MB && r.memory!.owned < 128 * MB, String(r.memory!.owned));
    assert.ok(r.memory!.data > r.memory!.owned);
    assert.ok(r.cpuMs! >= 250, `cpu ${r.cpuMs} ms`);
    const memoryOnly = (await reader.read([child.pid], false)).get(child.pid)!;
    assert.equal(memoryOnly.cpuMs, undefined);
    lines.releaseLock();
  } finally {
    child.kill();
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await files.close();
  }
});
