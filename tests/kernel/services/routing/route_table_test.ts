import assert from "node:assert/strict";
import {
  createRouteTable,
  type HostMatch,
  normalizeHost,
} from "../../../../kernel/services/routing/route_table.ts";
import { withKernel } from "../../../_helpers/kernel.ts";

/** What a host routes to, as the app's name or the kind. */
function seen(match: HostMatch): string {
  return match.kind === "app" ? `app:${match.app.name}` : match.kind;
}

Deno.test("route table: custom domains match exactly (case, port and trailing dot ignored)", async () => {
  await withKernel(async (t) => {
    const { domains, routes, apps } = t.kernel.services;
    await apps.create("shop");
    await apps.create("blog");
    await routes.add("journal", "blog");
    await domains.add("shop.example.org", "shop");
    await domains.add("example.net", "blog");
    const table = createRouteTable(t.kernel.db.read, "example.com");
    const cases: [string, string][] = [
      ["shop.example.org", "app:shop"],
      ["SHOP.Example.Org:8443", "app:shop"],
      ["shop.example.org.", "app:shop"],
      ["example.net", "app:blog"],
      ["www.shop.example.org", "unknown"],
      ["example.org", "unknown"],
      ["shop.example.org.example.com", "unknown"],
      ["shop.example.com", "app:shop"],
      ["journal.example.com", "app:blog"],
      ["journal.example.org", "unknown"],
      ["example.com", "admin"],
      ["admin.example.com", "admin"],
      ["203.0.113.5", "admin"],
      ["localhost", "admin"],
    ];
    for (const [host, expected] of cases) assert.equal(seen(table.match(host)), expected, host);
  }, { domain: "example.com" });
});

Deno.test("route table: a custom domain is never an admin host, even a row that skipped the checks", async () => {
  await withKernel(async (t) => {
    const shop = await t.kernel.services.apps.create("shop");
    await t.kernel.services.routes.add("@", "shop");
    // Rows no service would write: the admin host, an IP address, localhost.
    await t.kernel.db.write((w) => {
      for (const host of ["admin.example.com", "203.0.113.5", "localhost"]) {
        w.prepare("INSERT INTO routes (host, app_id, created_at) VALUES (?, ?, 0)").run(
          host,
          shop.id,
        );
      }
    });
    const table = createRouteTable(t.kernel.db.read, "example.com");
    assert.equal(seen(table.match("admin.example.com")), "admin");
    assert.equal(seen(table.match("203.0.113.5")), "admin");
    assert.equal(seen(table.match("localhost")), "admin");
    assert.equal(seen(table.match("example.com")), "app:shop");
    assert.equal(table.adminHost(), "admin.example.com");
  }, { domain: "example.com" });
});

Deno.test("route table: a rename keeps the custom domain, deleting the app drops it", async () => {
  await withKernel(async (t) => {
    const { domains, apps } = t.kernel.services;
    await apps.create("shop");
    await domains.add("shop.example.org", "shop");
    const table = createRouteTable(t.kernel.db.read, "example.com");
    await apps.rename("shop", "store");
    table.reload();
    assert.equal(seen(table.match("shop.example.org")), "app:store");
    await apps.remove("store");
    table.reload();
    assert.equal(seen(table.match("shop.example.org")), "unknown");
  }, { domain: "example.com" });
});

Deno.test("normalizeHost drops the port and a trailing dot and lowercases", () => {
  assert.equal(normalizeHost("Example.COM"), "example.com");
  assert.equal(normalizeHost("example.com.:8080"), "example.com");
  assert.equal(normalizeHost("[::1]:80"), "[::1]");
  assert.equal(normalizeHost("[2001:DB8::1]"), "[2001:db8::1]");
});
