/**
 * App code learns no path of the machine: not where fazt is installed (its
 * own modules, the `deno` executable), not the data folder, not the bridge
 * socket or the runtime's folder, not the kernel's Deno cache or `HOME`.
 * Against a real server, apps written as ES modules, TypeScript and
 * CommonJS read every value that used to name one (`Deno.cwd()`,
 * `Deno.execPath()`, `process.*`, `Deno.args`, `Deno.mainModule`), dump the
 * `Deno` and `process` objects, and look at stack traces of every origin
 * (their own code, fazt's calls, the stdlib, `eval`, call sites through
 * their own `Error.prepareStackTrace`) and at what their logs record
 * (console output, uncaught errors, load errors). Their files show up as
 * `app:///<path>`, with line numbers.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { type Ctx, type HostileCase, procEnviron, runHostileSuite } from "../_helpers/hostile.ts";
import { ROOT } from "../_helpers/server.ts";

/** What a probe table collects: value → text. */
const PROBE_LIB = `const probe = async (table) => {
  const out = {};
  for (const [name, fn] of Object.entries(table)) {
    try {
      const value = await fn();
      out[name] = typeof value === "string" ? value : JSON.stringify(value);
    } catch (err) {
      out[name] = "threw: " + (err && err.stack ? err.stack : String(err));
    }
  }
  return out;
};
const sites = (fn) => {
  const before = Error.prepareStackTrace;
  Error.prepareStackTrace = (_, callSites) => callSites.map((s) => ({
    file: s.getFileName(),
    script: s.getScriptNameOrSourceURL(),
    evalOrigin: s.getEvalOrigin(),
    text: s.toString(),
  }));
  try {
    return fn();
  } finally {
    Error.prepareStackTrace = before;
  }
};
const PROBES = {
  "Deno.cwd()": () => Deno.cwd(),
  "Deno.execPath()": () => Deno.execPath(),
  "process.cwd()": () => process.cwd(),
  "process.execPath": () => process.execPath,
  "process.argv": () => process.argv,
  "process.argv0": () => process.argv0,
  "process.title": () => process.title,
  "process.execArgv": () => process.execArgv,
  "Deno.args": () => Deno.args,
  "Deno.mainModule": () => Deno.mainModule,
  "new Error().stack": () => new Error("here").stack,
  "an async stack": async () => {
    await new Promise((r) => setTimeout(r, 1));
    return new Error("later").stack;
  },
  "a fazt call's error": () => fazt.kv.set(42, "not a string key"),
  "a stdlib error": () => require("zod").string().parse(5),
  "an eval stack": () => (0, eval)("new Error('evaluated').stack"),
  "a new Function stack": () => new Function("return new Error('built').stack")(),
  "call sites": () => sites(() => new Error("sites").stack),
  "eval call sites": () => sites(() => (0, eval)("new Error('sites').stack")),
  "Error.captureStackTrace": () => {
    const o = {};
    Error.captureStackTrace(o);
    return o.stack;
  },
  "a relative read": () => Deno.readTextFileSync("x.txt"),
  "Deno.inspect(Deno)": () => Deno.inspect(Deno, { depth: 3, getters: true, showHidden: true }),
  "Deno.inspect(process)": () =>
    Deno.inspect(process, { depth: 3, getters: true, showHidden: true }),
  "Deno.inspect(globalThis)": () =>
    Deno.inspect(globalThis, { depth: 1, getters: true, showHidden: true }),
  "logs": () => {
    console.log("logged", new Error("in a log"));
    console.error({ nested: new Error("in an object") });
    console.trace("traced");
    setTimeout(() => {
      throw new Error("uncaught in a timer");
    }, 0);
    Promise.reject(new Error("never handled"));
    return "logged";
  },
};
`;

/** The probes from an ES module; `here()` throws on line 3 of the file. */
const ESM = {
  "api/main.js": `export function here() {
  // line 2
  throw new Error("thrown on line 3");
}
${PROBE_LIB}
export default async () => {
  let line3 = "";
  try {
    here();
  } catch (err) {
    line3 = err.stack;
  }
  return { ...(await probe(PROBES)), line3 };
};
`,
};

/** The same from TypeScript, whose types come before the throw on line 6. */
const TS = {
  "api/main.ts": `type Point = { x: number; y: number };
interface Named {
  name: string;
}
export function here(p?: Point & Named): never {
  throw new Error("thrown on line 6 " + (p?.name ?? ""));
}
${PROBE_LIB}
export default async () => {
  let line6 = "";
  try {
    here();
  } catch (err) {
    line6 = (err as Error).stack ?? "";
  }
  return { ...(await probe(PROBES)), line6 };
};
`,
};

/** The same from CommonJS, with a required file that throws on its line 2. */
const CJS = {
  "api/lib.js": `exports.fail = () => {
  throw new Error("thrown on line 2 of lib.js");
};
`,
  "api/main.js": `${PROBE_LIB}
module.exports = async () => {
  let lib2 = "";
  try {
    require("./lib").fail();
  } catch (err) {
    lib2 = err.stack;
  }
  return { ...(await probe(PROBES)), lib2 };
};
`,
};

/** Strings that would give a path of the machine away. */
function forbidden(ctx: Ctx, runtimeDir: string): string[] {
  const home = Deno.env.get("HOME");
  return [
    ROOT.replace(/\/$/, ""),
    Deno.execPath(),
    dirname(Deno.execPath()),
    ctx.server.dataDir,
    runtimeDir,
    "/tmp/fazt-sandbox-",
    "file://",
    ...(home && home.length > 1 ? [`${home}/`] : []),
  ];
}

function assertNoPath(text: string, where: string, bad: string[]): void {
  for (const leak of bad) {
    assert.ok(!text.includes(leak), `${where} contains ${leak}: …${excerpt(text, leak)}…`);
  }
}

function excerpt(text: string, needle: string): string {
  const at = text.indexOf(needle);
  return text.slice(Math.max(0, at - 200), at + needle.length + 50);
}

/** Deploys `files` as `name`, runs the probes and checks what came back and what was logged. */
async function probeApp(
  ctx: Ctx,
  name: string,
  files: Record<string, string>,
  entry: string,
): Promise<Record<string, string>> {
  await ctx.deploy(name, files);
  const res = await ctx.get(name, "/api/probe");
  assert.equal(res.status, 200, res.text);
  const out = JSON.parse(res.text) as Record<string, string>;
  const runtimeDir = join(procEnviron(await ctx.pidOf(name)).DENO_DIR, "..");
  const bad = forbidden(ctx, runtimeDir);
  for (const [probe, text] of Object.entries(out)) assertNoPath(text, `${name}: ${probe}`, bad);
  // What the app saw, as the kernel sees it.
  assert.equal(out["Deno.cwd()"], "/");
  assert.equal(out["process.cwd()"], "/");
  assert.equal(out["Deno.execPath()"], "deno");
  assert.equal(out["process.execPath"], "deno");
  assert.equal(out["process.title"], "deno");
  assert.equal(out["Deno.args"], "[]");
  assert.equal(out["Deno.mainModule"], `app:///${entry}`);
  assert.equal(out["process.argv"], JSON.stringify(["deno", `app:///${entry}`]));
  assert.match(
    out["new Error().stack"],
    new RegExp(`^Error: here\\n    at .*app:///${entry}:\\d+`),
  );
  assert.match(out["a fazt call's error"], /^threw: FaztError/);
  assert.match(out["a stdlib error"], /^threw: ZodError/);
  assert.match(out["a relative read"], /^threw: NotCapable: Requires read access to "x.txt"/);
  assert.match(out["call sites"], new RegExp(`app:///${entry}`));
  for (const probe of ["an eval stack", "a new Function stack", "eval call sites"]) {
    assert.match(out[probe], new RegExp(`eval at .*app:///${entry}`), probe);
    assert.ok(!out[probe].includes("data:application"), `${probe} names the entry's data: URL`);
  }
  // Let the timer and the rejection be logged, then read the logs.
  await new Promise((r) => setTimeout(r, 300));
  const logs = await (await ctx.server.api("GET", `/apps/${name}/logs?limit=200`)).text();
  assert.match(logs, /uncaught in a timer/);
  assert.match(logs, /never handled/);
  assert.match(logs, /in a log/);
  assertNoPath(logs, `${name}'s logs`, bad);
  return out;
}

const CASES: HostileCase[] = [
  {
    name:
      "an ES module app sees / as its folder, deno as its executable and app:/// paths in its stacks; nothing names a path of the machine",
    async run(ctx) {
      const out = await probeApp(ctx, "paths-esm", ESM, "api/main.js");
      assert.match(
        out.line3,
        /^Error: thrown on line 3\n {4}at here \(app:\/\/\/api\/main\.js:3:9\)/,
      );
    },
  },
  {
    name: "the same from TypeScript, with the lines of the TypeScript source",
    async run(ctx) {
      const out = await probeApp(ctx, "paths-ts", TS, "api/main.ts");
      assert.match(out.line6, /at here \(app:\/\/\/api\/main\.ts:6:\d+\)/);
    },
  },
  {
    name: "the same from CommonJS, with required files named by their path in the app",
    async run(ctx) {
      const out = await probeApp(ctx, "paths-cjs", CJS, "api/main.js");
      assert.match(out.lib2, /at exports\.fail \(app:\/\/\/api\/lib\.js:2:9\)/);
    },
  },
  {
    name: "code that fails to load reports its error with app:/// paths only",
    async run(ctx) {
      await ctx.deploy("paths-broken", {
        "api/main.js": `export default () => "never";\nconst x = ;\n`,
      });
      const res = await ctx.get("paths-broken", "/api/x");
      assert.equal(res.status, 500, res.text);
      const logs = await (await ctx.server.api("GET", "/apps/paths-broken/logs?limit=50")).text();
      assert.match(logs, /SyntaxError/);
      const bad = forbidden(ctx, "/tmp/fazt-sandbox-");
      assertNoPath(res.text, "the answer", bad);
      assertNoPath(logs, "the logs", bad);
      assert.ok(!logs.includes("data:application"), "the logs name the entry by its data: URL");
    },
  },
];

runHostileSuite("app code learns no path of the machine", CASES, {
  args: ["--api-timeout", "3"],
});
