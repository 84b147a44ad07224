/**
 * First-time setup: while no owner exists, the one-time token from the
 * setup link creates the owner account and logs in. The token works once,
 * expires, is replaced by a newer one, and never creates a second owner.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";

interface Whoami {
  kind: string;
  owner: { id: string; email: string } | null;
  setupNeeded: boolean;
}

async function setup(
  t: TestKernel,
  token: string,
  email = EMAIL,
  password = PASSWORD,
): Promise<Response> {
  return await t.api("POST", "/auth/setup", { token: null, body: { token, email, password } });
}

async function whoami(t: TestKernel, init: { token?: string | null; session?: string } = {}) {
  const res = await t.api("GET", "/auth/whoami", {
    token: init.token === undefined ? null : init.token,
    headers: init.session ? { cookie: `fazt_session=${init.session}` } : {},
  });
  assert.equal(res.status, 200);
  return await res.json() as Whoami;
}

async function expectRefused(res: Response, status: number, code: string): Promise<string> {
  const body = await res.json() as { error: { code: string; message: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  assert.equal(res.headers.get("set-cookie"), null);
  return body.error.message;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("setup: the one-time token creates the owner, logs in, and is then spent", async () => {
  await withKernel(async (t) => {
    const anonymous = await whoami(t);
    assert.equal(anonymous.kind, "anonymous");
    assert.equal(anonymous.owner, null);
    assert.equal(anonymous.setupNeeded, true);
    assert.equal((await whoami(t, { token: t.kernel.ownerToken })).setupNeeded, true);

    const token = await t.kernel.services.owners.issueSetupToken(60_000);

    await expectRefused(await setup(t, "not-the-token"), 403, "forbidden");
    // A rejected password does not spend the token.
    await expectRefused(await setup(t, token, EMAIL, "short"), 400, "invalid_input");
    assert.equal(t.kernel.services.owners.hasOwner(), false);

    const res = await setup(t, token);
    assert.equal(res.status, 201);
    const body = await res.json() as { owner: { id: string; email: string }; session?: unknown };
    assert.equal(body.owner.email, EMAIL);
    assert.equal(body.session, undefined, "the session ID travels only in the cookie");
    const cookie = res.headers.get("set-cookie") ?? "";
    const session = cookie.match(/^fazt_session=([^;]+);/)?.[1];
    assert.ok(session, cookie);
    assert.match(cookie, /; HttpOnly/);

    const me = await whoami(t, { session });
    assert.equal(me.kind, "session");
    assert.deepEqual(me.owner, body.owner);
    assert.equal(me.setupNeeded, false);
    assert.equal((await whoami(t)).setupNeeded, false);

    // Single use: the same token again is refused, and the owner is unchanged. A restart
    // prints no new link once the owner exists, so the message says how to log in or reset.
    const message = await expectRefused(
      await setup(t, token, "intruder@example.com"),
      409,
      "conflict",
    );
    assert.match(
      message,
      /owner account already exists.*\/_fazt\/login.*fazt owner reset-password --data DIR/,
    );
    assert.doesNotMatch(message, /Restart/);
    assert.deepEqual(t.kernel.services.owners.owner()?.email, EMAIL);
  });
});

Deno.test("setup: an expired token is refused", async () => {
  await withKernel(async (t) => {
    const token = await t.kernel.services.owners.issueSetupToken(100);
    await sleep(150);
    const message = await expectRefused(await setup(t, token), 403, "forbidden");
    assert.match(message, /invalid or expired\. Restart fazt to print a new one/);
    assert.equal(t.kernel.services.owners.hasOwner(), false);
  });
});

Deno.test("setup: a newer token replaces the older one", async () => {
  await withKernel(async (t) => {
    const older = await t.kernel.services.owners.issueSetupToken(60_000);
    const newer = await t.kernel.services.owners.issueSetupToken(60_000);
    await expectRefused(await setup(t, older), 403, "forbidden");
    const res = await setup(t, newer);
    assert.equal(res.status, 201);
    await res.body?.cancel();
  });
});

Deno.test("setup: once an owner exists, even a valid token cannot create another", async () => {
  await withKernel(async (t) => {
    const first = await setup(t, await t.kernel.services.owners.issueSetupToken(60_000));
    assert.equal(first.status, 201);
    await first.body?.cancel();
    const owner = t.kernel.services.owners.owner();

    const token = await t.kernel.services.owners.issueSetupToken(60_000);
    await expectRefused(await setup(t, token, "second@example.com"), 409, "conflict");
    assert.deepEqual(t.kernel.services.owners.owner(), owner);
  });
});
