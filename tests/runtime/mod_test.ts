import assert from "node:assert/strict";
import { SANDBOX_CACHE_BYTES, sandboxSpawnSpec } from "../../runtime/mod.ts";

Deno.test("a sandbox starts without npm or remote modules, with the refusing import map and a private Deno cache", async () => {
  const spec = await sandboxSpawnSpec(64);
  try {
    const socket = `${spec.socketDir}/x.sock`;
    const args = spec.args(socket);
    assert.ok(args.includes("--no-npm"), args.join(" "));
    assert.ok(args.includes("--no-remote"), args.join(" "));
    const mapFlag = args.find((a) => a.startsWith("--import-map="));
    assert.ok(mapFlag, args.join(" "));
    const map = JSON.parse(await Deno.readTextFile(mapFlag.slice("--import-map=".length)));
    assert.match(map.imports["node:fs"], /^data:text\/javascript,/);
    assert.equal(args.at(-1), socket);
    if (Deno.build.os === "linux") assert.equal(spec.command, "/proc/self/exe");
    assert.equal(spec.env.DENO_DIR, `${spec.socketDir}/deno`);
    assert.equal(spec.env.HOME, undefined);
    assert.equal(spec.env.XDG_CACHE_HOME, undefined);
    assert.equal(spec.env.DENO_V8_FLAGS, "--max-old-space-size=64");
    assert.equal(spec.env.DENO_NO_UPDATE_CHECK, "1");
  } finally {
    await Deno.remove(spec.socketDir, { recursive: true });
  }
});

Deno.test("the sandboxes' cache is cleared at the next start once it grows past its bound", async () => {
  const spec = await sandboxSpawnSpec(64);
  try {
    const cache = spec.env.DENO_DIR;
    await Deno.mkdir(`${cache}/gen/data`, { recursive: true });
    const file = `${cache}/gen/data/app.js`;
    await Deno.writeFile(file, new Uint8Array(1024));
    spec.args(`${spec.socketDir}/a.sock`);
    assert.ok(await Deno.stat(file), "a small cache is kept");
    await Deno.truncate(file, SANDBOX_CACHE_BYTES + 1);
    spec.args(`${spec.socketDir}/b.sock`);
    assert.equal(await Deno.stat(cache).catch(() => null), null, "the cache is still there");
  } finally {
    await Deno.remove(spec.socketDir, { recursive: true });
  }
});
