import assert from "node:assert/strict";
import { withKernel } from "../../../_helpers/kernel.ts";

async function errorOf(
  res: Response,
): Promise<{ code: string; message: string; details: unknown }> {
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "details", "message"]);
  return body.error;
}

Deno.test("REST: bad input gets one JSON error shape and a 4xx", async () => {
  await withKernel(async (t) => {
    const cases: { name: string; res: () => Promise<Response>; status: number; code: string }[] = [
      {
        name: "malformed JSON",
        res: () => t.api("POST", "/apps", { body: "{nope" }),
        status: 400,
        code: "invalid_json",
      },
      {
        name: "a body of only whitespace",
        res: () => t.api("POST", "/apps", { raw: { body: " \r\n\t ", type: "application/json" } }),
        status: 400,
        code: "invalid_json",
      },
      {
        name: "a body that is not UTF-8",
        res: () =>
          t.api("POST", "/apps", {
            raw: { body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), type: "application/json" },
          }),
        status: 400,
        code: "invalid_json",
      },
      {
        name: "an empty body where fields are required",
        res: () => t.api("POST", "/apps", { raw: { body: "", type: "application/json" } }),
        status: 400,
        code: "invalid_input",
      },
      {
        name: "JSON that is not an object",
        res: () => t.api("POST", "/apps", { body: "[1,2]" }),
        status: 400,
        code: "invalid_json",
      },
      {
        name: "an unknown input field",
        res: () => t.api("POST", "/apps", { body: { name: "ok", colour: "red" } }),
        status: 400,
        code: "invalid_input",
      },
      {
        name: "a missing field",
        res: () => t.api("POST", "/apps", { body: {} }),
        status: 400,
        code: "invalid_input",
      },
      {
        name: "a wrong content type",
        res: () => t.api("POST", "/apps", { raw: { body: "name=x", type: "text/plain" } }),
        status: 415,
        code: "unsupported_media_type",
      },
      {
        name: "a body over the JSON limit",
        res: () => t.api("POST", "/apps", { body: { name: "x".repeat(2 * 1024 * 1024) } }),
        status: 413,
        code: "payload_too_large",
      },
      {
        name: "a wrong token",
        res: () => t.api("GET", "/apps", { token: "fazt_wrong" }),
        status: 401,
        code: "unauthorized",
      },
      {
        name: "no token",
        res: () => t.api("GET", "/apps", { token: null }),
        status: 401,
        code: "unauthorized",
      },
      {
        name: "an unknown route",
        res: () => t.api("GET", "/nope"),
        status: 404,
        code: "not_found",
      },
      {
        name: "an unknown route without a token",
        res: () => t.api("GET", "/nope", { token: null }),
        status: 401,
        code: "unauthorized",
      },
      {
        name: "a wrong method",
        res: () => t.api("PUT", "/apps"),
        status: 405,
        code: "method_not_allowed",
      },
      {
        name: "a __proto__ query parameter",
        res: () => t.api("GET", "/apps?__proto__=x"),
        status: 400,
        code: "invalid_input",
      },
      {
        name: "an unknown app",
        res: () => t.api("GET", "/apps/ghost"),
        status: 404,
        code: "not_found",
      },
      {
        name: "a reserved name",
        res: () => t.api("POST", "/apps", { body: { name: "admin" } }),
        status: 400,
        code: "reserved_name",
      },
      {
        name: "an invalid name",
        res: () => t.api("POST", "/apps", { body: { name: "Not_OK" } }),
        status: 400,
        code: "invalid_name",
      },
    ];
    for (const c of cases) {
      const res = await c.res();
      assert.equal(res.status, c.status, `${c.name}: status`);
      const err = await errorOf(res);
      assert.equal(err.code, c.code, `${c.name}: code`);
      assert.ok(err.message.length > 10 && /[.!]$/.test(err.message), `${c.name}: ${err.message}`);
    }
    const list = await t.api("GET", "/apps");
    assert.deepEqual(await list.json(), [], "bad requests changed nothing");
  });
});

Deno.test("REST: 401 answers carry WWW-Authenticate and 405 answers carry Allow", async () => {
  await withKernel(async (t) => {
    const unauth = await t.api("GET", "/apps", { token: null });
    assert.match(unauth.headers.get("www-authenticate") ?? "", /^Bearer /);
    await unauth.body?.cancel();
    const wrong = await t.api("PATCH", "/apps");
    assert.match(wrong.headers.get("allow") ?? "", /GET/);
    assert.match(wrong.headers.get("allow") ?? "", /POST/);
    await wrong.body?.cancel();
  });
});

Deno.test("REST: the admin API answers only on the primary host, localhost and IP literals", async () => {
  await withKernel(async (t) => {
    await (await t.deploy("blog", { "index.html": "hi" })).body?.cancel();
    for (const host of ["localhost", "127.0.0.1:4698", "[::1]:4698", "localhost:9"]) {
      const res = await t.kernel.handler(
        new Request(`http://${host}/_fazt/api/apps`, {
          headers: { host, authorization: `Bearer ${t.kernel.ownerToken}` },
        }),
      );
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
    for (const host of ["blog.localhost", "evil.example"]) {
      const res = await t.kernel.handler(
        new Request(`http://${host}/_fazt/api/apps`, {
          headers: { host, authorization: `Bearer ${t.kernel.ownerToken}` },
        }),
      );
      assert.equal(res.status, 404, host);
      assert.equal((await errorOf(res)).code, "not_found");
    }
  });
});

Deno.test("REST: create, rename and delete keep one stable ID", async () => {
  await withKernel(async (t) => {
    const created = await (await t.api("POST", "/apps", { body: { name: "notes" } })).json();
    assert.match(created.id, /^app_[a-z2-7]{16}$/);
    const renamed = await (await t.api("POST", `/apps/${created.id}/rename`, {
      body: { name: "journal" },
    })).json();
    assert.equal(renamed.id, created.id);
    assert.equal(renamed.name, "journal");
    const clash = await t.api("POST", "/apps", { body: { name: "journal" } });
    assert.equal(clash.status, 409);
    await clash.body?.cancel();
    const del = await t.api("DELETE", "/apps/journal");
    assert.deepEqual(await del.json(), { id: created.id, name: "journal", deleted: true });
    const gone = await t.api("GET", `/apps/${created.id}`);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  });
});

Deno.test("REST: an empty path segment matches no route instead of shifting into another", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.api("POST", "/apps", { body: { name: "versions" } })).status, 201);
    assert.equal((await t.api("GET", "/apps/versions")).status, 200);
    const apps = await t.api("GET", "/apps");
    assert.equal(apps.status, 200);
    await apps.body?.cancel();
    for (const path of ["/apps//versions", "//apps/versions", "/apps/versions/", "/apps/"]) {
      const res = await t.api("GET", path);
      assert.equal(res.status, 404, path);
      assert.equal((await errorOf(res)).code, "not_found");
    }
  });
});
