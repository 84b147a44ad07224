import assert from "node:assert/strict";
import { parseArgs } from "../../../kernel/cli/args.ts";
import { SERVE_BOOLEAN_FLAGS, serveSettings } from "../../../kernel/cli/serve_command.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

function settings(argv: string[], env: Record<string, string> = {}) {
  return serveSettings(parseArgs(argv, SERVE_BOOLEAN_FLAGS), (name) => env[name]);
}

Deno.test("per-app limits: default memory cap 128 MB, CPU budget 100 ms/s, the strongest mechanism", () => {
  const s = settings([]);
  assert.deepEqual([s.appMemoryMb, s.cpuBudgetMs, s.resourceLimits], [128, 100, "auto"]);
});

Deno.test("per-app limits come from flags, else the environment", () => {
  const s = settings(["--app-memory", "256", "--resource-limits", "rlimit"], {
    FAZT_APP_MEMORY: "512",
    FAZT_CPU_BUDGET: "0",
  });
  assert.deepEqual([s.appMemoryMb, s.cpuBudgetMs, s.resourceLimits], [256, 0, "rlimit"]);
  assert.equal(settings([], { FAZT_RESOURCE_LIMITS: "WATCHDOG" }).resourceLimits, "watchdog");
});

Deno.test("bad per-app limits are refused with a message naming the flag", () => {
  for (
    const [argv, pattern] of [
      [["--app-memory", "32"], /--app-memory must be a whole number from 64/],
      [["--cpu-budget", "-1"], /--cpu-budget must be a whole number from 0 to 1000/],
      [["--resource-limits", "cgroup"], /--resource-limits must be auto, rlimit or watchdog/],
    ] as const
  ) {
    assert.throws(
      () => settings([...argv]),
      (e: unknown) =>
        e instanceof FaztError && e.code === "invalid_input" && pattern.test(e.message),
    );
  }
});
