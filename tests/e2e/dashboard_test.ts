/**
 * The dashboard (the Shell) at /_fazt: how it is served, and the owner's
 * whole journey through it in a real browser — Chromium driven by
 * playwright-core against a real fazt process: setup from the one-time
 * link, logout, login, deploy a folder by upload, open the app, follow its
 * logs, roll back, set and remove an egress limit, create and revoke a
 * token, see the breakers, delete the app. Along the
 * way it takes a screenshot of every page: into a temporary folder, or into
 * docs/screenshots/ with `deno task screenshots` (so the suite leaves the
 * working tree as it found it).
 *
 * Chromium is required: without it the browser test fails (it never
 * skips), naming what to install.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { assertAccessible, launchChromium, requireChromium } from "../_helpers/chromium.ts";
import { strToU8, zipSync } from "fflate";
import { Buffer } from "node:buffer";
import { ROOT, startServer, type TestServer } from "../_helpers/server.ts";
import { DASHBOARD_CSP, dashboardResponse } from "../../dashboard/serve.ts";
import { assets } from "../../dashboard/dist/assets.ts";
import { buildDashboard } from "../../dashboard/build.ts";

/** Where the screenshots go: docs/screenshots/ when asked (`FAZT_SCREENSHOTS=docs`), else a temp folder. */
const SHOTS = Deno.env.get("FAZT_SCREENSHOTS") === "docs"
  ? join(ROOT, "docs", "screenshots")
  : Deno.makeTempDirSync({ prefix: "fazt-screenshots-" });

Deno.test("dashboardResponse: one page for every dashboard path, with a strict CSP", async () => {
  for (
    const path of [
      "/_fazt",
      "/_fazt/",
      "/_fazt/login",
      "/_fazt/setup",
      "/_fazt/apps",
      "/_fazt/apps/blog",
      "/_fazt/apps/blog/logs",
      "/_fazt/domains",
      "/_fazt/tokens",
      "/_fazt/system",
      "/_fazt/agents",
    ]
  ) {
    const res = dashboardResponse(path);
    assert.ok(res, `${path} is a dashboard page`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("content-security-policy"), DASHBOARD_CSP);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await res.text(), assets.html);
  }
  for (
    const path of [
      "/_fazt/api/apps",
      "/_fazt/health",
      "/_fazt/mcp",
      "/_fazt/loginx",
      "/_fazt/tokens/x",
      "/_fazt/assets/app.000000000000.js",
      "/_fazt/assets/",
      "/",
    ]
  ) {
    assert.equal(dashboardResponse(path), undefined, `${path} is not the dashboard's`);
  }
  // No inline script or style, no eval, nothing from elsewhere.
  assert.match(DASHBOARD_CSP, /script-src 'self';/);
  assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval|https?:/);
  assert.doesNotMatch(assets.html, /<script>|<style|style=/);
  assert.doesNotMatch(assets.html + assets.css, /https?:\/\/(?!www\.w3\.org)/);
});

Deno.test("dashboard assets: fingerprinted, immutable, gzipped on request, small", async () => {
  assert.match(assets.jsPath, /^\/_fazt\/assets\/app\.[0-9a-f]{12}\.js$/);
  assert.match(assets.cssPath, /^\/_fazt\/assets\/app\.[0-9a-f]{12}\.css$/);
  assert.ok(assets.html.includes(`src="${assets.jsPath}"`));
  assert.ok(assets.html.includes(`href="${assets.cssPath}"`));
  for (
    const [path, type, body] of [
      [assets.jsPath, "text/javascript; charset=utf-8", assets.js],
      [assets.cssPath, "text/css; charset=utf-8", assets.css],
    ]
  ) {
    const plain = dashboardResponse(path)!;
    assert.equal(plain.headers.get("content-type"), type);
    assert.equal(plain.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.equal(await plain.text(), body);
    const gz = dashboardResponse(path, "br, gzip;q=0.8")!;
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    assert.equal(gz.headers.get("vary"), "accept-encoding");
    const unzipped = gz.body!.pipeThrough(new DecompressionStream("gzip"));
    assert.equal(await new Response(unzipped).text(), body);
    assert.equal(dashboardResponse(path, "gzip;q=0")!.headers.get("content-encoding"), null);
  }
  const gzipped = (await new Response(dashboardResponse(assets.jsPath, "gzip")!.body).bytes())
    .length;
  assert.ok(gzipped <= 100 * 1024, `initial JS is ${gzipped} bytes gzipped (budget 100 KiB)`);
  assert.doesNotMatch(assets.js, /(?<![\w$.])eval\(|new Function\(/);
});

Deno.test("`deno task dashboard` is reproducible: the committed bundle matches the sources", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-dashboard-build-" });
  try {
    const built = await buildDashboard(dir);
    const fresh = await Deno.readTextFile(built.path);
    const committed = await Deno.readTextFile(join(ROOT, "dashboard", "dist", "assets.ts"));
    assert.ok(
      fresh === committed,
      "dashboard/dist/assets.ts is stale: run `deno task dashboard` and commit the result",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- the browser journey ------------------------------------------------------

function zip(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([p, t]) => [p, strToU8(t)])));
}

async function deployZip(server: TestServer, app: string, files: Record<string, string>) {
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=${app}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zip(files) as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
}

async function bodyOf(server: TestServer, host: string, path = "/"): Promise<[number, string]> {
  const res = await server.fetch(host, path);
  return [res.status, await res.text()];
}

/** Hides (or shows again) the toasts, so screenshots do not catch them. */
function toastsDisplay(display: "none" | ""): string {
  return `(() => { const t = document.querySelector(".toasts"); if (t) t.style.display = "${display}"; })()`;
}

const SIZES = [[1280, 800, "desktop"], [390, 844, "phone"]] as const;
const SCHEMES = ["light", "dark"] as const;

/** Screenshots of the current page at desktop and phone widths, light and dark. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(toastsDisplay("none"));
  for (const [width, height, size] of SIZES) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({
        path: join(SHOTS, `${name}-${size}-${colorScheme}.png`),
        animations: "disabled",
      });
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });
  await page.evaluate(toastsDisplay(""));
}

Deno.test({
  name: "the dashboard in Chromium: setup, login, deploy, logs, rollback, tokens, delete",
  // playwright-core keeps its own pipes and timers to the browser.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await requireChromium();
    await Deno.mkdir(SHOTS, { recursive: true });
    const server = await startServer();
    const profile = await Deno.makeTempDir({ prefix: "fazt-chromium-" });
    const site = await Deno.makeTempDir({ prefix: "fazt-dash-site-" });
    const context = await launchChromium(profile);
    context.setDefaultTimeout(10_000);
    const page = context.pages()[0] ?? await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    page.on("console", (msg) => {
      // Failed requests (the wrong password's 401) are expected; CSP refusals are not.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        pageErrors.push(msg.text());
      }
    });
    const base = `http://localhost:${server.port}`;
    const nav = (name: string) =>
      page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
    const email = "owner@example.com";
    const password = "correct horse battery";

    // Each step builds on the one before: stop at the first failure.
    let ok = true;
    const step = async (name: string, fn: () => Promise<void>) => {
      if (ok) ok = await t.step(name, fn);
      if (!ok) {
        const path = await Deno.makeTempFile({ prefix: "fazt-dashboard-failure-", suffix: ".png" });
        await page.screenshot({ path }).then(() =>
          console.error(`the page at the failure: ${path}`)
        )
          .catch(() => {});
      }
    };
    try {
      await step("served only on admin hosts, for GET and HEAD", async () => {
        const page = await server.fetch(`localhost:${server.port}`, "/_fazt/login");
        assert.equal(page.status, 200);
        assert.equal(page.headers.get("content-security-policy"), DASHBOARD_CSP);
        assert.equal(await page.text(), assets.html);
        const asset = await server.fetch(`127.0.0.1:${server.port}`, assets.jsPath);
        assert.equal(asset.status, 200);
        assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
        await asset.body?.cancel();
        const onApp = await server.fetch(`blog.localhost:${server.port}`, "/_fazt/login");
        assert.equal(onApp.status, 404);
        await onApp.body?.cancel();
        const post = await server.fetch(`localhost:${server.port}`, "/_fazt/login", {
          method: "POST",
        });
        assert.equal(post.status, 404);
        await post.body?.cancel();
      });

      await step("setup from the one-time link", async () => {
        const link = server.output().match(/http:\/\/\S+\/_fazt\/setup\?token=\S+/)?.[0];
        assert.ok(link, `no setup link in:\n${server.output()}`);
        await page.goto(`${base}/_fazt/`);
        await page.waitForURL(/\/_fazt\/setup$/);
        await page.getByText("Open the one-time setup link").waitFor();
        await page.goto(link);
        await page.getByRole("heading", { name: "Welcome to fazt" }).waitFor();
        await assertAccessible(page, "setup");
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Create owner account" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
        await page.getByRole("heading", { name: "Apps", level: 1 }).waitFor();
        await page.getByText("No apps yet").waitFor();
        await assertAccessible(page, "the empty apps page");
      });

      await step("logout, then login (a wrong password shows the API's message)", async () => {
        await page.getByRole("button", { name: "Log out" }).click();
        await page.waitForURL(/\/_fazt\/login$/);
        await page.getByRole("heading", { name: "Log in" }).waitFor();
        const me = await page.evaluate(() => fetch("/_fazt/api/auth/whoami").then((r) => r.json()));
        assert.equal(me.kind, "anonymous");
        await assertAccessible(page, "login");
        await shoot(page, "login");
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password").fill("not the password");
        await page.getByRole("button", { name: "Log in" }).click();
        await page.getByRole("alert").getByText("The email or password is wrong.").waitFor();
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
        await page.getByText(email).waitFor();
      });

      await step("deploy a folder by upload, and open the app", async () => {
        await Deno.writeTextFile(join(site, "index.html"), "<h1>Hello v1</h1>\n");
        await Deno.writeTextFile(join(site, "style.css"), "h1 { color: tomato }\n");
        await Deno.mkdir(join(site, "about"));
        await Deno.writeTextFile(join(site, "about", "index.html"), "<p>About</p>\n");
        await Deno.mkdir(join(site, ".git"));
        await Deno.writeTextFile(join(site, ".git", "HEAD"), "ref: refs/heads/main\n");
        // The drop zone's keyboard-accessible folder input.
        const input = page.locator("#deploy-new-folder");
        assert.equal(await input.getAttribute("type"), "file");
        // The page may still re-render once its lists arrive: focus until the input keeps it.
        let focused = "";
        for (let i = 0; i < 40 && focused !== "deploy-new-folder"; i++) {
          await input.focus();
          focused = await page.evaluate<string>("document.activeElement.id");
          if (focused !== "deploy-new-folder") await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(focused, "deploy-new-folder");
        await input.setInputFiles(site);
        await page.getByText("3 files").waitFor();
        await page.getByText("1 ignored").waitFor();
        await page.getByLabel("App name").fill("blog");
        await page.getByRole("button", { name: "Deploy", exact: true }).click();
        await page.waitForURL(/\/_fazt\/apps\/blog$/);
        await page.getByRole("heading", { name: "blog", level: 1 }).waitFor();
        await page.locator(".page-sub").getByText("Live · v1").waitFor();
        assert.deepEqual(await bodyOf(server, "blog.localhost", "/"), [200, "<h1>Hello v1</h1>\n"]);
        assert.deepEqual(await bodyOf(server, "blog.localhost", "/about/"), [
          200,
          "<p>About</p>\n",
        ]);
        assert.equal((await bodyOf(server, "blog.localhost", "/.git/HEAD"))[0], 404);
        // The link to the app is its URL.
        const href = await page.getByRole("link", { name: /Open app/ }).getAttribute("href");
        assert.equal(href, `http://blog.localhost:${server.port}/`);
      });

      await step("deploy a zip as version 2 from the app page", async () => {
        await page.locator("#deploy-blog-zip").setInputFiles({
          name: "site.zip",
          mimeType: "application/zip",
          buffer: Buffer.from(zip({ "index.html": "<h1>Hello v2</h1>\n" })),
        });
        await page.getByText("site.zip").waitFor();
        await page.getByRole("button", { name: "Deploy to blog" }).click();
        await page.locator(".page-sub").getByText("Live · v2").waitFor();
        assert.deepEqual(await bodyOf(server, "blog.localhost", "/"), [200, "<h1>Hello v2</h1>\n"]);
        await assertAccessible(page, "the app page");
      });

      await step("drop a zip onto the drop zone: version 3", async () => {
        const bytes = zip({ "index.html": "<h1>Hello v3</h1>\n" });
        const dataTransfer = await page.evaluateHandle(`(() => {
          const dt = new DataTransfer();
          const bytes = new Uint8Array(${JSON.stringify([...bytes])});
          dt.items.add(new File([bytes], "dropped.zip", { type: "application/zip" }));
          return dt;
        })()`);
        const zone = page.getByRole("region", { name: "Deploy a new version of blog" });
        await zone.dispatchEvent("dragenter", { dataTransfer });
        assert.match(await zone.getAttribute("class") ?? "", /dropzone-over/);
        await zone.dispatchEvent("drop", { dataTransfer });
        await page.getByText("dropped.zip").waitFor();
        await page.getByRole("button", { name: "Deploy to blog" }).click();
        await page.locator(".page-sub").getByText("Live · v3").waitFor();
        assert.deepEqual(await bodyOf(server, "blog.localhost", "/"), [200, "<h1>Hello v3</h1>\n"]);
      });

      await step("the log tail shows the deploys, and new lines live", async () => {
        await page.getByRole("link", { name: "Logs" }).click();
        await page.waitForURL(/\/_fazt\/apps\/blog\/logs$/);
        const log = page.getByRole("log");
        await log.getByText("Deployed version 3 (1 file,").waitFor();
        await log.getByText("Deployed version 2 (1 file,").waitFor();
        await log.getByText("Deployed version 1 (3 files").waitFor();
        await page.locator(".live-live").waitFor();
        const set = await server.api("PUT", "/apps/blog/secrets/LIVE_PROBE", { value: "x" });
        assert.equal(set.status, 200);
        await set.body?.cancel();
        await log.getByText("Secret LIVE_PROBE set.").waitFor();
      });

      await step("roll back with one click", async () => {
        await page.getByRole("link", { name: "Overview" }).click();
        await page.getByRole("button", { name: "Roll back to version 1" }).click();
        await page.locator(".page-sub").getByText("Live · v1").waitFor();
        assert.deepEqual(await bodyOf(server, "blog.localhost", "/"), [200, "<h1>Hello v1</h1>\n"]);
      });

      await step("egress: set a 5 MiB monthly limit, see it, remove it", async () => {
        const panel = page.getByRole("region", { name: "Egress & limits" });
        await panel.getByText("No limit").waitFor();
        await panel.getByLabel("Monthly limit in MiB").fill("5");
        await panel.getByRole("button", { name: "Set limit" }).click();
        await panel.locator("#egress-limit").getByText(/^5 MiB \(\d+% used\)$/).waitFor();
        const set = await (await server.api("GET", "/apps/blog/egress")).json();
        assert.equal(set.limitBytes, 5 * 1024 * 1024);
        await assertAccessible(page, "the egress panel");
        await panel.getByRole("button", { name: "Remove limit" }).click();
        await panel.getByText("No limit").waitFor();
        await panel.getByRole("button", { name: "Remove limit" }).waitFor({ state: "detached" });
        const removed = await (await server.api("GET", "/apps/blog/egress")).json();
        assert.equal(removed.limitBytes, null);
        // The API's own message shows when it refuses (over 100,000,000 MiB).
        await panel.getByLabel("Monthly limit in MiB").fill("100000001");
        await panel.getByRole("button", { name: "Set limit" }).click();
        const refused = panel.getByRole("alert");
        await refused.getByText("Could not change the limit").waitFor();
        assert.match(await refused.innerText(), /100000000|100,000,000|too big|less than/i);
        await panel.getByLabel("Monthly limit in MiB").fill("");
      });

      await step("files, secrets, routes and data tabs", async () => {
        await page.getByRole("link", { name: "Files" }).click();
        await page.getByRole("button", { name: /^index\.html/ }).click();
        await page.locator(".preview pre").getByText("Hello v1").waitFor();

        await page.getByRole("link", { name: "Secrets" }).click();
        await page.getByRole("cell", { name: "LIVE_PROBE", exact: true }).waitFor();
        await page.getByLabel("Name", { exact: true }).fill("API_KEY");
        await page.getByLabel("Value", { exact: true }).fill("sk_test_123");
        await page.getByRole("button", { name: "Save secret" }).click();
        await page.getByRole("cell", { name: "API_KEY", exact: true }).waitFor();
        const names = await (await server.api("GET", "/apps/blog/secrets")).json();
        assert.deepEqual(names.map((s: { name: string }) => s.name).sort(), [
          "API_KEY",
          "LIVE_PROBE",
        ]);
        assert.doesNotMatch(await page.content(), /sk_test_123/);

        await page.getByRole("link", { name: "Routes" }).click();
        await page.getByLabel("Subdomain or @").fill("journal");
        await page.getByRole("button", { name: "Add route" }).click();
        await page.getByRole("link", { name: /^journal\.localhost/ }).waitFor();
        assert.deepEqual(await bodyOf(server, "journal.localhost", "/"), [
          200,
          "<h1>Hello v1</h1>\n",
        ]);

        await page.getByRole("link", { name: "Data" }).click();
        await page.getByText("No keys").waitFor();
        await page.getByRole("button", { name: "Documents" }).click();
        await page.getByText("No collections").waitFor();
        await page.getByRole("button", { name: "SQL" }).click();
        await page.getByLabel(/Read-only SQL/).fill("SELECT 6 * 7 AS answer");
        await page.getByRole("button", { name: "Run query" }).click();
        await page.getByRole("cell", { name: "42", exact: true }).waitFor();
        await page.getByLabel(/Read-only SQL/).fill("CREATE TABLE t (x)");
        await page.getByRole("button", { name: "Run query" }).click();
        await page.getByRole("alert").getByText(/only reads/).waitFor();
        await assertAccessible(page, "the data tab");
      });

      await step("screenshots of the apps list and the app page", async () => {
        await deployZip(server, "docs", {
          "index.html": "<h1>Docs</h1>",
          "app.json": JSON.stringify({ title: "Handbook" }),
        });
        await deployZip(server, "shop", { "index.html": "<h1>Shop</h1>", "a.css": "x" });
        for (let i = 0; i < 3; i++) await bodyOf(server, "blog.localhost", "/");
        await page.getByRole("link", { name: "Overview" }).click();
        await page.getByRole("heading", { name: "Versions" }).waitFor();
        await shoot(page, "app");
        await nav("Apps").click();
        await page.getByRole("link", { name: "shop", exact: true }).waitFor();
        await page.getByText("…").first().waitFor({ state: "detached" });
        await shoot(page, "apps");
      });

      await step("agents: the claude mcp add command with a scoped token", async () => {
        await nav("Agents").click();
        const command = page.locator("#claude-command");
        await command.waitFor();
        assert.equal(
          await command.inputValue(),
          `claude mcp add --transport http fazt ${base}/_fazt/mcp --header "Authorization: Bearer <token>"`,
        );
        await assertAccessible(page, "agents");
        await shoot(page, "agents");
        await page.getByRole("button", { name: "Create agent token" }).click();
        await page.getByText(/Token “claude-code .*” created/).waitFor();
        const value = await command.inputValue();
        const token = value.match(/Bearer (fazt_\S+)"$/)?.[1];
        assert.ok(token, value);
        assert.ok(
          value.startsWith(`claude mcp add --transport http fazt ${base}/_fazt/mcp --header "`),
        );
        const me = await (await fetch(`${server.url}/_fazt/api/auth/whoami`, {
          headers: { authorization: `Bearer ${token}` },
        })).json();
        assert.equal(me.kind, "token");
        assert.deepEqual([...me.scopes].sort(), [
          "apps:read",
          "apps:write",
          "data:read",
          "logs:read",
        ]);
      });

      await step("create a token with scopes (shown once), then revoke it", async () => {
        await nav("Tokens").click();
        await page.getByRole("heading", { name: "Active tokens" }).waitFor();
        await page.getByLabel("Name", { exact: true }).fill("ci");
        await page.getByRole("checkbox", { name: /^apps:write/ }).check();
        await page.getByRole("checkbox", { name: /^system:read/ }).check();
        await page.getByRole("button", { name: "Create token" }).click();
        const field = page.locator("#new-token-value");
        await field.waitFor();
        const token = await field.inputValue();
        assert.match(token, /^fazt_/);
        const ok = await fetch(`${server.url}/_fazt/api/system/info`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(ok.status, 200);
        await ok.body?.cancel();
        await page.getByRole("button", { name: "Done" }).click();
        await field.waitFor({ state: "detached" });
        await page.getByRole("cell", { name: /^ci tok_/ }).waitFor();
        await assertAccessible(page, "tokens");
        await shoot(page, "tokens");
        await page.getByRole("button", { name: "Revoke token ci" }).click();
        const dialog = page.getByRole("dialog");
        await dialog.getByText("Revoke “ci”?").waitFor();
        await dialog.getByRole("button", { name: "Revoke token" }).click();
        await dialog.waitFor({ state: "detached" });
        await page.getByRole("cell", { name: /^ci tok_/ }).waitFor({ state: "detached" });
        const revoked = await fetch(`${server.url}/_fazt/api/system/info`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(revoked.status, 401);
        await revoked.body?.cancel();
      });

      await step("system: version, memory, cache, storage, sandboxes, breakers", async () => {
        await nav("System").click();
        await page.getByText("fazt 0.1.0").or(page.getByText(/^fazt \d/)).first().waitFor();
        await page.getByRole("heading", { name: "Content cache" }).waitFor();
        await page.getByRole("heading", { name: "Storage" }).waitFor();
        await page.getByRole("heading", { name: "App sandboxes" }).waitFor();
        const breakers = page.getByRole("region", { name: "Breakers" });
        await breakers.getByRole("heading", { name: "Breakers", level: 2 }).waitFor();
        const disk = breakers.getByRole("region", { name: /^Disk/ });
        await disk.getByText("Volume used").waitFor();
        await disk.getByText("Data folder").waitFor();
        assert.equal(await disk.getByText("TRIPPED").count(), 0, "the disk breaker is closed");
        await breakers.getByRole("region", { name: "Cache" }).getByText("Hit rate").waitFor();
        const store = breakers.getByRole("region", { name: "Store" });
        await store.getByText("Free pages").waitFor();
        await store.getByText("in the background, after deletes").or(
          store.getByText("now, in small steps"),
        ).waitFor();
        await breakers.getByRole("region", { name: "Shedding" }).waitFor();
        await breakers.getByRole("region", { name: "Runtime pool" }).getByText("Cold starts")
          .waitFor();
        const egress = breakers.getByRole("region", { name: "Egress this month" });
        await egress.getByRole("link", { name: "blog", exact: true }).waitFor();
        await assertAccessible(page, "system");
        await shoot(page, "system");
      });

      await step("rename an app: same app, new address", async () => {
        await page.goto(`${base}/_fazt/apps/shop/settings`);
        await page.getByLabel("New name").fill("store");
        await page.getByRole("button", { name: "Rename" }).click();
        await page.waitForURL(/\/_fazt\/apps\/store\/settings$/);
        await page.getByRole("heading", { name: "store", level: 1 }).waitFor();
        assert.deepEqual(await bodyOf(server, "store.localhost", "/"), [200, "<h1>Shop</h1>"]);
        assert.equal((await bodyOf(server, "shop.localhost", "/"))[0], 404);
      });

      await step("delete an app, with confirmation", async () => {
        await page.goto(`${base}/_fazt/apps/blog/settings`);
        await page.getByRole("button", { name: "Delete blog…" }).click();
        const dialog = page.getByRole("dialog");
        const confirm = dialog.getByRole("button", { name: "Delete app" });
        assert.equal(await confirm.isDisabled(), true, "deleting needs the name typed");
        await dialog.getByLabel("Type blog to confirm").fill("blog");
        await confirm.click();
        await page.waitForURL(/\/_fazt\/apps$/);
        await page.getByRole("link", { name: "docs", exact: true }).waitFor();
        assert.equal(await page.getByRole("link", { name: "blog", exact: true }).count(), 0);
        assert.equal((await bodyOf(server, "blog.localhost", "/"))[0], 404);
        const gone = await server.api("GET", "/apps/blog");
        assert.equal(gone.status, 404);
        await gone.body?.cancel();
      });

      await step("an expired session goes back to login", async () => {
        await context.clearCookies();
        await page.goto(`${base}/_fazt/tokens`);
        await page.waitForURL(/\/_fazt\/login\?next=%2F_fazt%2Ftokens$/);
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(/\/_fazt\/tokens$/);
      });

      await step("no script errors or CSP refusals in the page", () => {
        assert.deepEqual(pageErrors, []);
        return Promise.resolve();
      });
    } finally {
      await context.close().catch(() => {});
      await server.stop();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(site, { recursive: true }).catch(() => {});
      if (!SHOTS.startsWith(ROOT)) await Deno.remove(SHOTS, { recursive: true }).catch(() => {});
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
