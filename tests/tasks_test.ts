import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

function flagsOf(task: string): string[] {
  return task.split(/\s+/).filter((a) => a.startsWith("--allow") || a.startsWith("--deny"));
}

Deno.test("`compile` grants exactly the permissions of the `fazt` task", () => {
  const fazt = flagsOf(denoJson.tasks.fazt);
  assert.ok(fazt.length > 0);
  assert.deepEqual(flagsOf(denoJson.tasks.compile), fazt);
});

Deno.test("`compile` gives V8 exactly the flags of the `fazt` task", () => {
  const v8 = (task: string) => task.split(/\s+/).filter((a) => a.startsWith("--v8-flags"));
  assert.deepEqual(v8(denoJson.tasks.compile), v8(denoJson.tasks.fazt));
  // The kernel's young generation stays small (docs/ARCHITECTURE.md, Memory).
  assert.deepEqual(v8(denoJson.tasks.fazt), ["--v8-flags=--max-semi-space-size=1"]);
});

Deno.test("`fazt` and `compile` opt into request.signal aborting only when the client goes away", () => {
  // Deno's legacy semantics also abort it after every successful response,
  // and warn once when it is first read (runtime/mod.ts watches it).
  const unstable = (task: string) => task.split(/\s+/).filter((a) => a.startsWith("--unstable"));
  assert.deepEqual(unstable(denoJson.tasks.fazt), ["--unstable-no-legacy-abort"]);
  assert.deepEqual(unstable(denoJson.tasks.compile), unstable(denoJson.tasks.fazt));
});

Deno.test("the `fazt` task grants no blanket env, ffi or sys access", () => {
  // --allow-run is needed to start sandbox processes; its target (the running
  // executable) is only known at run time, so it cannot be narrowed in the task.
  const fazt = flagsOf(denoJson.tasks.fazt);
  for (const forbidden of ["--allow-all", "--allow-ffi", "--allow-sys", "--allow-env"]) {
    // --allow-sys is only granted for named calls (statfs, systemMemoryInfo, setPriority).
    assert.ok(!fazt.includes(forbidden), `${forbidden} is broader than fazt needs`);
  }
  const env = fazt.find((f) => f.startsWith("--allow-env="));
  assert.ok(env, "env access must be limited to named variables");
  for (const name of env.slice("--allow-env=".length).split(",")) {
    assert.match(name, /^(FAZT_\w+|HOME|XDG_CONFIG_HOME)$/, `${name} is not needed`);
  }
});

Deno.test("the task set named by the README exists", () => {
  for (const t of ["fazt", "start", "test", "bench", "check", "compile"]) {
    assert.ok(t in denoJson.tasks, `missing task ${t}`);
  }
});
