/**
 * A caller with no credentials and a caller whose token was refused get
 * different answers, over REST, the CLI and MCP: the first is told to send
 * a token, the second that its token is unknown, expired or revoked.
 */
import assert from "node:assert/strict";
import { cli, startServer } from "../_helpers/server.ts";

Deno.test("no token vs. a wrong or revoked token: REST, CLI and MCP say which", async () => {
  const server = await startServer();
  try {
    const created = await server.api("POST", "/tokens", { name: "gone", scopes: ["apps:read"] });
    assert.equal(created.status, 201, await created.clone().text());
    const { token, id } = await created.json() as { token: string; id: string };
    const works = await fetch(`${server.url}/_fazt/api/apps`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(works.status, 200);
    await works.body?.cancel();
    const revoked = await server.api("DELETE", `/tokens/${id}`);
    assert.equal(revoked.status, 200, await revoked.clone().text());
    await revoked.body?.cancel();

    const rest = async (authorization?: string) => {
      const res = await fetch(`${server.url}/_fazt/api/apps`, {
        headers: authorization ? { authorization } : {},
      });
      const body = await res.json() as {
        error: { code: string; message: string; details: { reason?: string } };
      };
      assert.equal(res.status, 401);
      assert.equal(body.error.code, "unauthorized");
      return body.error;
    };
    const none = await rest();
    assert.equal(none.details.reason, "no_credentials");
    assert.match(none.message, /This needs credentials/);
    for (const authorization of [`Bearer ${token}`, "Bearer fazt_not_a_token", "Basic eDp5"]) {
      const refused = await rest(authorization);
      assert.equal(refused.details.reason, "invalid_token", authorization);
      assert.match(refused.message, /This token is not valid: it is unknown, expired or revoked/);
      assert.doesNotMatch(refused.message, /needs credentials/);
    }

    const viaCli = await cli(["app", "list"], { FAZT_URL: server.url, FAZT_TOKEN: token });
    assert.equal(viaCli.code, 1);
    assert.match(
      viaCli.stderr,
      /^error: This token is not valid: it is unknown, expired or revoked/,
    );

    const mcp = await fetch(`${server.url}/_fazt/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(mcp.status, 401);
    assert.match(mcp.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
    assert.match((await mcp.json() as { error: { message: string } }).error.message, /revoked/);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
