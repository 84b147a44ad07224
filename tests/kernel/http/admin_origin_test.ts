/**
 * The admin origin never serves app content, and no origin that serves app
 * content accepts the owner's session: routing `@` moves the dashboard to
 * `admin.<domain>`, IP hosts stay admin hosts, the session cookie is a
 * `__Host-` cookie over HTTPS, a session request a browser marks as coming
 * from another host is refused, and nothing on the admin origin can become
 * a service worker. Driven through the kernel's real handler.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";

/** Creates the owner through the setup link on `host`; returns the session cookie's value. */
async function ownerSession(t: TestKernel, base = "http://localhost"): Promise<string> {
  const token = await t.kernel.services.owners.issueSetupToken(60_000);
  const res = await t.kernel.handler(
    new Request(`${base}/_fazt/api/auth/setup`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ token, email: EMAIL, password: PASSWORD }),
    }),
  );
  assert.equal(res.status, 201, await res.clone().text());
  await res.body?.cancel();
  const cookie = res.headers.getSetCookie()[0];
  return cookie.slice(cookie.indexOf("=") + 1, cookie.indexOf(";"));
}

/** Asks `url` who the caller is with `cookie`. */
async function whoami(
  t: TestKernel,
  url: string,
  cookie: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; kind?: string }> {
  const res = await t.kernel.handler(new Request(url, { headers: { cookie, ...headers } }));
  const body = await res.json() as { kind?: string };
  return { status: res.status, kind: body.kind };
}

Deno.test("routing @ hands the primary domain to the app and moves the admin to admin.<domain>", async () => {
  await withKernel(async (t) => {
    const session = await ownerSession(t);
    const cookie = `fazt_session=${session}`;
    assert.equal((await t.deploy("site", { "index.html": "<h1>site</h1>" })).status, 200);
    assert.deepEqual(await whoami(t, "http://localhost/_fazt/api/auth/whoami", cookie), {
      status: 200,
      kind: "session",
    });
    assert.equal(t.kernel.services.system.adminUrl(), "http://localhost:4698/");

    const routed = await t.api("POST", "/routes", { body: { host: "@", app: "site" } });
    assert.equal(routed.status, 201);
    await routed.body?.cancel();
    assert.equal(t.kernel.services.system.adminUrl(), "http://admin.localhost:4698/");

    // The primary domain is the app's now: its /_fazt answers nothing of the owner's.
    const page = await t.get("localhost", "/");
    assert.equal(await page.text(), "<h1>site</h1>");
    for (const path of ["/_fazt/api/auth/whoami", "/_fazt/api/tokens", "/_fazt/mcp"]) {
      const res = await t.kernel.handler(
        new Request(`http://localhost${path}`, { headers: { cookie } }),
      );
      assert.equal(res.status, 404, path);
      assert.match((await res.json()).error.message, /admin host \(admin\.localhost\)/);
    }
    const post = await t.kernel.handler(
      new Request("http://localhost/_fazt/api/tokens", {
        method: "POST",
        headers: { cookie, origin: "http://localhost", "content-type": "application/json" },
        body: JSON.stringify({ name: "stolen", scopes: ["admin"] }),
      }),
    );
    assert.equal(post.status, 404);
    await post.body?.cancel();
    assert.deepEqual(t.kernel.services.tokens.list().map((tk) => tk.name), ["owner (local CLI)"]);

    // An old bookmark of the dashboard goes to the admin host, same port and path.
    const moved = await t.get("localhost:4698", "/_fazt/apps?x=1");
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.get("location"), "http://admin.localhost:4698/_fazt/apps?x=1");

    // The dashboard, the session and the API live on admin.<domain> and on IP hosts.
    for (const host of ["admin.localhost", "127.0.0.1", "[::1]"]) {
      const dash = await t.get(host, "/_fazt/");
      assert.equal(dash.status, 200, host);
      await dash.body?.cancel();
    }
    const fresh = await ownerSessionLogin(t, "http://admin.localhost");
    assert.deepEqual(
      await whoami(t, "http://admin.localhost/_fazt/api/auth/whoami", `fazt_session=${fresh}`),
      { status: 200, kind: "session" },
    );

    // Removing the root route gives the primary domain back to the admin.
    const removed = await t.api("DELETE", "/routes/@");
    assert.equal(removed.status, 200);
    await removed.body?.cancel();
    assert.equal((await t.get("localhost", "/_fazt/")).status, 200);
  });
});

/** Logs the owner in on `base`; returns the new session's value. */
async function ownerSessionLogin(t: TestKernel, base: string): Promise<string> {
  const res = await t.kernel.handler(
    new Request(`${base}/_fazt/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
  const cookie = res.headers.getSetCookie()[0];
  return cookie.slice(cookie.indexOf("=") + 1, cookie.indexOf(";"));
}

Deno.test("IP hosts never serve the root app, and an IP domain cannot be routed at all", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("site", { "index.html": "<h1>site</h1>" })).status, 200);
    const routed = await t.api("POST", "/routes", { body: { host: "@", app: "site" } });
    assert.equal(routed.status, 201);
    await routed.body?.cancel();
    for (const host of ["127.0.0.1", "127.0.0.1:4698", "[::1]:4698", "10.0.0.5"]) {
      const res = await t.get(host, "/");
      assert.match(await res.text(), /fazt is running/, host);
    }
  });
  await withKernel(async (t) => {
    assert.equal((await t.deploy("site", { "index.html": "<h1>site</h1>" })).status, 200);
    const res = await t.api("POST", "/routes", { body: { host: "@", app: "site" } });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /needs a domain name/);
    assert.deepEqual(t.kernel.services.routes.list(), []);
  }, { domain: "203.0.113.5" });
});

Deno.test("over HTTPS only the __Host- session cookie counts; over HTTP only the plain one", async () => {
  await withKernel(async (t) => {
    const session = await ownerSession(t);
    const https = "https://localhost/_fazt/api/auth/whoami";
    const http = "http://localhost/_fazt/api/auth/whoami";
    assert.equal((await whoami(t, https, `__Host-fazt_session=${session}`)).kind, "session");
    assert.equal((await whoami(t, https, `fazt_session=${session}`)).kind, "anonymous");
    assert.equal((await whoami(t, http, `fazt_session=${session}`)).kind, "session");
    assert.equal((await whoami(t, http, `__Host-fazt_session=${session}`)).kind, "anonymous");
  });
});

Deno.test("a session cookie shadowed by a tossed one of the same name still works", async () => {
  await withKernel(async (t) => {
    const session = await ownerSession(t);
    const cookie = `fazt_session=tossed-by-an-app; fazt_session=${session}`;
    assert.equal(
      (await whoami(t, "http://localhost/_fazt/api/auth/whoami", cookie)).kind,
      "session",
    );
  });
});

Deno.test("a session request the browser marks as from another host is refused, reads included", async () => {
  await withKernel(async (t) => {
    const cookie = `fazt_session=${await ownerSession(t)}`;
    const url = "http://localhost/_fazt/api/tokens";
    for (const site of ["same-site", "cross-site"]) {
      const res = await t.kernel.handler(
        new Request(url, { headers: { cookie, "sec-fetch-site": site } }),
      );
      assert.equal(res.status, 403, site);
      assert.equal((await res.json()).error.code, "forbidden", site);
    }
    for (const site of ["same-origin", "none"]) {
      const res = await t.kernel.handler(
        new Request(url, { headers: { cookie, "sec-fetch-site": site } }),
      );
      assert.equal(res.status, 200, site);
      await res.body?.cancel();
    }
    // Bearer tokens are not ambient credentials: the header does not matter to them.
    const bearer = await t.api("GET", "/tokens", { headers: { "sec-fetch-site": "cross-site" } });
    assert.equal(bearer.status, 200);
    await bearer.body?.cancel();
  });
});

Deno.test("nothing on an admin host can be fetched as a service worker script", async () => {
  await withKernel(async (t) => {
    for (const path of ["/_fazt/", "/_fazt/api/openapi.json", "/", "/sw.js"]) {
      const res = await t.get("localhost", path, { "service-worker": "script" });
      assert.equal(res.status, 403, path);
      await res.body?.cancel();
    }
    const normal = await t.get("localhost", "/_fazt/");
    assert.equal(normal.status, 200);
    await normal.body?.cancel();
  });
});

Deno.test("the admin host's own pages answer GET and HEAD only", async () => {
  await withKernel(async (t) => {
    for (const host of ["localhost", "127.0.0.1", "nowhere.localhost"]) {
      for (const path of ["/", "/missing"]) {
        const res = await t.kernel.handler(
          new Request(`http://${host}${path}`, { method: "POST", headers: { host }, body: "x" }),
        );
        assert.equal(res.status, 405, `${host}${path}`);
        assert.equal(res.headers.get("allow"), "GET, HEAD");
        await res.body?.cancel();
      }
    }
  });
});
