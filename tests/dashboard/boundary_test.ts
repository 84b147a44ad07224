/**
 * The dashboard's boundary, read from the real import graph (`deno info
 * --json` on its entry): the SPA imports nothing outside `dashboard/src/`
 * but its two npm packages, so no kernel code ships in the bundle and the
 * SPA talks to the server through the public API only; every source file
 * is reachable from the entry, so `deno task check` (which checks the
 * entry) type-checks all of them.
 */
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { ROOT } from "../_helpers/server.ts";

const SRC = new URL("../../dashboard/src/", import.meta.url);
const ENTRY = new URL("main.tsx", SRC);

/** The npm packages the SPA may import. */
const PACKAGES = new Set(["preact", "fflate"]);

interface Dependency {
  specifier: string;
  code?: { specifier: string };
  type?: { specifier: string };
}

interface ModuleInfo {
  kind: string;
  specifier: string;
  dependencies?: Dependency[];
}

async function graph(): Promise<ModuleInfo[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", decodeURIComponent(ENTRY.pathname)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)).modules;
}

/** Why an import of `target` from the SPA breaks the boundary, or undefined when it does not. */
function breach(target: string): string | undefined {
  if (target.startsWith(SRC.href)) return undefined;
  if (target.startsWith("file:")) return "a file outside dashboard/src/";
  const npm = target.match(/^npm:\/?((?:@[^/@]+\/)?[^/@]+)/);
  if (npm && PACKAGES.has(npm[1])) return undefined;
  return npm ? `the npm package ${npm[1]}` : "not a dashboard file or an allowed npm package";
}

async function sourceFiles(dir: URL): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) files.push(...await sourceFiles(new URL(`${entry.name}/`, dir)));
    else if (/\.tsx?$/.test(entry.name)) files.push(new URL(entry.name, dir).href);
  }
  return files;
}

Deno.test("the boundary rule refuses kernel files, other packages and remote code", () => {
  assert.equal(breach(new URL("api.ts", SRC).href), undefined);
  assert.equal(breach("npm:/preact@11.2.0/hooks"), undefined);
  assert.equal(breach("npm:/fflate@0.8.3"), undefined);
  assert.match(breach(new URL("../../kernel/services/auth/scopes.ts", SRC).href)!, /outside/);
  assert.match(breach(new URL("../build.ts", SRC).href)!, /outside/);
  assert.match(breach("npm:/zod@4.6.7")!, /zod/);
  assert.match(breach("npm:/@modelcontextprotocol/sdk@1.32.2")!, /@modelcontextprotocol\/sdk/);
  assert.ok(breach("node:fs"));
  assert.ok(breach("https://example.com/x.js"));
});

Deno.test("no file under dashboard/src/ imports anything outside it but preact and fflate", async () => {
  const breaches: string[] = [];
  for (const m of await graph()) {
    if (!m.specifier.startsWith(SRC.href)) continue;
    for (const dep of m.dependencies ?? []) {
      for (const target of [dep.code?.specifier, dep.type?.specifier]) {
        const why = target === undefined ? undefined : breach(target);
        if (why) breaches.push(`${m.specifier.slice(SRC.href.length)} imports ${target}: ${why}`);
      }
    }
  }
  assert.deepEqual(breaches, []);
});

Deno.test("every source file of the dashboard is reached from its entry (and so type-checked)", async () => {
  const reached = new Set((await graph()).map((m) => m.specifier));
  const unreached = (await sourceFiles(SRC)).filter((f) => !reached.has(f));
  assert.deepEqual(unreached.map((f) => f.slice(SRC.href.length)), []);
  assert.match(denoJson.tasks.check, /deno check dashboard\/src\/main\.tsx/);
});
