/**
 * Tests mirror the source tree: a test of `kernel/http/x.ts` lives in
 * `tests/kernel/http/`, named `x_test.ts` for one module or for the
 * behaviour it checks across that folder's modules (`login_test.ts` in
 * `tests/kernel/services/auth/`). Only the folders listed in
 * OUTSIDE_THE_TREE hold tests of the whole program instead.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TESTS = join(ROOT, "tests");

/** Test folders that are not a mirror of a source folder, and why. */
const OUTSIDE_THE_TREE: Record<string, string> = {
  "e2e": "real servers (and Chromium) driven over HTTP, CLI and MCP",
  "architecture": "rules about the whole program (layers, this layout)",
  "_helpers": "shared harnesses, no tests",
};

/** Files at the top of tests/ and the root file each one tests. */
const TOP_LEVEL: Record<string, string> = {
  "tasks_test.ts": "deno.json",
  "readme_walk_test.ts": "README.md",
};

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith("_test.ts") || name.endsWith("_test.tsx")) out.push(path);
  }
  return out;
}

Deno.test("every test file sits in the folder that mirrors its source folder", () => {
  const misplaced: string[] = [];
  let mirrored = 0;
  for (const file of testFiles(TESTS)) {
    const rel = relative(TESTS, file);
    const parts = rel.split("/");
    if (parts.length === 1) {
      if (!(rel in TOP_LEVEL) || !existsSync(join(ROOT, TOP_LEVEL[rel]))) misplaced.push(rel);
      continue;
    }
    if (parts[0] in OUTSIDE_THE_TREE) continue;
    const sourceDir = join(ROOT, ...parts.slice(0, -1));
    if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) misplaced.push(rel);
    else mirrored++;
  }
  assert.deepEqual(misplaced, [], "test files whose folder mirrors no source folder");
  assert.ok(mirrored > 100, `only ${mirrored} mirrored test files found: is TESTS right?`);
});

Deno.test("the folders outside the tree exist and are not source folders", () => {
  for (const dir of Object.keys(OUTSIDE_THE_TREE)) {
    assert.ok(existsSync(join(TESTS, dir)), `tests/${dir} is listed but missing`);
    assert.ok(!existsSync(join(ROOT, dir)), `${dir}/ is a source folder: mirror it instead`);
  }
});
