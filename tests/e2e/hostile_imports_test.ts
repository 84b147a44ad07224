/**
 * Hostile imports against a real server: app code asks for modules in every
 * form it can spell (`npm:`, `jsr:`, `http(s):`, `node:` built-ins; static
 * and dynamic, literal and computed; from ES modules, CommonJS, TypeScript,
 * and from `data:` and `blob:` modules it makes itself) and through every
 * side door (`require`, `process.getBuiltinModule`, `process.binding`,
 * `eval`, `new Function`). What it may have: its own files, the embedded
 * stdlib and the allowed `node:` built-ins (runtime/builtins.ts); nothing
 * else loads, and nothing touches the network or the kernel's Deno cache.
 *
 * Tripwires: the server runs with a `HOME` whose `.npmrc` sends the
 * `@fazt-tripwire` npm scope to a listener on loopback (a sandbox that could
 * resolve `npm:` would read it, as sandboxes inherited `HOME` before), remote
 * imports aim at the same listener, and the app's source carries a marker
 * that must not appear anywhere in the kernel's Deno cache (a sandbox that
 * used that cache would leave its compiled code there).
 */
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { join } from "node:path";
import {
  filesContaining,
  type HostileCase,
  procEnviron,
  runHostileSuite,
} from "../_helpers/hostile.ts";
import { ALLOWED_NODE_BUILTINS, builtinName } from "../../runtime/builtins.ts";

const TIMEOUT_MS = 3_000;

/** The kernel's Deno cache, where npm packages and fazt's own modules live. */
const KERNEL_DENO_DIR = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");

/** A listener that must never see a connection. */
const tripwire = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const TRIP = tripwire.addr.port;
const trips: string[] = [];
const accepting = (async () => {
  for await (const conn of tripwire) {
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf).catch(() => null);
    trips.push(new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0]);
    conn.close();
  }
})();

/** The server's `HOME`: its `.npmrc` points one npm scope at the tripwire. */
const home = await Deno.makeTempDir({ prefix: "fazt-home-" });
await Deno.writeTextFile(
  join(home, ".npmrc"),
  `@fazt-tripwire:registry=http://127.0.0.1:${TRIP}/\n`,
);

/** In the app's source only: found in a cache, it shows where app code was compiled. */
const MARKER = `fazt-marker-${crypto.randomUUID()}`;

// ---------------------------------------------------------------------------
// The apps

/**
 * Every module form but `node:` built-ins, from a TypeScript entry. Answers
 * `{ refused, allowed }`: probe → { ok, result }.
 */
const IMPORTER = {
  "api/main.ts": `const MARKER: string = ${JSON.stringify(MARKER)};
const blob = (source: string) =>
  URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
const data = (source: string) => "data:text/javascript," + encodeURIComponent(source);
const keys = async (specifier: string) => Object.keys(await import(specifier)).length;
const probes = (trip: number): Record<string, () => unknown> => ({
  'import("npm:zod")': () => keys("npm:zod"),
  'import("npm:/zod@3")': () => keys("npm:/zod@3"),
  'import("npm:zod@4")': () => keys("npm:zod@4"),
  'import("NPM:zod")': () => keys("NPM:zod"),
  "an uncached npm package": () => keys("npm:@fazt-tripwire/dynamic"),
  "a computed npm: specifier": () => keys(["npm", "zod"].join(":")),
  "an npm: URL object": () => import(new URL("npm:zod").href),
  'import("npm:zod/package.json", json)': () =>
    import("npm:zod/package.json", { with: { type: "json" } }),
  'import("jsr:@std/path")': () => keys("jsr:@std/path"),
  'import("https://esm.sh/zod")': () => keys("https://esm.sh/zod"),
  "import of http://127.0.0.1 (the tripwire)": () => keys(\`http://127.0.0.1:\${trip}/x.js\`),
  "a data: module that imports npm:": () => keys(data('export * from "npm:zod";')),
  "a data: module that imports an uncached package": () =>
    keys(data('import "npm:@fazt-tripwire/from-data";')),
  "a data: module that imports jsr:": () => keys(data('export * from "jsr:@std/path";')),
  "a data: module that imports http:": () =>
    keys(data(\`export * from "http://127.0.0.1:\${trip}/y.js";\`)),
  "a blob: module that imports npm:": () => keys(blob('export * from "npm:zod";')),
  "a blob: module that imports an uncached package": () =>
    keys(blob('import "npm:@fazt-tripwire/from-blob";')),
  "new Function import npm:": () => new Function('return import("npm:zod")')(),
  "eval import npm:": () => (0, eval)('import("npm:@fazt-tripwire/from-eval")'),
  'require("npm:zod")': () => require("npm:zod"),
});
const ALLOWED: Record<string, () => unknown> = {
  'require("zod") (the stdlib)': () => typeof require("zod").string,
  "a data: module": async () => (await import(data("export default 1"))).default,
  "a blob: module": async () => (await import(blob("export default 2"))).default,
  'import("node:path")': async () => (await import("node:path")).posix.join("a", "b"),
};
const run = async (table: Record<string, () => unknown>) => {
  const out: Record<string, { ok: boolean; result: string }> = {};
  for (const [name, probe] of Object.entries(table)) {
    try {
      out[name] = { ok: true, result: String(await probe()).slice(0, 300) };
    } catch (err) {
      out[name] = { ok: false, result: String(err).slice(0, 300) };
    }
  }
  return out;
};
export default async (req: Request) => {
  const trip = Number(new URL(req.url).searchParams.get("trip"));
  return { marker: MARKER.length, refused: await run(probes(trip)), allowed: await run(ALLOWED) };
};
`,
};

/** The same from a CommonJS entry (its code runs from `new Function`). */
const CJS_IMPORTER = {
  "api/main.js": `const run = async (table) => {
  const out = {};
  for (const [name, probe] of Object.entries(table)) {
    try {
      out[name] = { ok: true, result: String(await probe()).slice(0, 300) };
    } catch (err) {
      out[name] = { ok: false, result: String(err).slice(0, 300) };
    }
  }
  return out;
};
module.exports = async () => ({
  refused: await run({
    'import("npm:zod")': () => import("npm:zod"),
    "an uncached npm package": () => import("npm:@fazt-tripwire/cjs"),
    'import("node:fs")': () => import("node:fs"),
    'import("jsr:@std/path")': () => import("jsr:@std/path"),
    'require("npm:zod")': () => require("npm:zod"),
    'require("node:fs")': () => require("node:fs"),
    'require("child_process")': () => require("child_process"),
  }),
  allowed: await run({
    'require("node:events")': () => typeof require("node:events").EventEmitter,
    'require("crypto")': () => require("crypto").createHash("sha256").update("x").digest("hex"),
    'import("node:buffer")': async () => (await import("node:buffer")).Buffer.from("hi").length,
    'require("lodash")': () => require("lodash").chunk([1, 2, 3], 2).length,
  }),
});
`,
};

/**
 * For each built-in name in the body, whether each route gave a module; and
 * one error message per name and route.
 */
const BUILTINS = {
  "api/main.js": `const blob = (source) =>
  URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
const data = (source) => "data:text/javascript," + encodeURIComponent(source);
const routes = {
  "import node:": (name) => import("node:" + name),
  "import bare": (name) => import(name),
  "static import in a data: module": (name) =>
    import(data(\`import * as m from "node:\${name}"; export default m;\`)),
  "default import in a data: module": (name) =>
    import(data(\`import m from "\${name}"; export { m };\`)),
  "static import in a blob: module": (name) =>
    import(blob(\`import * as m from "node:\${name}"; export default m;\`)),
  "process.getBuiltinModule": (name) => {
    const m = process.getBuiltinModule("node:" + name);
    if (m === undefined) throw new Error("undefined");
    return m;
  },
  "require node:": (name) => require("node:" + name),
  "require bare": (name) => require(name),
};
const tryAll = async (fn) => {
  try {
    await fn();
    return "";
  } catch (err) {
    return String(err) || "error";
  }
};
export default async (req) => {
  const out = {};
  for (const name of await req.json()) {
    out[name] = {};
    for (const [route, load] of Object.entries(routes)) {
      const error = await tryAll(() => load(name));
      out[name][route] = error === "" ? "loaded" : error.slice(0, 300);
    }
  }
  out.sideDoors = {
    "process.binding": await tryAll(() => process.binding("fs")),
    "process.dlopen": await tryAll(() => process.dlopen({}, "libc.so.6")),
    "Deno[Deno.internal]": await tryAll(() => Deno[Deno.internal].core.ops),
    "eval import": await tryAll(() => (0, eval)('import("node:fs")')),
    "new Function import": await tryAll(() => new Function('return import("node:os")')()),
    "a blob: module's dynamic import": await tryAll(async () =>
      (await import(blob('export default () => import("node:vm");'))).default()
    ),
  };
  return out;
};
`,
};

/** An entry that statically imports `specifier` (as `form`). */
function staticImporter(form: string): Record<string, string> {
  return { "api/main.js": `${form}\nexport default () => "loaded";\n` };
}

// ---------------------------------------------------------------------------
// Checks

type Probes = Record<string, { ok: boolean; result: string }>;

/** The sandbox of `app` runs with a private Deno cache and no `HOME`. */
async function assertPrivateCache(
  ctx: Parameters<HostileCase["run"]>[0],
  app: string,
): Promise<void> {
  const env = procEnviron(await ctx.pidOf(app));
  assert.equal(env.HOME, undefined, "the sandbox got HOME");
  assert.equal(env.XDG_CACHE_HOME, undefined, "the sandbox got XDG_CACHE_HOME");
  assert.ok(env.DENO_DIR, "the sandbox has no DENO_DIR of its own");
  assert.notEqual(env.DENO_DIR, KERNEL_DENO_DIR);
  assert.match(env.DENO_DIR, /\/fazt-sandbox-[^/]+\/deno$/);
}

/** Nothing reached the tripwire, and the kernel's cache holds nothing of the app's. */
async function assertNoTrace(): Promise<void> {
  assert.deepEqual(trips, [], "a sandbox connected to the tripwire");
  assert.deepEqual(
    await filesContaining(KERNEL_DENO_DIR, MARKER),
    [],
    "app code was compiled into the kernel's Deno cache",
  );
  assert.deepEqual(await filesContaining(home, MARKER), []);
}

// ---------------------------------------------------------------------------
// The cases

const CASES: HostileCase[] = [
  {
    name:
      "npm:, jsr: and remote imports are refused in every form, from ES modules, TypeScript, data: and blob: modules; nothing reaches the network or the kernel's Deno cache",
    async run(ctx) {
      await ctx.deploy("importer", IMPORTER);
      const res = await ctx.get("importer", `/api/probe?trip=${TRIP}`);
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as { marker: number; refused: Probes; allowed: Probes };
      assert.equal(out.marker, MARKER.length);
      assert.equal(Object.keys(out.refused).length, 20);
      for (const [probe, { ok, result }] of Object.entries(out.refused)) {
        assert.equal(ok, false, `${probe} worked: ${result}`);
        if (/require/.test(probe)) assert.match(result, /Cannot find module/, probe);
        else if (/npm/i.test(probe) && !/jsr|http/.test(probe)) {
          assert.match(result, /--no-npm/, `${probe}: ${result}`);
        }
      }
      assert.deepEqual(out.allowed, {
        'require("zod") (the stdlib)': { ok: true, result: "function" },
        "a data: module": { ok: true, result: "1" },
        "a blob: module": { ok: true, result: "2" },
        'import("node:path")': { ok: true, result: "a/b" },
      });
      await assertPrivateCache(ctx, "importer");
      await assertNoTrace();
    },
  },
  {
    name:
      "from a CommonJS app, npm:, jsr: and refused node: imports and requires are refused; the stdlib and allowed built-ins load",
    async run(ctx) {
      await ctx.deploy("cjs-importer", CJS_IMPORTER);
      const res = await ctx.get("cjs-importer", "/api/probe");
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as { refused: Probes; allowed: Probes };
      assert.equal(Object.keys(out.refused).length, 7);
      for (const [probe, { ok, result }] of Object.entries(out.refused)) {
        assert.equal(ok, false, `${probe} worked: ${result}`);
      }
      for (const probe of ['import("node:fs")', 'require("node:fs")']) {
        assert.match(out.refused[probe].result, /node:fs is not available to apps/);
      }
      assert.match(out.refused['require("child_process")'].result, /node:child_process is not/);
      assert.deepEqual(out.allowed, {
        'require("node:events")': { ok: true, result: "function" },
        'require("crypto")': {
          ok: true,
          result: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
        },
        'import("node:buffer")': { ok: true, result: "2" },
        'require("lodash")': { ok: true, result: "2" },
      });
      await assertNoTrace();
    },
  },
  {
    name:
      "an entry that statically imports npm:, jsr:, a remote URL or a refused built-in fails to load with a clear error",
    async run(ctx) {
      const forms: [string, RegExp][] = [
        ['import { z } from "npm:zod";', /--no-npm/],
        ['import "npm:@fazt-tripwire/static";', /--no-npm/],
        ['import * as path from "jsr:@std/path";', /jsr|import access/i],
        ['import "https://esm.sh/zod";', /remote|import access/i],
        [`import "http://127.0.0.1:${TRIP}/static.js";`, /remote|import access/i],
        ['import { readFileSync } from "node:fs";', /node:fs is not available to apps/],
        ['import fs from "fs";', /node:fs is not available to apps/],
        ['import * as cp from "node:child_process";', /node:child_process is not available/],
        ['import { DatabaseSync } from "node:sqlite";', /node:sqlite is not available/],
      ];
      for (const [i, [form, error]] of forms.entries()) {
        const name = `static-${i}`;
        await ctx.deploy(name, staticImporter(form));
        const res = await ctx.get(name, "/api/x");
        assert.equal(res.status, 500, `${form}: ${res.status} ${res.text}`);
        assert.match(res.text, /failed to load/, form);
        const logs = await (await ctx.server.api("GET", `/apps/${name}/logs?limit=50`)).text();
        assert.match(logs, error, `${form}: ${logs}`);
      }
      await assertNoTrace();
    },
  },
  {
    name:
      "node: built-ins outside the allow list are refused by every route; the allowed ones load by every route",
    async run(ctx) {
      await ctx.deploy("builtins", BUILTINS);
      const names = [...new Set(builtinModules.map(builtinName))];
      const res = await ctx.get("builtins", "/api/probe", {
        method: "POST",
        body: JSON.stringify(names),
      });
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as Record<string, Record<string, string>>;
      const { sideDoors, ...byName } = out;
      assert.deepEqual(Object.keys(byName).sort(), [...names].sort());
      const refused = names.filter((n) => !ALLOWED_NODE_BUILTINS.has(n));
      assert.ok(refused.length >= 40, `only ${refused.length} refused built-ins`);
      for (const name of names) {
        for (const [route, got] of Object.entries(byName[name])) {
          const what = `${route} ${name}: ${got}`;
          if (ALLOWED_NODE_BUILTINS.has(name)) {
            assert.equal(got, "loaded", what);
          } else if (name === "worker_threads" && !/require|getBuiltinModule/.test(route)) {
            // Deno cannot remap it (runtime/builtins.ts): as node:worker_threads
            // it loads, and its Worker refuses (hostile_apps_test.ts).
            if (/bare|default/.test(route)) assert.match(got, /not in import map/, what);
            else assert.equal(got, "loaded", what);
          } else if (route === "process.getBuiltinModule") {
            assert.equal(got, "Error: undefined", what);
          } else {
            assert.match(got, new RegExp(`node:${name} is not available to apps`), what);
          }
        }
      }
      for (const [door, error] of Object.entries(sideDoors)) {
        assert.notEqual(error, "", `${door} worked`);
      }
      assert.match(sideDoors["process.binding"], /not available to apps/);
      assert.match(sideDoors["process.dlopen"], /not available to apps/);
      assert.match(sideDoors["Deno[Deno.internal]"], /TypeError/);
      assert.match(sideDoors["eval import"], /node:fs is not available to apps/);
      assert.match(sideDoors["new Function import"], /node:os is not available to apps/);
      assert.match(sideDoors["a blob: module's dynamic import"], /node:vm is not available/);
    },
  },
  {
    name: "an entry with static imports of allowed built-ins loads and runs",
    async run(ctx) {
      await ctx.deploy("allowed", {
        "api/main.js": `import { EventEmitter } from "node:events";
import { createHash } from "node:crypto";
import { Buffer } from "buffer";
import path from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import { gzipSync, gunzipSync } from "node:zlib";
import { format } from "node:util";
import { Readable } from "node:stream";
export default async () => {
  const events = new EventEmitter();
  let heard = "";
  events.on("x", (v) => heard = v);
  events.emit("x", "heard");
  const chunks = [];
  for await (const c of Readable.from(["a", "b"])) chunks.push(c);
  return {
    heard,
    hash: createHash("sha1").update("x").digest("hex").slice(0, 8),
    buffer: Buffer.from("hi").toString("base64"),
    path: path.posix.join("/a", "../b"),
    als: new AsyncLocalStorage().run(7, () => 7),
    zlib: gunzipSync(gzipSync("round trip")).toString(),
    format: format("%s=%d", "n", 5),
    stream: chunks.join(""),
  };
};
`,
      });
      const res = await ctx.get("allowed", "/api/x");
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(JSON.parse(res.text), {
        heard: "heard",
        hash: "11f6ad8e",
        buffer: "aGk=",
        path: "/b",
        als: 7,
        zlib: "round trip",
        format: "n=5",
        stream: "ab",
      });
    },
  },
];

runHostileSuite(
  "hostile imports reach nothing but the app's files, the stdlib and the allowed built-ins",
  CASES,
  {
    args: ["--api-timeout", String(TIMEOUT_MS / 1000), "--sandbox-heap", "64"],
    env: { HOME: home, DENO_DIR: KERNEL_DENO_DIR },
  },
  async () => {
    tripwire.close();
    await accepting.catch(() => {});
    await Deno.remove(home, { recursive: true }).catch(() => {});
  },
);
