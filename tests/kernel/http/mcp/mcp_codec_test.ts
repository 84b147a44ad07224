/**
 * The MCP codec in process (raw JSON-RPC through the kernel's HTTP
 * handler): the door (cookies are no credential, hosts, methods, body
 * limit) and resource edge cases. The full client experience is in
 * `tests/e2e/mcp_test.ts`.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";

interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { code: string } };
}

function post(
  t: TestKernel,
  body: unknown,
  headers: Record<string, string> = {},
  host = "127.0.0.1",
): Promise<Response> {
  return Promise.resolve(t.kernel.handler(
    new Request(`http://${host}/_fazt/mcp`, {
      method: "POST",
      headers: {
        host,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  ));
}

async function rpc(
  t: TestKernel,
  method: string,
  params?: unknown,
  token = t.kernel.ownerToken,
): Promise<RpcAnswer> {
  const res = await post(t, { jsonrpc: "2.0", id: 1, method, ...(params ? { params } : {}) }, {
    authorization: `Bearer ${token}`,
  });
  assert.equal(res.status, 200);
  return await res.json() as RpcAnswer;
}

Deno.test("MCP: the owner's session cookie is no credential (bearer tokens only)", async () => {
  await withKernel(async (t) => {
    const owners = t.kernel.services.owners;
    const { session } = await owners.setup(
      await owners.issueSetupToken(60_000),
      "owner@example.com",
      "correct horse battery",
    );
    const res = await post(t, { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
      cookie: `fazt_session=${session.id}`,
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate")!, /resource_metadata=/);
    await res.body?.cancel();
    const basic = await post(t, { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
      authorization: `Basic ${btoa("owner@example.com:correct horse battery")}`,
    });
    assert.equal(basic.status, 401);
    await basic.body?.cancel();
  });
});

Deno.test("MCP: only admin hosts; metadata uses the scheme and host asked for", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "x" });
    const onApp = await post(t, { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
      authorization: `Bearer ${t.kernel.ownerToken}`,
    }, "site.localhost");
    assert.equal(onApp.status, 404);
    await onApp.body?.cancel();
    const meta = await t.kernel.handler(
      new Request("http://localhost:4698/.well-known/oauth-protected-resource/_fazt/mcp", {
        headers: { host: "localhost:4698" },
      }),
    );
    assert.equal(
      (await meta.json() as { resource: string }).resource,
      "http://localhost:4698/_fazt/mcp",
    );
    const post405 = await t.kernel.handler(
      new Request("http://127.0.0.1/.well-known/oauth-protected-resource", { method: "POST" }),
    );
    assert.equal(post405.status, 405);
    await post405.body?.cancel();
    const other = await t.kernel.handler(
      new Request("http://127.0.0.1/.well-known/oauth-protected-resource/elsewhere"),
    );
    assert.equal(other.status, 404);
    await other.body?.cancel();
  });
});

Deno.test("MCP: a body over the limit is 413; malformed JSON is a JSON-RPC parse error", async () => {
  await withKernel(async (t) => {
    const auth = { authorization: `Bearer ${t.kernel.ownerToken}` };
    const big = await post(t, "x".repeat(17 * 1024 * 1024), auth);
    assert.equal(big.status, 413);
    await big.body?.cancel();
    const broken = await post(t, "{nope", auth);
    assert.equal(broken.status, 400);
    assert.equal((await broken.json() as RpcAnswer).error?.code, -32700);
  });
});

Deno.test("MCP resources: empty apps are skipped, paging, unknown URIs", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", {
      "index.html": "x",
      "a b/ü.txt": "y",
      "logo.png": new Uint8Array([0x89, 0x50, 0xff]),
    });
    await t.api("POST", "/apps", { body: { name: "empty" } });
    const list = await rpc(t, "resources/list");
    const uris = (list.result!.resources as { uri: string }[]).map((r) => r.uri);
    assert.deepEqual(uris.sort(), [
      "fazt://apps/empty/logs",
      "fazt://apps/site/files/a%20b/%C3%BC.txt",
      "fazt://apps/site/files/index.html",
      "fazt://apps/site/files/logo.png",
      "fazt://apps/site/logs",
    ]);
    const encoded = await rpc(t, "resources/read", {
      uri: "fazt://apps/site/files/a%20b/%C3%BC.txt",
    });
    assert.equal((encoded.result!.contents as { text: string }[])[0].text, "y");
    const binary = await rpc(t, "resources/read", { uri: "fazt://apps/site/files/logo.png" });
    const content = (binary.result!.contents as { blob: string; mimeType: string }[])[0];
    assert.deepEqual([content.blob, content.mimeType], ["iVD/", "image/png"]);

    const unknown = await rpc(t, "resources/read", { uri: "https://example.com/x" });
    assert.equal(unknown.error?.code, -32002);
    const noFiles = await rpc(t, "resources/read", { uri: "fazt://apps/empty/files/index.html" });
    assert.equal(noFiles.error?.data?.code, "not_found");
    const badCursor = await rpc(t, "resources/list", { cursor: "abc" });
    assert.equal(badCursor.error?.code, -32602);
    const past = await rpc(t, "resources/list", { cursor: "500" });
    assert.deepEqual(past.result!.resources, []);

    const { token } = await t.kernel.services.tokens.create({
      name: "logs only",
      scopes: ["logs:read"],
    });
    const none = await rpc(t, "resources/list", undefined, token);
    assert.deepEqual(none.result!.resources, [], "no apps:read: no app listing");
    const logs = await rpc(t, "resources/read", { uri: "fazt://apps/site/logs" }, token);
    assert.ok(logs.result, JSON.stringify(logs));
    const file = await rpc(
      t,
      "resources/read",
      { uri: "fazt://apps/site/files/index.html" },
      token,
    );
    assert.equal(file.error?.data?.code, "forbidden");
  });
});
