/**
 * The runtime host (kernel/capabilities/runtime_host.ts) with real sandbox
 * processes: the app's `fazt` is built from the registry's names and holds
 * exactly them; bytes cross the bridge both ways with no code of their own
 * (blobs, SQL, fetch bodies), while app data shaped like a tag comes back
 * unchanged; arguments the app leaves out are left out; and errors reach
 * the app with the kernel's code and message.
 */
import assert from "node:assert/strict";
import { CAPABILITY_GROUPS } from "../../../kernel/capabilities/registry.ts";
import { APP_A } from "../../_helpers/appdata.ts";
import { withCapabilityWorld, withSandbox } from "../../_helpers/capabilities.ts";

const ignore = Deno.build.os === "windows";

const MAIN = `
export default async (req, ctx) => {
  const path = new URL(req.url).pathname;
  switch (path) {
    case "/api/names": {
      const groups = {};
      for (const [name, group] of Object.entries(fazt)) {
        groups[name] = {
          keys: Object.keys(group),
          frozen: Object.isFrozen(group),
          functions: Object.values(group).every((f) => typeof f === "function"),
        };
      }
      return { groups, frozen: Object.isFrozen(fazt), same: ctx.fazt === fazt, app: fazt.app };
    }
    case "/api/bytes": {
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
      await fazt.blobs.put("b.bin", bytes, { type: "application/x-test" });
      const blob = await fazt.blobs.get("b.bin");
      await fazt.sql.exec("CREATE TABLE t (b BLOB)");
      await fazt.sql.exec("INSERT INTO t VALUES (?)", [bytes]);
      const [row] = await fazt.sql.query("SELECT b, typeof(b) AS kind FROM t WHERE b = ?", [bytes]);
      const tagLike = { $bytes: "AAEC", list: [{ $bytes: false, $object: 1 }], n: 1 };
      await fazt.kv.set("tag", tagLike);
      let refused = null;
      try {
        await fazt.kv.set("raw", bytes);
      } catch (e) {
        refused = { code: e.code, message: e.message };
      }
      return {
        blob: { bytes: blob.bytes instanceof Uint8Array && [...blob.bytes], type: blob.type, size: blob.size },
        sql: { bytes: row.b instanceof Uint8Array && [...row.b], kind: row.kind },
        tagLike: await fazt.kv.get("tag"),
        refused,
      };
    }
    case "/api/fetch": {
      const { url } = await req.json();
      const res = await fetch(url + "/echo", { method: "POST", body: new Uint8Array([0, 255, 1, 254]) });
      const echoed = new Uint8Array(await res.arrayBuffer());
      const moved = await fetch(url + "/moved");
      return {
        status: res.status,
        type: res.headers.get("content-type"),
        echoed: [...echoed],
        redirected: [res.redirected, moved.redirected],
        url: moved.url,
        text: await moved.text(),
      };
    }
    case "/api/args": {
      const n = await fazt.kv.increment("n", undefined);
      await fazt.docs.insert("c", [{ x: 1 }, { x: 2 }]);
      const found = await fazt.docs.find("c", undefined, { limit: 1 });
      let error = null;
      try {
        await fazt.kv.set(42, 1);
      } catch (e) {
        error = { name: e.name, code: e.code, message: e.message };
      }
      return { n, found: found.length, error };
    }
  }
  return new Response("no route", { status: 404 });
};
`;

const FILES = { "api/main.js": MAIN };

Deno.test({
  name: "the app's fazt holds exactly the registry's groups and functions, frozen, and fazt.app",
  ignore,
  async fn() {
    await withCapabilityWorld(async (world) => {
      await withSandbox(world, FILES, async ({ request }) => {
        const res = await request("/api/names");
        assert.equal(res.status, 200);
        const body = await res.json();
        const expected: Record<string, unknown> = {
          app: { keys: ["id", "name"], frozen: true, functions: false },
        };
        for (const group of CAPABILITY_GROUPS) {
          expected[group.name] = {
            keys: group.capabilities.map((c) => c.name.slice(group.name.length + 1)),
            frozen: true,
            functions: true,
          };
        }
        assert.deepEqual(body.groups, expected);
        assert.equal(body.frozen, true);
        assert.equal(body.same, true);
        assert.deepEqual(body.app, { id: APP_A, name: "alpha" });
      });
    });
  },
});

Deno.test({
  name:
    "bytes cross the bridge both ways (blobs, SQL parameters and rows); tag-like app data comes back unchanged",
  ignore,
  async fn() {
    await withCapabilityWorld(async (world) => {
      await withSandbox(world, FILES, async ({ request }) => {
        const res = await request("/api/bytes");
        assert.equal(res.status, 200);
        const body = await res.json();
        const bytes = [0, 1, 2, 253, 254, 255];
        assert.deepEqual(body.blob, { bytes, type: "application/x-test", size: 6 });
        assert.deepEqual(body.sql, { bytes, kind: "blob" });
        assert.deepEqual(body.tagLike, {
          $bytes: "AAEC",
          list: [{ $bytes: false, $object: 1 }],
          n: 1,
        });
        assert.equal(body.refused.code, "invalid_input");
        assert.match(body.refused.message, /Uint8Array, which is not JSON/);
        assert.deepEqual(await world.appData.forApp(APP_A).kv.get("tag"), body.tagLike);
      });
    });
  },
});

Deno.test({
  name:
    "fetch sends and receives bytes through the egress guard, follows redirects, and is metered",
  ignore,
  async fn() {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/echo") {
        return new Response(await req.arrayBuffer(), {
          headers: { "content-type": "application/x-echo" },
        });
      }
      if (path === "/moved") return Response.redirect(new URL("/there", req.url), 302);
      return new Response("arrived");
    });
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      await withCapabilityWorld(async (world) => {
        await withSandbox(world, FILES, async ({ request }) => {
          const res = await request("/api/fetch", {
            method: "POST",
            body: JSON.stringify({ url: base }),
          });
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), {
            status: 200,
            type: "application/x-echo",
            echoed: [0, 255, 1, 254],
            redirected: [false, true],
            url: `${base}/there`,
            text: "arrived",
          });
          assert.equal(world.meter.usage(APP_A).fetchedBytes, 4 + "arrived".length);
        });
      }, { egress: { allowLoopbackForTests: ["127.0.0.1"] } });
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "arguments the app leaves out are left out, and a refused call throws the kernel's code and message",
  ignore,
  async fn() {
    await withCapabilityWorld(async (world) => {
      await withSandbox(world, FILES, async ({ request }) => {
        const res = await request("/api/args");
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), {
          n: 1,
          found: 1,
          error: {
            name: "FaztError",
            code: "invalid_input",
            message:
              'Invalid input for fazt.kv.set: "key" Invalid input: expected string, received number.',
          },
        });
      });
    });
  },
});
