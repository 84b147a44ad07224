/**
 * The custom domain operations over REST, through the kernel's real
 * handler: add, list and remove; the app is served at its custom domain
 * and the domain is never an admin host; a rename keeps it; tokens
 * limited to some apps see their own domains and add none. HTTPS is off in
 * these kernels (no TLS service), so every domain says so.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../_helpers/kernel.ts";

interface DomainView {
  domain: string;
  appId: string;
  app: string;
  url: string;
  createdAt: string;
  certificate: unknown;
  state: string;
  status: string;
}

async function json<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  return JSON.parse(body) as T;
}

async function addDomain(t: TestKernel, domain: string, app: string): Promise<Response> {
  return await t.api("POST", "/domains", { body: { domain, app } });
}

Deno.test("domains.add/list/remove over REST, with HTTPS off in every status", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("shop", { "index.html": "<h1>shop</h1>" })).status, 200);
    const shopId = t.kernel.services.apps.resolve("shop").id;
    const added = await json<DomainView>(await addDomain(t, "Shop.Example.ORG", "shop"), 201);
    assert.deepEqual({ ...added, createdAt: "" }, {
      domain: "shop.example.org",
      appId: shopId,
      app: "shop",
      url: "http://shop.example.org:4698/",
      createdAt: "",
      certificate: null,
      state: "off",
      status:
        "HTTPS is off (fazt serves plain HTTP; start it with --domain set to a public name, or --https on, to turn HTTPS on)",
    });
    assert.ok(!Number.isNaN(Date.parse(added.createdAt)));

    const listed = await json<DomainView[]>(await t.api("GET", "/domains"), 200);
    assert.deepEqual(listed, [added]);

    const taken = await json<{ error: { code: string; message: string } }>(
      await addDomain(t, "shop.example.org", "shop"),
      409,
    );
    assert.equal(taken.error.code, "conflict");

    const removed = await json<DomainView>(await t.api("DELETE", "/domains/shop.example.org"), 200);
    assert.equal(removed.domain, "shop.example.org");
    assert.deepEqual(await json(await t.api("GET", "/domains"), 200), []);
    const again = await t.api("DELETE", "/domains/shop.example.org");
    assert.equal(again.status, 404);
    await again.body?.cancel();
  });
});

Deno.test("domains.add refuses names that are not custom domains, with the reason", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("shop", { "index.html": "x" })).status, 200);
    const cases: [string, RegExp][] = [
      ["shop", /at least one dot/],
      ["bücher.example", /"xn--bcher-kva\.example"/],
      ["shop.localhost", /fazt route add shop <app>/],
      ["admin.localhost", /kept for fazt itself/],
      ["127.0.0.1", /IP address/],
      ["a..b", /empty label/],
      ["-a.example.org", /hyphen/],
      [`${"a".repeat(64)}.org`, /at most 63/],
      [`${"ab.".repeat(85)}org`, /Too big|at most/],
    ];
    for (const [domain, message] of cases) {
      const res = await addDomain(t, domain, "shop");
      const body = await json<{ error: { code: string; message: string } }>(res, 400);
      assert.equal(body.error.code, "invalid_input", domain);
      assert.match(body.error.message, message, domain);
    }
    assert.deepEqual(t.kernel.services.domains.list(), []);
  });
});

Deno.test("the app answers at its custom domain, which is never an admin host", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("shop", { "index.html": "<h1>shop</h1>" })).status, 200);
    await json(await addDomain(t, "shop.example.org", "shop"), 201);
    for (const host of ["shop.example.org", "SHOP.example.org:8080", "shop.example.org."]) {
      const page = await t.get(host, "/");
      assert.equal(await page.text(), "<h1>shop</h1>", host);
    }
    // The owner's API, MCP and dashboard do not answer there, even with the owner's token.
    for (const path of ["/_fazt/api/apps", "/_fazt/mcp", "/_fazt/", "/_fazt/login"]) {
      const res = await t.get("shop.example.org", path, {
        authorization: `Bearer ${t.kernel.ownerToken}`,
      });
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    // An unknown name is no app and no admin host either.
    const unknown = await t.get("other.example.org", "/");
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    // The admin host stays the admin host.
    const dash = await t.get("localhost", "/_fazt/");
    assert.equal(dash.status, 200);
    await dash.body?.cancel();
  });
});

Deno.test("a renamed app keeps its custom domain; a deleted one loses it", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("shop", { "index.html": "<h1>shop</h1>" })).status, 200);
    await json(await addDomain(t, "shop.example.org", "shop"), 201);
    await json(await t.api("POST", "/apps/shop/rename", { body: { name: "store" } }), 200);
    const [domain] = await json<DomainView[]>(await t.api("GET", "/domains"), 200);
    assert.equal(domain.app, "store");
    assert.equal(await (await t.get("shop.example.org", "/")).text(), "<h1>shop</h1>");
    await json(await t.api("DELETE", "/apps/store"), 200);
    assert.deepEqual(await json(await t.api("GET", "/domains"), 200), []);
    const gone = await t.get("shop.example.org", "/");
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  });
});

Deno.test("route add points full names at domain add; route list leaves domains out", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("shop", { "index.html": "x" })).status, 200);
    await json(await addDomain(t, "shop.example.org", "shop"), 201);
    const refused = await json<{ error: { code: string; message: string } }>(
      await t.api("POST", "/routes", { body: { host: "deals.example.org", app: "shop" } }),
      400,
    );
    assert.equal(refused.error.code, "invalid_input");
    assert.match(refused.error.message, /fazt domain add deals\.example\.org --app <app>/);
    assert.deepEqual(await json(await t.api("GET", "/routes"), 200), []);
  });
});

Deno.test("tokens limited to some apps list their own domains and add or remove none", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("shop", { "index.html": "x" })).status, 200);
    assert.equal((await t.deploy("blog", { "index.html": "x" })).status, 200);
    await json(await addDomain(t, "shop.example.org", "shop"), 201);
    await json(await addDomain(t, "blog.example.org", "blog"), 201);
    const shopId = t.kernel.services.apps.resolve("shop").id;
    const { token } = await t.kernel.services.tokens.create({
      name: "shop only",
      scopes: ["apps:read", "apps:write"],
      apps: [shopId],
    });
    const own = await json<DomainView[]>(await t.api("GET", "/domains", { token }), 200);
    assert.deepEqual(own.map((d) => d.domain), ["shop.example.org"]);
    const refusals: [string, string, unknown][] = [
      ["POST", "/domains", { domain: "new.example.org", app: "shop" }],
      ["POST", "/domains", { domain: "new.example.org", app: "blog" }],
      ["DELETE", "/domains/shop.example.org", undefined],
      ["DELETE", "/domains/blog.example.org", undefined],
    ];
    for (const [method, path, body] of refusals) {
      const res = await t.api(method, path, { token, body });
      const error = await json<{ error: { code: string } }>(res, 403);
      assert.equal(error.error.code, "forbidden", `${method} ${path}`);
    }
    assert.deepEqual(t.kernel.services.domains.list().map((d) => d.domain), [
      "blog.example.org",
      "shop.example.org",
    ]);
  });
});
