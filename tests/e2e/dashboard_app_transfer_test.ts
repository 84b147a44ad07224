/**
 * Moving an app with the dashboard in a real browser (Chromium driven by
 * playwright-core) against a real `fazt serve`: the app's settings tab
 * downloads a `.fazt` export with its data, and the apps page's import form
 * turns that file into a new app (a taken name shows the API's reason).
 *
 * Chromium is required: without it the test fails (it never skips).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { assertAccessible, launchChromium, requireChromium } from "../_helpers/chromium.ts";
import { startServer } from "../_helpers/server.ts";

Deno.test({
  name: "the dashboard exports an app with its data and imports it as a new app",
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
      // The refused import (409, a taken name) is expected.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        pageErrors.push(msg.text());
      }
    });
    const base = `http://localhost:${server.port}`;
    const saved = join(profile, "shop.fazt");

    let ok = true;
    const step = async (name: string, fn: () => Promise<void>) => {
      if (ok) ok = await t.step(name, fn);
    };
    try {
      await step("set up the owner and an app with data", async () => {
        const deployed = await server.api("POST", "/apps/shop/deploy-files", {
          files: { "index.html": { text: "<h1>shop</h1>" } },
        });
        assert.equal(deployed.status, 200, await deployed.text());
        const kv = await server.api("PUT", "/apps/shop/data/kv/stock", { value: { apples: 3 } });
        assert.equal(kv.status, 200, await kv.text());
        const link = server.output().match(/http:\/\/\S+\/_fazt\/setup\?token=\S+/)?.[0];
        assert.ok(link, `no setup link in:\n${server.output()}`);
        await page.goto(link);
        await page.getByLabel("Email").fill("owner@example.com");
        await page.getByLabel("Password").fill("correct horse battery");
        await page.getByRole("button", { name: "Create owner account" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
      });

      await step("the settings tab downloads the app with its data", async () => {
        await page.goto(`${base}/_fazt/apps/shop/settings`);
        const card = page.getByRole("region", { name: "Export" });
        await card.getByLabel(/Include its data/).check();
        await assertAccessible(page, "the settings tab");
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          card.getByRole("link", { name: "Download shop.fazt" }).click(),
        ]);
        assert.equal(download.suggestedFilename(), "shop.fazt");
        await download.saveAs(saved);
        const entries = unzipSync(await Deno.readFile(saved));
        assert.equal(new TextDecoder().decode(entries["files/index.html"]), "<h1>shop</h1>");
        assert.ok(entries["data/store.db"], "the data is in the archive");
        const manifest = JSON.parse(new TextDecoder().decode(entries["fazt-app.json"]));
        assert.equal(manifest.withData, true);
      });

      await step("the apps page imports the file as a new app", async () => {
        await page.goto(`${base}/_fazt/apps`);
        const form = page.getByRole("region", { name: "Import an app" });
        await form.getByLabel(".fazt file").setInputFiles(saved);
        await form.getByLabel("Name", { exact: true }).fill("shop-copy");
        await assertAccessible(page, "the apps page with the import form");
        await form.getByRole("button", { name: "Import" }).click();
        await page.waitForURL(/\/_fazt\/apps\/shop-copy$/);
        await page.getByRole("heading", { name: "shop-copy", level: 1 }).waitFor();
        const kv = await server.api("GET", "/apps/shop-copy/data/kv/stock");
        assert.deepEqual((await kv.json()).value, { apples: 3 });
        const res = await server.fetch("shop-copy.localhost", "/");
        assert.equal(await res.text(), "<h1>shop</h1>");
      });

      await step("a taken name shows the API's reason and creates nothing", async () => {
        await page.goto(`${base}/_fazt/apps`);
        const form = page.getByRole("region", { name: "Import an app" });
        await form.getByLabel(".fazt file").setInputFiles(saved);
        await form.getByRole("button", { name: "Import" }).click();
        await form.getByText(/The name "shop" is already taken/).waitFor();
        const apps = await (await server.api("GET", "/apps")).json();
        assert.deepEqual(apps.map((a: { name: string }) => a.name).sort(), ["shop", "shop-copy"]);
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
