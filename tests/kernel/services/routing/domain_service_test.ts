import assert from "node:assert/strict";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { withKernel } from "../../../_helpers/kernel.ts";

function code(c: string, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof FaztError, String(err));
    assert.equal(err.code, c, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

Deno.test("domains: add, list and remove; stored canonically and pointing at the app's ID", async () => {
  await withKernel(async (t) => {
    const { domains, apps } = t.kernel.services;
    const shop = await apps.create("shop");
    const added = await domains.add("Shop.Example.ORG.", "shop");
    assert.equal(added.domain, "shop.example.org");
    assert.equal(added.appId, shop.id);
    assert.equal(added.appName, "shop");
    await domains.add("www.shop.example.org", shop.id);
    assert.deepEqual(domains.list().map((d) => d.domain), [
      "shop.example.org",
      "www.shop.example.org",
    ]);
    const removed = await domains.remove("SHOP.example.org.");
    assert.equal(removed.domain, "shop.example.org");
    assert.deepEqual(domains.list().map((d) => d.domain), ["www.shop.example.org"]);
    assert.equal(apps.resolve("shop").id, shop.id, "the app stays");
  }, { domain: "example.com" });
});

Deno.test("domains: a taken domain, an unknown app and an unknown domain are clear errors", async () => {
  await withKernel(async (t) => {
    const { domains, apps } = t.kernel.services;
    await apps.create("shop");
    await apps.create("blog");
    await domains.add("shop.example.org", "shop");
    await assert.rejects(
      domains.add("shop.example.org", "blog"),
      code("conflict", /already points at the app "shop".*fazt domain rm shop\.example\.org/),
    );
    await assert.rejects(domains.add("x.example.org", "nope"), code("not_found", /"nope"/));
    await assert.rejects(
      domains.add("blog.example.com", "blog"),
      code("invalid_input", /fazt route add blog <app>/),
    );
    await assert.rejects(domains.remove("other.example.org"), code("not_found", /domain list/));
    await assert.rejects(domains.remove("blog"), code("not_found", /fazt route rm/));
    assert.deepEqual(domains.list().map((d) => [d.domain, d.appName]), [
      ["shop.example.org", "shop"],
    ]);
  }, { domain: "example.com" });
});

Deno.test("domains and routes: one way in for each kind of name", async () => {
  await withKernel(async (t) => {
    const { domains, routes, apps } = t.kernel.services;
    await apps.create("shop");
    await routes.add("store", "shop");
    await domains.add("shop.example.org", "shop");
    // Routes are aliases and @ only; domains are full names only.
    assert.deepEqual(routes.list().map((r) => r.host), ["store"]);
    assert.deepEqual(domains.list().map((d) => d.domain), ["shop.example.org"]);
    await assert.rejects(
      routes.add("shop.example.net", "shop"),
      code("invalid_input", /full domain name.*fazt domain add shop\.example\.net --app <app>/),
    );
    await assert.rejects(
      routes.add("deals.example.com", "shop"),
      code("invalid_input", /"deals" rather than "deals\.example\.com"/),
    );
    await assert.rejects(
      routes.remove("shop.example.org"),
      code("invalid_input", /fazt domain rm shop\.example\.org/),
    );
    assert.deepEqual(domains.list().map((d) => d.domain), ["shop.example.org"]);
    // A custom domain's first label does not take an app name.
    await apps.create("example");
    assert.deepEqual(apps.list().map((a) => a.name), ["example", "shop"]);
  }, { domain: "example.com" });
});

Deno.test("domains follow the app's ID: a rename keeps them, deleting the app removes them", async () => {
  await withKernel(async (t) => {
    const { domains, apps } = t.kernel.services;
    const shop = await apps.create("shop");
    await apps.create("blog");
    await domains.add("shop.example.org", "shop");
    await domains.add("blog.example.org", "blog");
    await apps.rename("shop", "store");
    assert.deepEqual(domains.list().map((d) => [d.domain, d.appId, d.appName]), [
      ["blog.example.org", apps.resolve("blog").id, "blog"],
      ["shop.example.org", shop.id, "store"],
    ]);
    await apps.remove("store");
    assert.deepEqual(domains.list().map((d) => d.domain), ["blog.example.org"]);
    // The name is free again.
    await apps.create("shop");
    await domains.add("shop.example.org", "shop");
  }, { domain: "example.com" });
});
