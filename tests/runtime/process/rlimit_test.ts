import assert from "node:assert/strict";
import { createDataLimiter } from "../../../runtime/process/rlimit.ts";
import { openSysFiles } from "../../../runtime/process/sys_files.ts";
import { createProcReader } from "../../../runtime/process/proc_stats.ts";

const MB = 1024 * 1024;

Deno.test({
  name: "RLIMIT_DATA set on a running deno process makes its next allocations fail, not grow",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const limiter = await createDataLimiter();
    assert.ok(limiter, "prlimit (util-linux) is missing");
    const files = await openSysFiles();
    assert.ok(files);
    const reader = await createProcReader(files);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `console.log("ready");
await new Promise((r) => setTimeout(r, 300));
const keep = [];
let error = null;
try { for (let i = 0; i < 32; i++) keep.push(new Uint8Array(16 << 20).fill(1)); } catch (err) { error = String(err); }
console.log(JSON.stringify({ held: keep.length, error }));`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assert.match((await lines.read()).value ?? "", /ready/);
      const before = (await reader.read([child.pid], false)).get(child.pid)!.memory!;
      assert.equal(await limiter.limit(child.pid, before.data + 64 * MB), true);
      let text = "";
      for (let part = await lines.read(); !part.done; part = await lines.read()) text += part.value;
      const status = await child.status;
      if (text === "") {
        // The ceiling was met by V8's own heap first: the process ended out of memory.
        assert.ok(
          status.code === 133 || status.signal === "SIGTRAP" || status.signal === "SIGABRT",
          JSON.stringify(status),
        );
      } else {
        const result = JSON.parse(text) as { held: number; error: string };
        assert.match(result.error, /Array buffer allocation failed/);
        assert.ok(result.held >= 2 && result.held <= 4, `held ${result.held} × 16 MB`);
      }
      assert.equal(await limiter.limit(2 ** 22 + 12345, MB), false, "no such process");
    } finally {
      await child.status;
      await files.close();
    }
  },
});

Deno.test("no limiter when the command does not exist", async () => {
  assert.equal(await createDataLimiter("/nonexistent/prlimit"), null);
});
