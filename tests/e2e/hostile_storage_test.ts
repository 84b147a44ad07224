/**
 * Deno gives every process `localStorage`, `sessionStorage` and the Cache
 * API, kept in its cache folder and keyed by the main module, so every
 * sandbox (one main module) shared one store, outside the apps' data, their
 * disk quota and `app rm`. Against a real server: app A tries every way to
 * keep something there, app B every way to read it; the only store an app
 * has is its own (`fazt.kv`, …), and what A wrote lands nowhere but the data
 * folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  filesContaining,
  type HostileCase,
  procEnviron,
  runHostileSuite,
} from "../_helpers/hostile.ts";

/** The kernel's Deno cache (where Deno kept those stores). */
const KERNEL_DENO_DIR = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");

/** The server's `HOME`, so that it can be searched too. */
const home = await Deno.makeTempDir({ prefix: "fazt-home-" });

/**
 * POST keeps the body's text everywhere it can; GET reads it back. Answers
 * way → { ok, result }.
 */
const STORE = {
  "api/main.js": `const g = globalThis;
const WRITES = {
  localStorage: (v) => localStorage.setItem("k", v),
  sessionStorage: (v) => sessionStorage.setItem("k", v),
  "self.localStorage": (v) => self.localStorage.setItem("k", v),
  'globalThis["local" + "Storage"]': (v) => g["local" + "Storage"].setItem("k", v),
  "localStorage on the global's prototype": (v) => Object.getPrototypeOf(g).localStorage.setItem("k", v),
  "new Storage()": (v) => new Storage().setItem("k", v),
  "caches.open": async (v) => (await caches.open("c")).put("http://x/", new Response(v)),
  "new CacheStorage()": async (v) => (await new CacheStorage().open("c")).put("http://x/", new Response(v)),
  "new Cache()": (v) => new Cache().put("http://x/", new Response(v)),
  "Deno.openKv": async (v) => (await Deno.openKv()).set(["k"], v),
  indexedDB: () => indexedDB.open("db"),
  "navigator.storage": () => navigator.storage.persist(),
};
const READS = {
  localStorage: () => localStorage.getItem("k"),
  sessionStorage: () => sessionStorage.getItem("k"),
  "new Storage()": () => new Storage().getItem("k"),
  "caches.match": async () => (await caches.match("http://x/"))?.text(),
  "Deno.openKv": async () => (await (await Deno.openKv()).get(["k"])).value,
};
const run = async (table, value) => {
  const out = {};
  for (const [way, fn] of Object.entries(table)) {
    try {
      out[way] = { ok: true, result: String(await fn(value)) };
    } catch (err) {
      out[way] = { ok: false, result: String(err).slice(0, 200) };
    }
  }
  return out;
};
export default async (req) => {
  if (req.method === "POST") {
    const value = await req.text();
    await fazt.kv.set("k", value);
    return await run(WRITES, value);
  }
  return { kv: await fazt.kv.get("k"), reads: await run(READS) };
};
`,
};

const CASES: HostileCase[] = [
  {
    name:
      "localStorage, sessionStorage, the Cache API and their classes are gone: app B cannot read what app A kept, and nothing lands outside the data folder",
    async run(ctx) {
      await ctx.deploy("store-a", STORE);
      await ctx.deploy("store-b", STORE);
      const marker = `fazt-kept-${crypto.randomUUID()}`;
      const wrote = await ctx.get("store-a", "/api/keep", { method: "POST", body: marker });
      assert.equal(wrote.status, 200, wrote.text);
      const writes = JSON.parse(wrote.text) as Record<string, { ok: boolean; result: string }>;
      assert.equal(Object.keys(writes).length, 12);
      for (const [way, { ok, result }] of Object.entries(writes)) {
        assert.equal(ok, false, `app A kept its value with ${way}: ${result}`);
      }
      for (const [app, kv] of [["store-b", null], ["store-a", marker]] as const) {
        const read = await ctx.get(app, "/api/read");
        assert.equal(read.status, 200, read.text);
        const out = JSON.parse(read.text) as {
          kv: string | null;
          reads: Record<string, { ok: boolean; result: string }>;
        };
        // The app's own store is its own.
        assert.equal(out.kv, kv, app);
        for (const [way, { ok, result }] of Object.entries(out.reads)) {
          assert.equal(ok, false, `${app} read with ${way}: ${result}`);
          assert.ok(!result.includes(marker), `${app} read app A's value with ${way}`);
        }
      }
      // The value is in app A's data (which shows the search finds it)…
      assert.notDeepEqual(await filesContaining(ctx.server.dataDir, marker), []);
      // …and nowhere else a sandbox could have kept it.
      const runtimeDir = join(procEnviron(await ctx.pidOf("store-a")).DENO_DIR, "..");
      for (const dir of [KERNEL_DENO_DIR, runtimeDir, home]) {
        assert.deepEqual(await filesContaining(dir, marker), [], `app A's value is in ${dir}`);
      }
    },
  },
];

runHostileSuite(
  "an app's only store is its own",
  CASES,
  { env: { HOME: home, DENO_DIR: KERNEL_DENO_DIR } },
  () => Deno.remove(home, { recursive: true }).catch(() => {}),
);
