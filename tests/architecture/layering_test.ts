/**
 * The layering rules (tests/architecture/layers.ts) hold for the real
 * import graph: `deno info --json` on every entry point, type-only imports
 * included. Every file of the program belongs to a layer, imports only the
 * layers its own may import (and only the npm packages it may), and no
 * files import each other in a cycle.
 */
import assert from "node:assert/strict";
import { ENTRY_POINTS, layerOf, LAYERS } from "./layers.ts";

const ROOT = new URL("../../", import.meta.url);
const ROOT_HREF = ROOT.href;

interface InfoModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/** Local file → what it imports (resolved specifiers), for every entry point. */
async function importGraph(): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  for (const entry of ENTRY_POINTS) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, `deno info ${entry}: ${new TextDecoder().decode(out.stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: InfoModule[];
      redirects: Record<string, string>;
    };
    for (const m of info.modules) {
      if (!m.specifier.startsWith(ROOT_HREF)) continue;
      const from = m.specifier.slice(ROOT_HREF.length);
      const deps = graph.get(from) ?? new Set<string>();
      graph.set(from, deps);
      for (const d of m.dependencies ?? []) {
        for (const target of [d.code?.specifier, d.type?.specifier]) {
          if (!target) continue;
          const resolved = info.redirects[target] ?? target;
          deps.add(
            resolved.startsWith(ROOT_HREF) ? resolved.slice(ROOT_HREF.length) : resolved,
          );
        }
      }
    }
  }
  return graph;
}

/** `npm:/zod@4.1.0/v4` or `npm:zod@^4` → `zod`; `npm:@scope/x@1` → `@scope/x`. */
function npmName(specifier: string): string {
  const rest = specifier.slice("npm:".length).replace(/^\//, "");
  const parts = rest.split("/");
  const name = rest.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  return name.replace(/(.)@.*$/, "$1");
}

/** Every import that breaks a rule, as a sentence. */
export function violations(graph: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const [from, deps] of graph) {
    const layer = layerOf(from);
    if (layer === undefined) {
      out.push(`${from} belongs to no layer (add its folder to tests/architecture/layers.ts)`);
      continue;
    }
    const rules = LAYERS[layer];
    for (const to of deps) {
      if (to.startsWith("node:")) continue;
      if (to.startsWith("npm:")) {
        const name = npmName(to);
        if (rules.npm !== "*" && !(rules.npm ?? []).includes(name)) {
          out.push(`${from} (${layer}) imports the npm package ${name}, which ${layer} may not`);
        }
        continue;
      }
      if (/^[a-z]+:/.test(to)) {
        out.push(`${from} imports ${to}: only local files, npm: and node: modules are allowed`);
        continue;
      }
      const target = layerOf(to);
      if (target === undefined) {
        out.push(`${from} imports ${to}, which belongs to no layer`);
      } else if (target !== layer && !rules.mayImport.includes(target)) {
        out.push(
          `${from} (${layer}: ${rules.role}) imports ${to} (${target}), which ${layer} may not`,
        );
      }
    }
  }
  return out.sort();
}

/** The import cycles among local files (strongly connected components of two or more). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

Deno.test("every import follows the layering rules of tests/architecture/layers.ts", async () => {
  const graph = await importGraph();
  assert.ok(graph.size > 150, `the graph looks too small (${graph.size} files)`);
  const broken = violations(graph);
  assert.deepEqual(broken, [], `layering violations:\n${broken.join("\n")}`);
});

Deno.test("no files import each other in a cycle", async () => {
  const found = cycles(await importGraph());
  assert.deepEqual(found, [], `import cycles:\n${found.map((c) => c.join(" → ")).join("\n")}`);
});

Deno.test("the checker catches a wrong-way import, an unknown folder, a foreign scheme and a cycle", () => {
  const graph = new Map<string, Set<string>>([
    ["kernel/services/logs/log_service.ts", new Set(["kernel/http/handler.ts"])],
    ["kernel/http/handler.ts", new Set(["npm:/zod@4.0.0/v4", "jsr:@std/path"])],
    ["kernel/core/errors.ts", new Set(["npm:zod@^4"])],
    ["elsewhere/x.ts", new Set()],
    ["kernel/ops/a.ts", new Set(["kernel/ops/b.ts"])],
    ["kernel/ops/b.ts", new Set(["kernel/ops/a.ts"])],
  ]);
  const broken = violations(graph);
  assert.equal(broken.length, 4, broken.join("\n"));
  assert.match(broken.join("\n"), /log_service\.ts \(services.*\) imports kernel\/http\/handler/);
  assert.match(broken.join("\n"), /jsr:@std\/path/);
  assert.match(broken.join("\n"), /errors\.ts \(core\) imports the npm package zod/);
  assert.match(broken.join("\n"), /elsewhere\/x\.ts belongs to no layer/);
  assert.deepEqual(cycles(graph), [["kernel/ops/a.ts", "kernel/ops/b.ts"]]);
});
