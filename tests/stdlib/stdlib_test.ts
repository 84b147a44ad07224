/**
 * Tests for the embedded standard library (`stdlib/`): each prebundled CommonJS source
 * evaluates in a bare function scope whose `require` throws, behaves like the library
 * Node users know, is self-contained, and is exactly what `deno task stdlib` rebuilds.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildAll, findLeaks } from "../../stdlib/build.ts";
import { isStdlibName, loadStdlib, STDLIB_NAMES, type StdlibName } from "../../stdlib/mod.ts";

const DIST = new URL("../../stdlib/dist/", import.meta.url);

/** A CommonJS export, as far as these tests look into it. */
type Exports = Record<string, unknown>;

/** Calls a value the test knows to be a function; fails the test otherwise. */
function call(value: unknown, ...args: unknown[]): unknown {
  assert.equal(typeof value, "function");
  return (value as (...a: unknown[]) => unknown)(...args);
}

/** Calls `target[name](...args)` with `target` as `this`. */
function method(target: unknown, name: string, ...args: unknown[]): unknown {
  const fn = prop(target, name);
  assert.equal(typeof fn, "function", name);
  return Reflect.apply(fn as (...a: unknown[]) => unknown, target, args);
}

/** Reads a property path such as `["z", "object"]`. */
function prop(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    assert.ok(v !== null && (typeof v === "object" || typeof v === "function"), key);
    v = (v as Exports)[key];
  }
  return v;
}

/** Evaluates CommonJS source with a minimal shim; any `require()` call throws. */
function evaluate(source: string): unknown {
  const module: { exports: unknown } = { exports: {} };
  const require = (id: string): never => {
    throw new Error(`require(${JSON.stringify(id)}) is not available`);
  };
  new Function("module", "exports", "require", source)(module, module.exports, require);
  return module.exports;
}

const loaded = new Map<StdlibName, unknown>();

async function lib(name: StdlibName): Promise<unknown> {
  if (!loaded.has(name)) loaded.set(name, evaluate(await loadStdlib(name)));
  return loaded.get(name);
}

Deno.test("STDLIB_NAMES and isStdlibName", () => {
  assert.deepEqual([...STDLIB_NAMES], ["lodash", "cheerio", "uuid", "zod"]);
  for (const name of STDLIB_NAMES) assert.ok(isStdlibName(name));
  for (const other of ["", "fs", "node:fs", "lodash/fp", "Lodash", "__proto__", "toString"]) {
    assert.ok(!isStdlibName(other), other);
  }
});

Deno.test("loadStdlib returns each generated source and caches it", async () => {
  for (const name of STDLIB_NAMES) {
    const first = loadStdlib(name);
    assert.equal(loadStdlib(name), first, "a second call reuses the cached promise");
    const source = await first;
    const direct: { default: string } = await import(new URL(`${name}.ts`, DIST).href);
    assert.equal(source, direct.default);
    assert.ok(source.length > 1000);
  }
});

Deno.test("lodash: module.exports is the _ function", async () => {
  const _ = await lib("lodash");
  assert.equal(typeof _, "function");
  assert.deepEqual(method(_, "chunk", [1, 2, 3], 2), [[1, 2], [3]]);
  assert.equal(method(_, "get", { a: [{ b: { c: 3 } }] }, "a[0].b.c"), 3);
  assert.equal(method(_, "get", {}, "a.b", "fallback"), "fallback");
  const chained = call(_, [1, 2, 3]);
  assert.deepEqual(method(method(chained, "map", (n: number) => n * 2), "value"), [
    2,
    4,
    6,
  ]);
  const compiled = method(_, "template", "hello <%= user %>!");
  assert.equal(call(compiled, { user: "fazt" }), "hello fazt!");
});

Deno.test("cheerio: load parses and queries HTML", async () => {
  const cheerio = await lib("cheerio");
  const $ = method(cheerio, "load", "<h1>Hi</h1><ul><li class=a>1</li><li>2</li></ul>");
  assert.equal(method(call($, "h1"), "text"), "Hi");
  assert.equal(prop(call($, "li"), "length"), 2);
  assert.equal(method(call($, "li.a"), "text"), "1");
  method(call($, "h1"), "attr", "id", "top");
  assert.match(String(method($, "html")), /<h1 id="top">Hi<\/h1>/);
  // The browser build: no Node-only loaders (they need Node streams and undici).
  assert.equal(prop(cheerio, "loadBuffer"), undefined);
  assert.equal(prop(cheerio, "fromURL"), undefined);
});

Deno.test("uuid: v4, v7, validate, version", async () => {
  const uuid = await lib("uuid");
  const v4 = String(method(uuid, "v4"));
  assert.match(v4, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(method(uuid, "v4"), v4);
  assert.equal(method(uuid, "validate", v4), true);
  assert.equal(method(uuid, "validate", "not-a-uuid"), false);
  assert.equal(method(uuid, "version", v4), 4);
  assert.equal(method(uuid, "version", method(uuid, "v7")), 7);
  assert.equal(prop(uuid, "NIL"), "00000000-0000-0000-0000-000000000000");
});

Deno.test("zod: z, top-level schema builders and default", async () => {
  const zod = await lib("zod");
  const z = prop(zod, "z");
  assert.equal(prop(zod, "default"), z);
  assert.equal(typeof prop(zod, "object"), "function");
  const schema = method(z, "object", { a: method(z, "string") });
  const bad = method(schema, "safeParse", { a: 1 });
  assert.equal(prop(bad, "success"), false);
  const good = method(schema, "safeParse", { a: "x", extra: true });
  assert.equal(prop(good, "success"), true);
  assert.deepEqual(prop(good, "data"), { a: "x" });
  assert.throws(() => method(schema, "parse", {}));
});

Deno.test("each bundle is self-contained and small; sizes", async () => {
  const limits: Record<StdlibName, number> = {
    lodash: 100_000,
    cheerio: 500_000,
    uuid: 20_000,
    zod: 600_000,
  };
  const sizes: string[] = [];
  for (const name of STDLIB_NAMES) {
    const source = await loadStdlib(name);
    assert.deepEqual(findLeaks(source), [], name);
    assert.ok(!source.includes("Deno."), `${name} mentions Deno.`);
    assert.doesNotMatch(source, /(?<![\w$.])require\(/, `${name} calls require()`);
    assert.doesNotMatch(source, /require\(["'`](node:|fs|path|os|crypto|stream|buffer|http)/);
    assert.match(source, /module\.exports\s*=/, `${name} assigns module.exports`);
    const bytes = new TextEncoder().encode(source).length;
    assert.ok(bytes < limits[name], `${name} grew to ${bytes} bytes`);
    sizes.push(`${name} ${(bytes / 1024).toFixed(1)} KiB`);
  }
  console.log(`stdlib sizes: ${sizes.join(", ")}`);
});

Deno.test("the header of each generated file matches its source", async () => {
  for (const name of STDLIB_NAMES) {
    const text = await Deno.readTextFile(new URL(`${name}.ts`, DIST));
    const source = await loadStdlib(name);
    const m = text.match(
      /^\/\/ (\S+) (\S+) \(license: (\S+)\).*\n\/\/ (\d+) bytes, sha256 ([0-9a-f]{64})\./m,
    );
    assert.ok(m, `${name} header`);
    assert.equal(m[1], name);
    assert.equal(Number(m[4]), new TextEncoder().encode(source).length);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(source));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
      .join("");
    assert.equal(m[5], hex);
    if (name === "lodash") assert.equal(prop(await lib("lodash"), "VERSION"), m[2]);
  }
});

Deno.test("evaluating the bundles adds no globals but zod's shared registry", async () => {
  const sources = await Promise.all(STDLIB_NAMES.map((name) => loadStdlib(name)));
  const before = new Set(Reflect.ownKeys(globalThis));
  for (const source of sources) evaluate(source);
  const added = Reflect.ownKeys(globalThis).filter((k) => !before.has(k)).map(String);
  for (const key of added) assert.match(key, /^__zod_global/, `new global ${key}`);
});

Deno.test("`deno task stdlib` is reproducible: a rebuild is byte-identical", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "fazt-stdlib-" });
  try {
    const built = await buildAll(tmp);
    assert.deepEqual(built.map((b) => b.name), [...STDLIB_NAMES]);
    for (const name of STDLIB_NAMES) {
      const fresh = await Deno.readFile(`${tmp}/${name}.ts`);
      const committed = await Deno.readFile(new URL(`${name}.ts`, DIST));
      assert.ok(
        fresh.length === committed.length && fresh.every((b, i) => b === committed[i]),
        `stdlib/dist/${name}.ts differs from a fresh build: run \`deno task stdlib\``,
      );
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
