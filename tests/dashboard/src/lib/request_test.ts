/**
 * How the dashboard turns an operation and its input into an HTTP request
 * (dashboard/src/lib/request.ts, driven by the generated route table), and
 * that a real fazt server answers those requests as the operations say.
 */
import assert from "node:assert/strict";
import { strToU8, zipSync } from "fflate";
import { requestFor } from "../../../../dashboard/src/lib/request.ts";
import type { ApiRequest } from "../../../../dashboard/src/lib/request.ts";
import { startServer } from "../../../_helpers/server.ts";

Deno.test("path fields are URL-encoded into the path and leave the rest", () => {
  assert.deepEqual(requestFor("secrets.remove", { app: "my blog", name: "A/B" }), {
    method: "DELETE",
    url: "/_fazt/api/apps/my%20blog/secrets/A%2FB",
    body: undefined,
    contentType: undefined,
  });
  assert.throws(() => requestFor("apps.get", { app: "" }), /apps\.get needs app/);
});

Deno.test("GET fields go in the query string: empty ones left out, objects as JSON text", () => {
  assert.equal(
    requestFor("data.kv_list", { app: "a", prefix: "", cursor: undefined, limit: 100 }).url,
    "/_fazt/api/apps/a/data/kv?limit=100",
  );
  const find = requestFor("data.docs_find", {
    app: "a",
    collection: "posts",
    filter: { status: "open" },
    sort: { at: -1 },
  });
  const url = new URL(find.url, "http://x");
  assert.equal(url.pathname, "/_fazt/api/apps/a/data/docs/posts");
  assert.equal(url.searchParams.get("filter"), '{"status":"open"}');
  assert.equal(url.searchParams.get("sort"), '{"at":-1}');
  assert.equal(find.body, undefined);
});

Deno.test("other methods send a JSON body, and only when it has a field", () => {
  assert.deepEqual(requestFor("apps.set_egress_limit", { app: "a", limitMb: null }), {
    method: "PUT",
    url: "/_fazt/api/apps/a/egress-limit",
    body: '{"limitMb":null}',
    contentType: "application/json",
  });
  assert.deepEqual(requestFor("auth.logout", {}), {
    method: "POST",
    url: "/_fazt/api/auth/logout",
    body: undefined,
    contentType: undefined,
  });
});

Deno.test("an upload is the raw body, its other fields in the query string", () => {
  const archive = new Blob(["zip"]);
  const req = requestFor("apps.deploy", { archive, app: "blog" });
  assert.equal(req.url, "/_fazt/api/deploy?app=blog");
  assert.equal(req.body, archive);
  assert.equal(req.contentType, "application/zip");
});

Deno.test({
  name: "a real server answers the requests the route table builds",
  async fn() {
    const server = await startServer();
    const send = async (req: ApiRequest) => {
      const headers: Record<string, string> = { authorization: `Bearer ${server.token}` };
      if (req.contentType) headers["content-type"] = req.contentType;
      const res = await fetch(server.url + req.url, {
        method: req.method,
        headers,
        body: req.body,
      });
      const text = await res.text();
      assert.ok(res.ok, `${req.method} ${req.url}: ${res.status} ${text}`);
      return JSON.parse(text);
    };
    try {
      const archive = new Blob([zipSync({ "index.html": strToU8("<h1>hi</h1>") })]);
      const deployed = await send(requestFor("apps.deploy", { archive, app: "site" }));
      assert.equal(deployed.app.name, "site");
      await send(requestFor("data.kv_set", { app: "site", key: "a/b c", value: { n: 1 } }));
      const kv = await send(requestFor("data.kv_get", { app: "site", key: "a/b c" }));
      assert.deepEqual(kv, { key: "a/b c", value: { n: 1 } });
      const keys = await send(requestFor("data.kv_list", { app: "site", prefix: "a/" }));
      assert.deepEqual(keys.keys.map((k: { key: string }) => k.key), ["a/b c"]);
      const docs = await send(requestFor("data.docs_find", {
        app: "site",
        collection: "posts",
        filter: { status: "open" },
        sort: { at: -1 },
        limit: 5,
      }));
      assert.deepEqual(docs, []);
      const token = await send(requestFor("tokens.create", {
        name: "probe",
        scopes: ["apps:read", "logs:read"],
        apps: ["site"],
      }));
      assert.deepEqual(token.scopes, ["apps:read", "logs:read"]);
      await send(requestFor("tokens.revoke", { id: token.id }));
      const limited = await send(requestFor("apps.set_egress_limit", { app: "site", limitMb: 5 }));
      assert.equal(limited.limitBytes, 5 * 1024 * 1024);
      const logs = await send(requestFor("logs.query", { app: "site", level: "info", limit: 3 }));
      assert.ok(Array.isArray(logs));
    } finally {
      await server.stop();
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
