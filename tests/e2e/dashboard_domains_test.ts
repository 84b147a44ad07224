/**
 * The dashboard's domains page in a real browser (Chromium driven by
 * playwright-core). Against a real `fazt serve`, which serves plain HTTP:
 * add a custom domain (a refused name shows the API's reason), see it with
 * its app and status, find it on the app's routes tab, see it follow a
 * rename, remove it; the certificates card says that HTTPS is off. With
 * HTTPS on (a kernel configured for it, its real TLS service, its handler
 * on 127.0.0.1): add the owner's own certificate from PEM files, see the
 * domain it covers turn active, remove it.
 *
 * Chromium is required: without it the test fails (it never skips).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import {
  assertAccessible,
  launchChromium,
  requireChromium,
  watchErrors,
} from "../_helpers/chromium.ts";
import { startServer } from "../_helpers/server.ts";
import { createTestCa } from "../_helpers/openssl.ts";
import { createKernel } from "../../kernel/boot/kernel.ts";

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
        await alert.getByText(/fazt route add shop <app>/).waitFor();
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

Deno.test({
  name: "the domains page in Chromium with HTTPS on: the owner's certificate, added and removed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await requireChromium();
    const ca = await createTestCa();
    const dataDir = await Deno.makeTempDir({ prefix: "fazt-https-dash-" });
    const profile = await Deno.makeTempDir({ prefix: "fazt-chromium-" });
    const kernel = await createKernel({
      dataDir,
      domain: "example.com",
      publicPort: 443,
      https: {
        httpPort: 80,
        // Never contacted: no TLS hello reaches this kernel, so nothing is ordered.
        acmeDirectory: "https://127.0.0.1:9/directory",
        acmeEmail: null,
        acmeCaPem: [],
      },
    });
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req, info) => kernel.handler(req, info),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    let context: BrowserContext | undefined;
    try {
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${base}/_fazt/api${path}`, {
          method,
          headers: {
            authorization: `Bearer ${kernel.ownerToken}`,
            "content-type": "application/json",
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      for (
        const [path, body] of [
          ["/apps/shop/deploy-files", { files: { "index.html": { text: "<h1>shop</h1>" } } }],
          ["/domains", { domain: "shop.example.org", app: "shop" }],
        ] as const
      ) {
        const res = await api("POST", path, body);
        const text = await res.text();
        assert.ok(res.ok, text);
      }
      const issued = await ca.issue({ sans: ["DNS:*.example.org"] });
      const certFile = join(dataDir, "wildcard.pem");
      const keyFile = join(dataDir, "wildcard.key");
      await Deno.writeTextFile(certFile, issued.certPem);
      await Deno.writeTextFile(keyFile, issued.keyPem);

      context = await launchChromium(profile);
      context.setDefaultTimeout(10_000);
      const page = context.pages()[0] ?? await context.newPage();
      const errors = watchErrors(page);
      const domains = page.getByRole("region", { name: "Custom domains" });
      const certs = page.getByRole("region", { name: "Certificates" });

      await t.step("sign in; the domain waits for its first HTTPS request", async () => {
        const token = await kernel.services.owners.issueSetupToken(60_000);
        await page.goto(`${base}/_fazt/setup?token=${token}`);
        await page.getByLabel("Email").fill("owner@example.com");
        await page.getByLabel("Password").fill("correct horse battery");
        await page.getByRole("button", { name: "Create owner account" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
        await page.goto(`${base}/_fazt/domains`);
        await domains.getByText("Pending", { exact: true }).waitFor();
        await domains.getByText("pending (the first HTTPS request orders its certificate)")
          .waitFor();
        assert.equal(
          await domains.getByRole("link", { name: /^shop\.example\.org/ }).getAttribute("href"),
          "https://shop.example.org/",
        );
        await certs.getByText("No certificates yet").waitFor();
        await assertAccessible(page, "the domains page with HTTPS on");
      });

      await t.step("add the owner's wildcard: listed, and the domain is active", async () => {
        const add = page.getByRole("button", { name: "Add certificate" });
        assert.equal(await add.isDisabled(), true, "both files are needed");
        await page.getByLabel("Certificate chain (PEM)").setInputFiles(certFile);
        await page.getByLabel("Private key (PEM)").setInputFiles(keyFile);
        await add.click();
        await certs.getByText("*.example.org", { exact: true }).waitFor();
        await certs.getByRole("cell", { name: "Your own" }).waitFor();
        await certs.getByRole("cell", { name: "fazt test CA" }).waitFor();
        await domains.getByText("Active", { exact: true }).waitFor();
        await domains.getByText("fazt test CA").waitFor();
        assert.equal(await add.isDisabled(), true, "the form is empty again");
        const listed = await (await api("GET", "/certs")).json() as { id: string }[];
        assert.deepEqual(listed.map((c) => c.id), ["manual:*.example.org"]);
        await assertAccessible(page, "the certificates list");
      });

      await t.step("remove it, with confirmation: the domain is pending again", async () => {
        await certs.getByRole("button", { name: "Remove certificate manual:*.example.org" })
          .click();
        const dialog = page.getByRole("dialog");
        await dialog.getByRole("button", { name: "Remove certificate" }).click();
        await dialog.waitFor({ state: "detached" });
        await certs.getByText("No certificates yet").waitFor();
        await domains.getByText("Pending", { exact: true }).waitFor();
        assert.deepEqual(await (await api("GET", "/certs")).json(), []);
      });

      await t.step("no script errors or CSP refusals in the page", () => {
        assert.deepEqual(errors, []);
        return Promise.resolve();
      });
    } finally {
      await context?.close().catch(() => {});
      await server.shutdown();
      await kernel.close();
      await ca.remove();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
