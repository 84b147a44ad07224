/**
 * End-to-end specification of the MCP server at `/_fazt/mcp`: a real SDK
 * client over real HTTP against a real `fazt serve`. Covers the tools
 * generated from the registry, a headless deploy by an agent and its
 * logs and data, scopes, auth (401 + RFC 9728 metadata), resources,
 * the transport rules (405, Origin) and both protocol versions that use
 * the initialize handshake.
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { startServer, type TestServer } from "../_helpers/server.ts";

const HEADLESS_MAIN =
  'module.exports = async () => { await fazt.kv.set("greeting","hi"); console.log("called"); return { ok: true }; };';

/** A client transport that asks for one protocol version in `initialize`. */
class PinnedTransport extends StreamableHTTPClientTransport {
  constructor(url: URL, token: string, private readonly version: string, seen: Headers[]) {
    super(url, {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: (input, init) => {
        seen.push(new Headers(init?.headers));
        return fetch(input, init);
      },
    });
  }

  override send(
    message: JSONRPCMessage,
    options?: Parameters<StreamableHTTPClientTransport["send"]>[1],
  ) {
    if ("method" in message && message.method === "initialize" && "id" in message) {
      const params = { ...message.params, protocolVersion: this.version };
      return super.send({ ...message, params } as JSONRPCMessage, options);
    }
    return super.send(message, options);
  }
}

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

async function connect(server: TestServer, token: string, version?: string): Promise<Connected> {
  const url = new URL(`${server.url}/_fazt/mcp`);
  const transport = version
    ? new PinnedTransport(url, token, version, [])
    : new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
  const client = new Client({ name: "fazt-e2e", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  return await client.callTool({ name, arguments: args }) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => c.type === "text" ? c.text : "").join("\n");
}

function structured<T>(result: CallToolResult): T {
  assert.ok(!result.isError, `the call failed: ${text(result)}`);
  return result.structuredContent as T;
}

/** A raw JSON-RPC POST, as a client would send it. */
function rpc(
  server: TestServer,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}/_fazt/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

function initialize(version: string) {
  return {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: version,
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    },
  };
}

async function createToken(
  server: TestServer,
  name: string,
  scopes: string[],
  apps?: string[],
): Promise<string> {
  const res = await server.api("POST", "/tokens", { name, scopes, ...(apps ? { apps } : {}) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json() as { token: string }).token;
}

Deno.test("MCP server at /_fazt/mcp", async (t) => {
  const server = await startServer();
  const owner = await connect(server, server.token);
  try {
    await t.step("lists a tool for every operation, with schemas and annotations", async () => {
      const { tools } = await owner.client.listTools();
      const names = tools.map((x) => x.name);
      for (
        const name of [
          "apps_list",
          "apps_deploy_files",
          "apps_deploy",
          "logs_query",
          "data_kv_get",
          "data_sql_query",
          "tokens_create",
          "domains_list",
          "domains_add",
          "domains_remove",
          "certs_list",
          "certs_add",
          "certs_remove",
        ]
      ) assert.ok(names.includes(name), `${name} missing from ${names}`);
      for (const name of ["auth_login", "auth_setup", "auth_logout", "logs_tail"]) {
        assert.ok(!names.includes(name), `${name} should not be a tool`);
      }
      const byName = new Map(tools.map((x) => [x.name, x]));
      const list = byName.get("apps_list")!;
      assert.equal(list.annotations?.readOnlyHint, true);
      assert.equal(list.annotations?.destructiveHint, false);
      assert.equal(list.outputSchema?.type, "object");
      assert.deepEqual(list.outputSchema?.required, ["items"]);
      const del = byName.get("apps_delete")!;
      assert.equal(del.annotations?.readOnlyHint, false);
      assert.equal(del.annotations?.destructiveHint, true);
      const deploy = byName.get("apps_deploy")!;
      assert.ok("archive_base64" in (deploy.inputSchema.properties ?? {}));
      assert.ok(!("archive" in (deploy.inputSchema.properties ?? {})));
      for (const tool of tools) {
        assert.equal(tool.inputSchema.type, "object", tool.name);
        assert.ok(tool.description && tool.description.length > 20, tool.name);
        assert.ok(tool.annotations, `${tool.name} has no annotations`);
      }
    });

    await t.step("an agent deploys a headless app, calls it, reads its logs and data", async () => {
      const deployed = structured<{ app: { name: string }; version: { number: number } }>(
        await call(owner.client, "apps_deploy_files", {
          app: "agent-api",
          files: { "api/main.js": { text: HEADLESS_MAIN } },
        }),
      );
      assert.equal(deployed.app.name, "agent-api");
      assert.equal(deployed.version.number, 1);

      const res = await server.fetch("agent-api.localhost", "/api");
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });

      let messages: string[] = [];
      for (let i = 0; i < 50 && !messages.includes("called"); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        const logs = structured<{ items: { message: string; source: string }[] }>(
          await call(owner.client, "logs_query", { app: "agent-api" }),
        );
        messages = logs.items.map((e) => e.message);
      }
      assert.ok(messages.includes("called"), `no "called" in ${JSON.stringify(messages)}`);

      const kv = structured<{ key: string; value: unknown }>(
        await call(owner.client, "data_kv_get", { app: "agent-api", key: "greeting" }),
      );
      assert.deepEqual(kv, { key: "greeting", value: "hi" });
      const keys = structured<{ keys: { key: string }[]; cursor: string | null }>(
        await call(owner.client, "data_kv_list", { app: "agent-api" }),
      );
      assert.deepEqual(keys.keys.map((k) => k.key), ["greeting"]);

      const rows = structured<{ items: Record<string, unknown>[] }>(
        await call(owner.client, "data_sql_query", {
          app: "agent-api",
          sql: "SELECT ? + 1 AS answer",
          params: [41],
        }),
      );
      assert.deepEqual(rows.items, [{ answer: 42 }]);
      const write = await call(owner.client, "data_sql_query", {
        app: "agent-api",
        sql: "CREATE TABLE stolen (x)",
      });
      assert.equal(write.isError, true);
      assert.match(text(write), /forbidden/);
      assert.match(text(write), /only reads/);
      const sneaky = await call(owner.client, "data_sql_query", {
        app: "agent-api",
        sql: "WITH x AS (SELECT 1) DELETE FROM sqlite_master",
      });
      assert.equal(sneaky.isError, true, text(sneaky));
    });

    await t.step("apps_deploy takes the zip as archive_base64", async () => {
      const zip = zipSync({ "index.html": new TextEncoder().encode("<h1>zipped</h1>") });
      const out = structured<{ app: { name: string }; created: boolean }>(
        await call(owner.client, "apps_deploy", {
          app: "zipped",
          archive_base64: zip.toBase64(),
        }),
      );
      assert.deepEqual([out.app.name, out.created], ["zipped", true]);
      const page = await server.fetch("zipped.localhost", "/");
      assert.equal(await page.text(), "<h1>zipped</h1>");
      const bad = await call(owner.client, "apps_deploy", { app: "zipped", archive_base64: "%%" });
      assert.equal(bad.isError, true);
      assert.match(text(bad), /archive_base64.*not valid base64/);
    });

    await t.step("an agent serves an app on a custom domain; certificates need HTTPS", async () => {
      const added = structured<{ domain: string; app: string; state: string }>(
        await call(owner.client, "domains_add", { domain: "zipped.example.org", app: "zipped" }),
      );
      assert.deepEqual(added, {
        ...added,
        domain: "zipped.example.org",
        app: "zipped",
        state: "off",
      });
      const page = await server.fetch("zipped.example.org", "/");
      assert.equal(await page.text(), "<h1>zipped</h1>");
      const listed = structured<{ items: { domain: string }[] }>(
        await call(owner.client, "domains_list", {}),
      );
      assert.deepEqual(listed.items.map((d) => d.domain), ["zipped.example.org"]);
      const certs = await call(owner.client, "certs_list", {});
      assert.equal(certs.isError, true);
      assert.match(text(certs), /conflict.*HTTPS is off/);
      structured(await call(owner.client, "domains_remove", { domain: "zipped.example.org" }));
    });

    await t.step("invalid arguments are tool errors with a useful message", async () => {
      const wrongType = await call(owner.client, "apps_get", { app: 5 });
      assert.equal(wrongType.isError, true);
      assert.match(text(wrongType), /invalid_input/);
      assert.match(text(wrongType), /"app".*expected string/);
      const unknownField = await call(owner.client, "apps_list", { colour: "red" });
      assert.equal(unknownField.isError, true);
      assert.match(text(unknownField), /colour/);
      const badPath = await call(owner.client, "apps_deploy_files", {
        app: "agent-api",
        files: { "../escape.txt": { text: "x" } },
      });
      assert.equal(badPath.isError, true);
      assert.match(text(badPath), /Invalid file path.*"\.\."/);
      const missing = await call(owner.client, "apps_get", { app: "no-such-app" });
      assert.equal(missing.isError, true);
      assert.match(text(missing), /not_found/);
      const noTool = await call(owner.client, "no_such_tool", {});
      assert.equal(noTool.isError, true);
    });

    await t.step("resources: list, templates and read (files and logs)", async () => {
      const { resourceTemplates } = await owner.client.listResourceTemplates();
      assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate), [
        "fazt://apps/{app}/files/{+path}",
        "fazt://apps/{app}/logs",
      ]);
      const { resources } = await owner.client.listResources();
      const uris = resources.map((r) => r.uri);
      assert.ok(uris.includes("fazt://apps/agent-api/files/api/main.js"), String(uris));
      assert.ok(uris.includes("fazt://apps/agent-api/logs"), String(uris));
      const file = await owner.client.readResource({
        uri: "fazt://apps/agent-api/files/api/main.js",
      });
      assert.equal((file.contents[0] as { text: string }).text, HEADLESS_MAIN);
      const logs = await owner.client.readResource({ uri: "fazt://apps/agent-api/logs" });
      const entries = JSON.parse((logs.contents[0] as { text: string }).text) as {
        message: string;
      }[];
      assert.ok(entries.some((e) => e.message === "called"));
      await assert.rejects(
        owner.client.readResource({ uri: "fazt://apps/agent-api/files/nope.txt" }),
        /-32002/,
      );
    });

    await t.step("a token sees and calls only the tools its scopes allow", async () => {
      const reader = await connect(server, await createToken(server, "reader", ["apps:read"]));
      try {
        const { tools } = await reader.client.listTools();
        const names = tools.map((x) => x.name);
        assert.ok(names.includes("apps_list"));
        for (const tool of tools) {
          assert.equal(tool.annotations?.readOnlyHint, true, `${tool.name} is not read-only`);
        }
        for (const name of ["apps_delete", "apps_deploy_files", "data_kv_get", "tokens_create"]) {
          assert.ok(!names.includes(name), `${name} listed for an apps:read token`);
        }
        const del = await call(reader.client, "apps_delete", { app: "zipped" });
        assert.equal(del.isError, true);
        assert.match(text(del), /forbidden.*apps:delete/);
        const apps = structured<{ items: { name: string }[] }>(
          await call(reader.client, "apps_list", {}),
        );
        assert.ok(apps.items.some((a) => a.name === "zipped"), "the app was deleted");
        // Resources follow the same scopes: files yes, logs no.
        const { resources } = await reader.client.listResources();
        assert.ok(resources.some((r) => r.uri.endsWith("/files/api/main.js")));
        assert.ok(!resources.some((r) => r.uri.endsWith("/logs")));
        await assert.rejects(
          reader.client.readResource({ uri: "fazt://apps/agent-api/logs" }),
          /logs:read/,
        );
      } finally {
        await reader.close();
      }

      const appsRes = await server.api("GET", "/apps/agent-api");
      const appId = (await appsRes.json() as { id: string }).id;
      const limited = await connect(
        server,
        await createToken(server, "limited", ["apps:read", "system:read"], [appId]),
      );
      try {
        const names = (await limited.client.listTools()).tools.map((x) => x.name);
        assert.ok(names.includes("apps_get") && names.includes("apps_list"));
        assert.ok(!names.includes("system_info"), "system_info is not about one app");
        const other = await call(limited.client, "apps_get", { app: "zipped" });
        assert.equal(other.isError, true);
        assert.match(text(other), /forbidden/);
        const own = structured<{ items: { name: string }[] }>(
          await call(limited.client, "apps_list", {}),
        );
        assert.deepEqual(own.items.map((a) => a.name), ["agent-api"]);
      } finally {
        await limited.close();
      }
    });

    await t.step("without a valid token: 401 pointing at the resource metadata", async () => {
      const anonymous = await rpc(server, initialize("2025-11-25"));
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
      assert.equal(
        anonymous.headers.get("www-authenticate"),
        `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource"`,
      );
      const wrong = await rpc(server, initialize("2025-11-25"), {
        authorization: "Bearer fazt_not_a_real_token",
      });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
      assert.match(wrong.headers.get("www-authenticate")!, /^Bearer error="invalid_token", /);

      const expected = {
        resource: `${server.url}/_fazt/mcp`,
        bearer_methods_supported: ["header"],
        scopes_supported: [
          "apps:read",
          "apps:write",
          "apps:delete",
          "data:read",
          "data:write",
          "secrets:write",
          "logs:read",
          "system:read",
          "admin",
        ],
        resource_name: "fazt",
      };
      for (const path of ["", "/_fazt/mcp"]) {
        const res = await fetch(`${server.url}/.well-known/oauth-protected-resource${path}`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type")!, /^application\/json/);
        assert.deepEqual(await res.json(), expected);
      }
      const onApp = await server.fetch(
        "agent-api.localhost",
        "/.well-known/oauth-protected-resource",
      );
      assert.equal(onApp.status, 404, "app hosts do not serve the metadata");
      const mcpOnApp = await server.fetch("agent-api.localhost", "/_fazt/mcp", {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}` },
      });
      assert.equal(mcpOnApp.status, 404, "app hosts do not serve MCP");
    });

    await t.step("GET and DELETE are 405; a foreign Origin is 403", async () => {
      for (const method of ["GET", "DELETE"]) {
        const res = await fetch(`${server.url}/_fazt/mcp`, {
          method,
          headers: { authorization: `Bearer ${server.token}`, accept: "text/event-stream" },
        });
        assert.equal(res.status, 405, method);
        assert.equal(res.headers.get("allow"), "POST");
        await res.body?.cancel();
      }
      const auth = { authorization: `Bearer ${server.token}` };
      const evil = await rpc(server, initialize("2025-11-25"), {
        ...auth,
        origin: "http://evil.example",
      });
      assert.equal(evil.status, 403);
      await evil.body?.cancel();
      const opaque = await rpc(server, initialize("2025-11-25"), { ...auth, origin: "null" });
      assert.equal(opaque.status, 403);
      await opaque.body?.cancel();
      const same = await rpc(server, initialize("2025-11-25"), { ...auth, origin: server.url });
      assert.equal(same.status, 200);
      await same.body?.cancel();
    });

    await t.step("protocol versions 2025-06-18 and 2025-11-25 (initialize handshake)", async () => {
      for (const version of ["2025-06-18", "2025-11-25"]) {
        const seen: Headers[] = [];
        const url = new URL(`${server.url}/_fazt/mcp`);
        const transport = new PinnedTransport(url, server.token, version, seen);
        const client = new Client({ name: `pinned-${version}`, version: "1.0.0" });
        await client.connect(transport);
        try {
          assert.equal(transport.protocolVersion, version);
          const apps = structured<{ items: unknown[] }>(await call(client, "apps_list", {}));
          assert.ok(apps.items.length >= 2);
          assert.equal(seen.at(-1)?.get("mcp-protocol-version"), version);
        } finally {
          await client.close();
        }

        const raw = await rpc(server, initialize(version), {
          authorization: `Bearer ${server.token}`,
        });
        assert.equal(raw.status, 200);
        assert.match(raw.headers.get("content-type")!, /^application\/json/);
        assert.equal(raw.headers.get("mcp-session-id"), null, "stateless: no session");
        const answer = await raw.json() as {
          result: { protocolVersion: string; serverInfo: { name: string } };
        };
        assert.equal(answer.result.protocolVersion, version);
        assert.equal(answer.result.serverInfo.name, "fazt");
      }
      // A version the SDK does not know (the handshake-free 2026-07-28 draft) is
      // answered with the newest supported one, as the handshake prescribes.
      const future = await rpc(server, initialize("2026-07-28"), {
        authorization: `Bearer ${server.token}`,
      });
      const answer = await future.json() as { result: { protocolVersion: string } };
      assert.equal(answer.result.protocolVersion, "2025-11-25");
      // Stateless servers answer without a prior initialize...
      const auth = { authorization: `Bearer ${server.token}` };
      const direct = await rpc(server, { jsonrpc: "2.0", id: 2, method: "tools/list" }, auth);
      assert.equal(direct.status, 200);
      await direct.body?.cancel();
      // ...but SDK 1.32 refuses the 2026-07-28 version header (tripwire: revisit on upgrade).
      const headerOnly = await rpc(server, { jsonrpc: "2.0", id: 3, method: "tools/list" }, {
        ...auth,
        "mcp-protocol-version": "2026-07-28",
      });
      assert.equal(headerOnly.status, 400);
      await headerOnly.body?.cancel();
    });
  } finally {
    await owner.close();
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
