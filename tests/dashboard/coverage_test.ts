/**
 * Every operation has a dashboard surface, or a reason in
 * `dashboard/coverage.ts`: the test reads every source file of the
 * dashboard for calls of the API client naming an operation and compares
 * what it finds, plus the exemptions, with the registry.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { OPERATIONS } from "../../kernel/ops/registry.ts";
import { DASHBOARD_EXEMPT_OPERATIONS } from "../../dashboard/coverage.ts";
import { ROOT } from "../_helpers/server.ts";

/** A call of the dashboard's API client (`dashboard/src/api.ts`, `lib/use_op.ts`) naming an operation. */
const CLIENT_CALL = /\b(call|useOp|upload|follow|downloadUrl)\(\s*"([a-z_]+\.[a-z_]+)"/g;

/** The operations each source file of `dashboard/src` (but the generated `gen/`) calls. */
async function usedOperations(): Promise<Map<string, string[]>> {
  const src = join(ROOT, "dashboard", "src");
  const used = new Map<string, string[]>();
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        if (path !== join(src, "gen")) await walk(path);
      } else if (/\.tsx?$/.test(entry.name)) {
        for (const m of (await Deno.readTextFile(path)).matchAll(CLIENT_CALL)) {
          used.set(m[2], [...used.get(m[2]) ?? [], relative(src, path)]);
        }
      }
    }
  };
  await walk(src);
  return used;
}

Deno.test("dashboard: every operation has a surface or a reason not to", async () => {
  const used = await usedOperations();
  const missing = OPERATIONS.map((op) => op.name).filter((name) =>
    !used.has(name) && !(name in DASHBOARD_EXEMPT_OPERATIONS)
  );
  assert.deepEqual(
    missing,
    [],
    `operations with no dashboard surface: ${
      missing.join(", ")
    }. Call them from a page (dashboard/src) or say why not in dashboard/coverage.ts.`,
  );
});

Deno.test("dashboard: the exemptions are real, reasoned and not also used", async () => {
  const used = await usedOperations();
  const names = new Set(OPERATIONS.map((op) => op.name));
  for (const [name, reason] of Object.entries(DASHBOARD_EXEMPT_OPERATIONS)) {
    assert.ok(names.has(name), `${name} is exempt but is no operation`);
    assert.ok(reason.length > 40, `${name} needs a reason`);
    assert.ok(!used.has(name), `${name} is exempt but ${used.get(name)} calls it`);
  }
  for (const name of used.keys()) {
    assert.ok(names.has(name), `the dashboard calls ${name}, no operation`);
  }
});

Deno.test("dashboard coverage: the scan finds calls however they are spread over lines", () => {
  const text = 'call("a.b", {}); useOp(\n  "c.d", x); upload("e.f"); call(name); follow( "g.h")';
  assert.deepEqual([...text.matchAll(CLIENT_CALL)].map((m) => m[2]), ["a.b", "c.d", "e.f", "g.h"]);
});
