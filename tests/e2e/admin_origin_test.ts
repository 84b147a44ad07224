/**
 * The review's attack in a real browser: the owner is logged in, an app is
 * routed at the root host (`@`), and its page tries to act with the owner's
 * session — a same-origin `fetch('/_fazt/api/tokens', {credentials:
 * "include"})`, cross-origin calls to the admin hosts, a tossed cookie, and
 * a service worker over the whole origin. None of it may yield a token or
 * reach the dashboard: the primary domain belongs to the app once routed,
 * and the dashboard and session live on `admin.<domain>`, which no app
 * serves and where nothing can become a service worker.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchChromium, requireChromium } from "../_helpers/chromium.ts";
import { startServer, type TestServer } from "../_helpers/server.ts";
import { zipFiles } from "../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";

/** The attacker's page: every way it has to reach the owner's session. */
function evilApp(port: number): Record<string, string> {
  return {
    "sw.js": `self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  if (new URL(e.request.url).pathname.startsWith("/_fazt")) {
    e.respondWith(new Response("<title>fake login</title><h1>phished</h1>", {
      headers: { "content-type": "text/html" },
    }));
  }
});
`,
    "index.html": `<!doctype html><title>evil</title><pre id="out">running</pre>
<script>
(async () => {
  const out = {};
  const attempt = async (name, fn) => {
    try { out[name] = await fn(); } catch (err) { out[name] = "error: " + err; }
  };
  const mint = (base, init = {}) => fetch(base + "/_fazt/api/tokens", {
    method: "POST",
    credentials: "include",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "stolen", scopes: ["admin"] }),
    ...init,
  }).then((r) => r.status);
  await attempt("same-origin", () => mint(""));
  await attempt("admin host", () => mint("http://admin.localhost:${port}"));
  await attempt("admin host, no preflight", () =>
    mint("http://admin.localhost:${port}", { headers: { "content-type": "text/plain" }, mode: "no-cors" }));
  await attempt("ip host", () => mint("http://127.0.0.1:${port}"));
  document.cookie = "fazt_session=tossed; path=/_fazt";
  await attempt("service worker", async () => {
    const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    return "registered " + reg.scope;
  });
  document.getElementById("out").textContent = JSON.stringify(out);
})();
</script>`,
  };
}

async function api(server: TestServer, method: string, path: string, body?: unknown) {
  const res = await server.api(method, path, body);
  const json = await res.json();
  assert.ok(res.status < 300, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function logIn(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/_fazt/login`);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/_fazt\/apps$/);
}

Deno.test("an app routed at the root host cannot act as the owner, in a real browser", async () => {
  await requireChromium();
  const server = await startServer();
  const profile = await Deno.makeTempDir({ prefix: "fazt-chromium-" });
  const context = await launchChromium(profile);
  context.setDefaultTimeout(10_000);
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const primary = `http://localhost:${server.port}`;
    const admin = `http://admin.localhost:${server.port}`;

    // The owner sets up the account on the primary host (the admin host while @ is free).
    const link = server.output().match(/http:\/\/\S+\/_fazt\/setup\?token=\S+/)?.[0];
    assert.ok(link?.startsWith(`${primary}/_fazt/setup`), `setup link: ${link}`);
    await page.goto(link!);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(/\/_fazt\/apps$/);

    // An app is deployed and routed at @; the owner logs in on the admin host too.
    const deployed = await fetch(`${server.url}/_fazt/api/deploy?app=evil`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
      body: zipFiles(evilApp(server.port)) as Uint8Array<ArrayBuffer>,
    });
    assert.equal(deployed.status, 200, await deployed.text());
    await api(server, "POST", "/routes", { host: "@", app: "evil" });
    const info = await api(server, "GET", "/system/info") as { adminUrl: string };
    assert.equal(info.adminUrl, `${admin}/`);
    await logIn(page, admin);
    const tokensBefore = (await api(server, "GET", "/tokens") as unknown[]).length;

    // The owner visits the root page: the app's attacks run with both cookies in the jar.
    await page.goto(`${primary}/`);
    await page.waitForFunction('document.getElementById("out").textContent !== "running"');
    const out = JSON.parse(await page.locator("#out").textContent() ?? "{}");
    assert.equal(out["same-origin"], 404, JSON.stringify(out));
    assert.match(String(out["admin host"]), /^error: TypeError/, JSON.stringify(out));
    assert.match(String(out["ip host"]), /^error: TypeError/, JSON.stringify(out));
    assert.match(String(out["service worker"]), /^registered /, "the app owns its origin");
    const tokensAfter = await api(server, "GET", "/tokens") as { name: string }[];
    assert.equal(tokensAfter.length, tokensBefore, "no token was minted");
    assert.ok(!tokensAfter.some((t) => t.name === "stolen"));

    // The app's service worker controls the primary host, never the admin host's dashboard.
    await page.goto(`${admin}/_fazt/apps`);
    await page.getByRole("heading", { name: "Apps", level: 1 }).waitFor();
    assert.equal(await page.evaluate("navigator.serviceWorker.controller"), null);
    assert.equal(await page.title(), "Apps · fazt");
    const me = await page.evaluate(() => fetch("/_fazt/api/auth/whoami").then((r) => r.json()));
    assert.equal(me.kind, "session", "the tossed cookie did not log the owner out");

    // Nothing served on the admin origin can be registered as a service worker.
    const registered = await page.evaluate(`(async () => {
      const src = [...document.scripts].map((s) => s.src).find((s) => s.includes("/_fazt/assets/"));
      if (!src) return "no dashboard script";
      return navigator.serviceWorker.register(src, { scope: "/_fazt/" }).then(
        () => "registered",
        (err) => String(err),
      );
    })()`) as string;
    assert.match(registered, /^SecurityError|TypeError|bad HTTP response code \(403\)/);
  } finally {
    await context.close();
    await server.stop();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
});
