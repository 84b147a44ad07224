/**
 * Cross-site request forgery: a change authenticated by the session cookie
 * must come from fazt's own origin (`Origin`, or `Sec-Fetch-Site:
 * same-origin`). Reads are safe; bearer-token API clients need neither.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";
const ORIGIN = "http://localhost";

interface Credentials {
  /** The session cookie's value. */
  session?: string;
  /** A bearer token. */
  token?: string;
}

/** Sends a request to the admin API on `localhost` (fazt's own origin here). */
async function send(
  t: TestKernel,
  method: string,
  path: string,
  credentials: Credentials,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Response> {
  const h = new Headers(headers);
  if (credentials.session) h.set("cookie", `fazt_session=${credentials.session}`);
  if (credentials.token) h.set("authorization", `Bearer ${credentials.token}`);
  if (body !== undefined) h.set("content-type", "application/json");
  return await t.kernel.handler(
    new Request(`${ORIGIN}/_fazt/api${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

/** Creates the owner and returns a session cookie value. */
async function ownerSession(t: TestKernel): Promise<string> {
  const token = await t.kernel.services.owners.issueSetupToken(60_000);
  const { session } = await t.kernel.services.owners.setup(token, EMAIL, PASSWORD);
  return session.id;
}

async function expectCsrfRefusal(res: Response, name: string): Promise<void> {
  const body = await res.json() as { error: { code: string; details: { reason?: string } } };
  assert.equal(res.status, 403, `${name}: ${JSON.stringify(body)}`);
  assert.equal(body.error.code, "forbidden", name);
  assert.equal(body.error.details.reason, "csrf", name);
}

const appNames = (t: TestKernel) => t.kernel.services.apps.list().map((a) => a.name);

Deno.test("CSRF: a cookie-authenticated change must prove it comes from fazt's own origin", async () => {
  await withKernel(async (t) => {
    const session = await ownerSession(t);
    const cases: { name: string; headers: Record<string, string>; allowed: boolean }[] = [
      { name: "a foreign Origin", headers: { origin: "http://evil.example" }, allowed: false },
      {
        name: "a sibling app's Origin (same site, other origin)",
        headers: { origin: "http://blog.localhost" },
        allowed: false,
      },
      { name: "another port", headers: { origin: "http://localhost:8080" }, allowed: false },
      { name: "neither Origin nor Sec-Fetch-Site", headers: {}, allowed: false },
      {
        name: "Origin: null (sandboxed or redirected)",
        headers: { origin: "null" },
        allowed: false,
      },
      {
        name: "Sec-Fetch-Site: cross-site",
        headers: { "sec-fetch-site": "cross-site" },
        allowed: false,
      },
      {
        name: "Sec-Fetch-Site: same-site (a sibling app)",
        headers: { "sec-fetch-site": "same-site" },
        allowed: false,
      },
      {
        name: "a foreign Origin claiming Sec-Fetch-Site: same-origin",
        headers: { origin: "http://evil.example", "sec-fetch-site": "same-origin" },
        allowed: false,
      },
      { name: "the request's own Origin", headers: { origin: ORIGIN }, allowed: true },
      {
        name: "Sec-Fetch-Site: same-origin",
        headers: { "sec-fetch-site": "same-origin" },
        allowed: true,
      },
    ];
    let n = 0;
    for (const c of cases) {
      const name = `app-${++n}`;
      const res = await send(t, "POST", "/apps", { session }, c.headers, { name });
      if (c.allowed) {
        assert.equal(res.status, 201, `${c.name}: ${await res.text()}`);
        assert.ok(appNames(t).includes(name), c.name);
      } else {
        await expectCsrfRefusal(res, c.name);
        assert.ok(!appNames(t).includes(name), `${c.name}: the app was created anyway`);
      }
    }
  });
});

Deno.test("CSRF: deletes, logouts and logins from a foreign origin are refused too", async () => {
  await withKernel(async (t) => {
    const session = await ownerSession(t);
    await t.kernel.services.apps.create("keep");
    const evil = { origin: "http://evil.example" };

    await expectCsrfRefusal(await send(t, "DELETE", "/apps/keep", { session }, evil), "delete");
    assert.deepEqual(appNames(t), ["keep"]);

    // Logging the owner out from another site would be a nuisance; it is refused.
    await expectCsrfRefusal(await send(t, "POST", "/auth/logout", { session }, evil), "logout");
    const still = await send(t, "GET", "/apps", { session });
    assert.equal(still.status, 200);
    await still.body?.cancel();

    // Login CSRF: another site may not log the browser into this server.
    const login = await send(t, "POST", "/auth/login", {}, evil, { email: EMAIL, password: "x" });
    assert.equal(login.headers.get("set-cookie"), null);
    await expectCsrfRefusal(login, "login");
  });
});

Deno.test("CSRF: reads with the cookie work from any origin", async () => {
  await withKernel(async (t) => {
    const session = await ownerSession(t);
    await t.kernel.services.apps.create("visible");
    const res = await send(t, "GET", "/apps", { session }, { origin: "http://evil.example" });
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json() as { name: string }[]).map((a) => a.name), ["visible"]);
  });
});

Deno.test("CSRF: bearer-token clients need no Origin, but a foreign Origin is still refused", async () => {
  await withKernel(async (t) => {
    const token = t.kernel.ownerToken;
    const plain = await send(t, "POST", "/apps", { token }, {}, { name: "from-ci" });
    assert.equal(plain.status, 201, await plain.text());
    const foreign = await send(t, "POST", "/apps", { token }, { origin: "http://evil.example" }, {
      name: "from-evil",
    });
    await expectCsrfRefusal(foreign, "bearer with a foreign Origin");
    assert.deepEqual(appNames(t), ["from-ci"]);
  });
});
