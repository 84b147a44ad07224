/**
 * An API token's life: created (its secret shown once, stored only as a
 * hash), used (last use recorded in batches), revoked or expired (refused
 * from the very next request).
 */
import assert from "node:assert/strict";
import { hashToken } from "../../../../kernel/services/auth/token_service.ts";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";

interface TokenView {
  id: string;
  name: string;
  scopes: string[];
  apps: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

async function listTokens(t: TestKernel): Promise<{ text: string; tokens: TokenView[] }> {
  const res = await t.api("GET", "/tokens");
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, tokens: JSON.parse(text) as TokenView[] };
}

/** The status of `GET /apps` with `token`. */
async function statusWith(t: TestKernel, token: string): Promise<number> {
  const res = await t.api("GET", "/apps", { token });
  await res.body?.cancel();
  return res.status;
}

function storedLastUse(t: TestKernel, id: string): number | null {
  const row = t.kernel.db.read.prepare("SELECT last_used_at FROM api_tokens WHERE id = ?").get(
    id,
  ) as { last_used_at: number | null };
  return row.last_used_at;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("tokens: the secret is shown once, at creation, and never listed (nor its hash)", async () => {
  await withKernel(async (t) => {
    const res = await t.api("POST", "/tokens", {
      body: { name: "ci", scopes: ["apps:read", "apps:write"], expiresInDays: 30 },
    });
    assert.equal(res.status, 201);
    const created = await res.json() as TokenView & { token: string };
    assert.match(created.token, /^fazt_[A-Za-z0-9_-]{43}$/);
    assert.match(created.id, /^tok_[0-9a-f]{16}$/);
    assert.deepEqual(created.scopes, ["apps:read", "apps:write"]);
    const expires = Date.parse(created.expiresAt!) - Date.parse(created.createdAt);
    assert.ok(Math.abs(expires - 30 * 86_400_000) < 1000, `expires after ${expires} ms`);

    const { text, tokens } = await listTokens(t);
    const listed = tokens.find((x) => x.id === created.id);
    const { token: _secret, ...withoutSecret } = created;
    assert.deepEqual(listed, withoutSecret);
    assert.ok(!text.includes(created.token), "tokens.list shows the secret");
    assert.ok(!text.includes(hashToken(created.token)), "tokens.list shows the secret's hash");

    // Stored only as its hash.
    const row = t.kernel.db.read.prepare("SELECT * FROM api_tokens WHERE id = ?").get(created.id);
    assert.ok(!JSON.stringify(row).includes(created.token));
    assert.equal((row as { hash: string }).hash, hashToken(created.token));

    assert.equal(await statusWith(t, created.token), 200);
  });
});

Deno.test("tokens: expiry is given in whole days", async () => {
  await withKernel(async (t) => {
    for (const expiresInDays of [0, 0.5, -1, 3651]) {
      const res = await t.api("POST", "/tokens", {
        body: { name: "x", scopes: ["apps:read"], expiresInDays },
      });
      assert.equal(res.status, 400, `expiresInDays ${expiresInDays}`);
      await res.body?.cancel();
    }
  });
});

Deno.test("tokens: the last use is recorded after use, and stored at the next flush", async () => {
  await withKernel(async (t) => {
    const { record, token } = await t.kernel.services.tokens.create({
      name: "reader",
      scopes: ["apps:read"],
    });
    const listed = async () =>
      (await listTokens(t)).tokens.find((x) => x.id === record.id)!.lastUsedAt;
    assert.equal(await listed(), null);

    const before = Date.now();
    assert.equal(await statusWith(t, token), 200);
    const after = Date.now();
    const shown = Date.parse((await listed())!);
    assert.ok(shown >= before && shown <= after, "tokens.list shows the buffered last use");
    assert.equal(storedLastUse(t, record.id), null, "not written on the request path");

    await t.kernel.flush();
    assert.equal(storedLastUse(t, record.id), shown);
    assert.equal(Date.parse((await listed())!), shown);
  });
});

Deno.test("tokens: a revoked token is refused from the very next request", async () => {
  await withKernel(async (t) => {
    const { record, token } = await t.kernel.services.tokens.create({
      name: "leaked",
      scopes: ["admin"],
    });
    assert.equal(await statusWith(t, token), 200);

    const res = await t.api("DELETE", `/tokens/${record.id}`);
    assert.equal(res.status, 200);
    assert.equal((await res.json() as TokenView).id, record.id);

    assert.equal(await statusWith(t, token), 401);
    assert.ok(!(await listTokens(t)).tokens.some((x) => x.id === record.id));
    const again = await t.api("DELETE", `/tokens/${record.id}`);
    assert.equal(again.status, 404);
    await again.body?.cancel();

    // A revoked admin token cannot revoke its way back either.
    const self = await t.api("GET", "/tokens", { token });
    assert.equal(self.status, 401);
    await self.body?.cancel();
  });
});

Deno.test("tokens: an expired token is refused", async () => {
  await withKernel(async (t) => {
    const { token } = await t.kernel.services.tokens.create({
      name: "short-lived",
      scopes: ["apps:read"],
      expiresAt: Date.now() + 200,
    });
    assert.equal(await statusWith(t, token), 200);
    await sleep(250);
    assert.equal(await statusWith(t, token), 401);
  });
});
