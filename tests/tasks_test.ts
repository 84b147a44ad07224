import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

function flagsOf(task: string): string[] {
  return task.split(/\s+/).filter((a) => a.startsWith("--allow") || a.startsWith("--deny"));
}

const TASKS: Record<string, string> = denoJson.tasks;

/** Every task that runs `deno compile`: the host build and one per release target. */
const COMPILE_TASKS = Object.keys(TASKS).filter((t) => TASKS[t].startsWith("deno compile "));

/** The release targets: task suffix → Deno's target triple. */
const RELEASE_TARGETS: Record<string, string> = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
};

Deno.test("there is a compile task for the host and for each release target", () => {
  assert.deepEqual(
    COMPILE_TASKS.sort(),
    ["compile", ...Object.keys(RELEASE_TARGETS).map((t) => `compile:${t}`)].sort(),
  );
  for (const [name, triple] of Object.entries(RELEASE_TARGETS)) {
    const args = TASKS[`compile:${name}`].split(/\s+/);
    assert.equal(args[args.indexOf("--target") + 1], triple, name);
    assert.equal(args[args.indexOf("--output") + 1], `dist/fazt-${name}`, name);
    assert.equal(args.at(-1), "main.ts", name);
  }
  assert.ok(!TASKS.compile.includes("--target"), "`compile` builds for the machine it runs on");
  for (const name of Object.keys(RELEASE_TARGETS)) {
    assert.ok(TASKS["compile:all"].includes(`deno task compile:${name}`), name);
  }
});

Deno.test("every compile task grants exactly the permissions of the `fazt` task", () => {
  const fazt = flagsOf(TASKS.fazt);
  assert.ok(fazt.length > 0);
  for (const task of COMPILE_TASKS) assert.deepEqual(flagsOf(TASKS[task]), fazt, task);
});

Deno.test("every compile task gives V8 exactly the flags of the `fazt` task", () => {
  const v8 = (task: string) => task.split(/\s+/).filter((a) => a.startsWith("--v8-flags"));
  for (const task of COMPILE_TASKS) assert.deepEqual(v8(TASKS[task]), v8(TASKS.fazt), task);
  // The kernel's young generation stays small (docs/ARCHITECTURE.md, Memory), and
  // large downloads call gc() (kernel/core/gc_nudge.ts).
  assert.deepEqual(v8(TASKS.fazt), ["--v8-flags=--max-semi-space-size=1,--expose-gc"]);
});

Deno.test("`fazt` and every compile task opt into request.signal aborting only when the client goes away", () => {
  // Deno's legacy semantics also abort it after every successful response,
  // and warn once when it is first read (runtime/mod.ts watches it).
  const unstable = (task: string) => task.split(/\s+/).filter((a) => a.startsWith("--unstable"));
  assert.deepEqual(unstable(TASKS.fazt), ["--unstable-no-legacy-abort"]);
  for (const task of COMPILE_TASKS) {
    assert.deepEqual(unstable(TASKS[task]), unstable(TASKS.fazt), task);
  }
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
  for (
    const t of ["fazt", "start", "test", "install", "bench", "check", "compile", "screenshots"]
  ) {
    assert.ok(t in denoJson.tasks, `missing task ${t}`);
  }
});

Deno.test("every environment variable the CLI reads for a secret input may be read", async () => {
  const { OPERATIONS } = await import("../kernel/ops/registry.ts");
  const env = flagsOf(denoJson.tasks.fazt).find((f) => f.startsWith("--allow-env="));
  const allowed = new Set(env?.slice("--allow-env=".length).split(","));
  const read = OPERATIONS.flatMap((op) => Object.values(op.cli.secretInputs ?? {}));
  assert.ok(read.length > 0, "no operation reads a secret from the environment?");
  for (const name of read) assert.ok(allowed.has(name), `${name} is read but not in --allow-env`);
});
