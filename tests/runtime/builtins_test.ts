import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import {
  ALLOWED_NODE_BUILTINS,
  builtinName,
  isAllowedBuiltin,
  refusalMessage,
  refusingImportMap,
} from "../../runtime/builtins.ts";

Deno.test("the allow list holds pure modules and none that reach the system", () => {
  for (const name of ["buffer", "events", "util", "path", "url", "crypto", "stream", "zlib"]) {
    assert.ok(isAllowedBuiltin(name), name);
    assert.ok(isAllowedBuiltin(`node:${name}`), `node:${name}`);
  }
  for (
    const name of [
      "fs",
      "fs/promises",
      "child_process",
      "net",
      "tls",
      "http",
      "https",
      "http2",
      "dgram",
      "dns",
      "os",
      "v8",
      "vm",
      "inspector",
      "wasi",
      "cluster",
      "module",
      "sqlite",
      "worker_threads",
      "perf_hooks",
      "trace_events",
      "repl",
    ]
  ) {
    assert.ok(!isAllowedBuiltin(name), name);
    assert.ok(!isAllowedBuiltin(`node:${name}`), `node:${name}`);
  }
  // Every allowed name is a real built-in of this Deno.
  const builtins = new Set(builtinModules.map(builtinName));
  for (const name of ALLOWED_NODE_BUILTINS) assert.ok(builtins.has(name), name);
});

Deno.test("the import map refuses both spellings of a refused built-in, with a message naming it", () => {
  const map = refusingImportMap(builtinModules);
  for (const specifier of ["fs", "node:fs", "child_process", "node:child_process", "node:sqlite"]) {
    const target = map.imports[specifier];
    assert.ok(target?.startsWith("data:text/javascript,"), specifier);
    const source = decodeURIComponent(target.slice("data:text/javascript,".length));
    assert.ok(source.includes(JSON.stringify(refusalMessage(specifier))), specifier);
    assert.match(source, /^export default undefined; throw new Error\(/);
  }
  assert.match(refusalMessage("fs"), /^node:fs is not available to apps/);
});

Deno.test("allowed bare names lead to the built-in; node:-prefixed allowed names and worker_threads are left alone", () => {
  const map = refusingImportMap(builtinModules);
  assert.equal(map.imports["events"], "node:events");
  assert.equal(map.imports["buffer"], "node:buffer");
  assert.equal(map.imports["node:events"], undefined);
  assert.equal(map.imports["worker_threads"], undefined);
  assert.equal(map.imports["node:worker_threads"], undefined);
  assert.deepEqual(map.scopes, {});
});

Deno.test("fazt's own bundle keeps the real modules through a scope", () => {
  const own = "file:///opt/fazt/fazt.js";
  const map = refusingImportMap(builtinModules, own);
  assert.deepEqual(Object.keys(map.scopes), [own]);
  assert.equal(map.scopes[own]["node:fs"], "node:fs");
  assert.equal(map.scopes[own]["fs"], "node:fs");
  assert.equal(map.scopes[own]["node:sqlite"], "node:sqlite");
});
