import assert from "node:assert/strict";
import { join } from "node:path";
import { openSysFiles, SYS_READERS } from "../../../runtime/process/sys_files.ts";
import { FAZT_FLAGS } from "../../_helpers/server.ts";

for (const reader of [SYS_READERS[0], SYS_READERS.at(-1)!]) {
  Deno.test(`files are read whole, and a missing one reads as null without stopping the batch (${reader.command})`, async () => {
    const files = await openSysFiles([reader]);
    assert.ok(files, `${reader.command} does not work here`);
    const dir = await Deno.makeTempDir({ prefix: "fazt-sysfiles-" });
    try {
      await Deno.writeTextFile(join(dir, "a b"), ">one\n.\n!\n=");
      const [a, missing, stat, empty] = await files.read([
        join(dir, "a b"),
        join(dir, "none"),
        `/proc/${Deno.pid}/stat`,
        "/dev/null",
      ]);
      assert.equal(a, ">one\n.\n!\n=\n", "lines that look like the reader's own marks are data");
      assert.equal(missing, null);
      assert.match(stat ?? "", new RegExp(`^${Deno.pid} \\(`));
      assert.equal(empty, "");
      assert.deepEqual(await files.read([]), []);
      assert.equal(files.pids().length, 2, "a reader and a writer");
    } finally {
      await Deno.remove(dir, { recursive: true });
      await files.close();
    }
  });
}

Deno.test("no reader that works: no helper", async () => {
  assert.equal(await openSysFiles([{ command: "/nonexistent/awk", args: [] }]), null);
});

Deno.test("writes, folders and listings; failures carry the system's message", async () => {
  const files = await openSysFiles();
  assert.ok(files);
  const dir = await Deno.makeTempDir({ prefix: "fazt-sysfiles-" });
  try {
    const sub = join(dir, "group one");
    await files.mkdir(sub);
    await files.mkdir(sub);
    await files.write(join(sub, "memory.max"), "134217728");
    assert.equal(await Deno.readTextFile(join(sub, "memory.max")), "134217728\n");
    assert.deepEqual(await files.list(dir), ["group one"]);
    assert.deepEqual(await files.list(join(dir, "none")), []);
    await assert.rejects(files.write(join(dir, "no", "such"), "1"), /nonexistent|No such file/);
    await assert.rejects(files.write("relative/path", "1"), RangeError);
    await assert.rejects(files.write(join(dir, "x"), "two\nlines"), RangeError);
    assert.equal(await files.rmdir(sub), false, "not empty");
    await Deno.remove(join(sub, "memory.max"));
    assert.equal(await files.rmdir(sub), true);
    assert.equal(await files.rmdir(sub), true, "already gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await files.close();
  }
});

Deno.test("with fazt's own permissions Deno cannot read /proc, and the helper can", async () => {
  const script = `
import { openSysFiles } from ${
    JSON.stringify(new URL("../../../runtime/process/sys_files.ts", import.meta.url).href)
  };
let direct;
try { Deno.readTextFileSync("/proc/self/statm"); direct = "read"; } catch (err) { direct = err.name; }
const files = await openSysFiles();
const [statm] = await files.read(["/proc/" + Deno.pid + "/statm"]);
await files.close();
console.log(JSON.stringify({ direct, helper: statm !== null }));
`;
  // `deno eval` would grant every permission: run a file with the fazt task's flags.
  const file = await Deno.makeTempFile({ prefix: "fazt-sysfiles-", suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", ...FAZT_FLAGS, file],
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(text), { direct: "NotCapable", helper: true });
});
