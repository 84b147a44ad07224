/**
 * The dashboard's domains page in a real browser (Chromium driven by
 * playwright-core against a real `fazt serve`, which serves plain HTTP):
 * add a custom domain (a refused name shows the API's reason), see it with
 * its app and status, find it on the app's routes tab, see it follow a
 * rename, remove it; the certificates card says that HTTPS is off.
 *
 * Chromium is required: without it the test fails (it never skips).
 */
import assert from "node:assert/strict";
import { assertAccessible, launchChromium, requireChromium } from "../_helpers/chromium.ts";
import { startServer } from "../_helpers/server.ts";

Deno.test({
  name: "the domains page in Chromium: add, list, rename, remove; certificates need HTTPS",
  // playwright-core keeps its own pipes and timers to the browser.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await requireChromium();
    const server = await startServer();
    const profile = await Deno.makeTempDir({ prefix: "fazt-chromium-" });
    const context = await launchChromium(profile);
    context.setDefaultTimeout(10_000);
    const page = context.pages()[0] ?? await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    page.on("console", (msg) => {
      // Refused requests (the 400 of a bad name, the 409 of HTTPS off) are expected.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        pageErrors.push(msg.text());
      }
    });
    const base = `http://localhost:${server.port}`;
    const body = async (host: string): Promise<[number, string]> => {
      const res = await server.fetch(host, "/");
      return [res.status, await res.text()];
    };
    const domainsCard = page.getByRole("region", { name: "Custom domains" });

    let ok = true;
    const step = async (name: string, fn: () => Promise<void>) => {
      if (ok) ok = await t.step(name, fn);
    };
    try {
      await step("set up the owner and an app", async () => {
        const deployed = await server.api("POST", "/apps/shop/deploy-files", {
          files: { "index.html": { text: "<h1>shop</h1>" } },
        });
        assert.equal(deployed.status, 200, await deployed.text());
        const link = server.output().match(/http:\/\/\S+\/_fazt\/setup\?token=\S+/)?.[0];
        assert.ok(link, `no setup link in:\n${server.output()}`);
        await page.goto(link);
        await page.getByLabel("Email").fill("owner@example.com");
        await page.getByLabel("Password").fill("correct horse battery");
        await page.getByRole("button", { name: "Create owner account" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
      });

      await step("the page: no domains yet, and HTTPS is off", async () => {
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Domains" })
          .click();
        await page.waitForURL(/\/_fazt\/domains$/);
        await page.getByRole("heading", { name: "Domains", level: 1 }).waitFor();
        await domainsCard.getByText("No custom domains").waitFor();
        const certs = page.getByRole("region", { name: "Certificates" });
        await certs.getByRole("heading", { name: "Certificates need HTTPS" }).waitFor();
        await certs.getByText(/^HTTPS is off: fazt serves plain HTTP and keeps no certificates/)
          .waitFor();
        assert.equal(
          await page.getByRole("heading", { name: "Add your own certificate" }).count(),
          0,
        );
        await assertAccessible(page, "the domains page");
      });

      await step("a refused name shows the API's reason", async () => {
        await page.getByLabel("Domain", { exact: true }).fill("bücher.example");
        await page.getByRole("button", { name: "Add domain" }).click();
        const alert = page.getByRole("alert");
        await alert.getByText("Could not add the domain").waitFor();
        assert.match(await alert.innerText(), /"xn--bcher-kva\.example"/);
        await page.getByLabel("Domain", { exact: true }).fill("shop.localhost");
        await page.getByRole("button", { name: "Add domain" }).click();
        await alert.getByText(/localhost names/).waitFor();
      });

      await step("add a domain: listed with its app and status, and serving the app", async () => {
        assert.equal(await page.getByLabel("App", { exact: true }).inputValue() !== "", true);
        await page.getByLabel("Domain", { exact: true }).fill("Shop.Example.org");
        await page.getByRole("button", { name: "Add domain" }).click();
        const link = domainsCard.getByRole("link", { name: /^shop\.example\.org:\d+/ });
        await link.waitFor();
        assert.equal(await link.getAttribute("href"), `http://shop.example.org:${server.port}/`);
        await domainsCard.getByRole("link", { name: "shop", exact: true }).waitFor();
        const badge = domainsCard.getByText("HTTP only");
        await badge.waitFor();
        assert.match(await badge.getAttribute("title") ?? "", /^HTTPS is off \(fazt serves plain/);
        assert.equal(await page.getByRole("alert").count(), 0);
        assert.deepEqual(await body("shop.example.org"), [200, "<h1>shop</h1>"]);
        await assertAccessible(page, "the domains page with a domain");
      });

      await step("the app's routes tab shows it, and links to this page", async () => {
        await page.goto(`${base}/_fazt/apps/shop/routes`);
        await page.getByRole("link", { name: /^shop\.example\.org:\d+/ }).waitFor();
        await page.getByText("Custom domain", { exact: true }).waitFor();
        await page.getByRole("link", { name: "Manage domain shop.example.org" }).click();
        await page.waitForURL(/\/_fazt\/domains$/);
      });

      await step("a rename keeps the domain", async () => {
        const renamed = await server.api("POST", "/apps/shop/rename", { name: "store" });
        assert.equal(renamed.status, 200);
        await renamed.body?.cancel();
        await page.reload();
        await domainsCard.getByRole("link", { name: "store", exact: true }).waitFor();
        assert.deepEqual(await body("shop.example.org"), [200, "<h1>shop</h1>"]);
      });

      await step("remove it, with confirmation", async () => {
        await page.getByRole("button", { name: "Remove domain shop.example.org" }).click();
        const dialog = page.getByRole("dialog");
        await dialog.getByText("Remove the domain shop.example.org?").waitFor();
        await dialog.getByRole("button", { name: "Remove domain" }).click();
        await dialog.waitFor({ state: "detached" });
        await domainsCard.getByText("No custom domains").waitFor();
        assert.equal((await body("shop.example.org"))[0], 404);
        assert.deepEqual(await body("store.localhost"), [200, "<h1>shop</h1>"]);
      });

      await step("no script errors or CSP refusals in the page", () => {
        assert.deepEqual(pageErrors, []);
        return Promise.resolve();
      });
    } finally {
      await context.close().catch(() => {});
      await server.stop();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
