/**
 * An app's logo over a real server: a hostile `logo.svg` (a script, an
 * onload handler, an outside link, too large) fails the deploy with a
 * message naming the problem and changes nothing; a plain one is served by
 * `apps.logo` from the admin origin inline, as SVG, under a CSP that runs
 * no script, with nosniff; an app without one answers 404.
 */
import assert from "node:assert/strict";
import { startServer } from "../_helpers/server.ts";
import { DOWNLOAD_CSP } from "../../kernel/ops/download.ts";

const PLAIN =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#e60"/></svg>\n';

const HOSTILE: [string, string, RegExp][] = [
  [
    "a script",
    '<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/_fazt/api/tokens")</script></svg>',
    /logo\.svg holds a <script> element \(line 1\)/,
  ],
  [
    "an onload handler",
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>',
    /logo\.svg holds an event handler attribute/,
  ],
  [
    "an outside reference",
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/track.png"/></svg>',
    /logo\.svg holds a link to something outside the file/,
  ],
  [
    "65 KiB",
    `<svg xmlns="http://www.w3.org/2000/svg"><!--${"x".repeat(65 * 1024)}--></svg>`,
    /a logo may be at most 64 KiB/,
  ],
];

Deno.test({
  name: "logo.svg: hostile ones fail the deploy, a plain one is served with a script-stopping CSP",
  async fn(t) {
    const server = await startServer();
    try {
      const deploy = (app: string, logo: string) =>
        server.api("POST", `/apps/${app}/deploy-files`, {
          files: { "index.html": { text: "<h1>hi</h1>" }, "logo.svg": { text: logo } },
        });

      for (const [what, svg, message] of HOSTILE) {
        await t.step(`refused at deploy: ${what}`, async () => {
          const res = await deploy("badlogo", svg);
          const body = await res.json();
          assert.equal(res.status, 400, JSON.stringify(body));
          assert.equal(body.error.code, "invalid_archive");
          assert.deepEqual(body.error.details, { reason: "bad_logo", entry: "logo.svg" });
          assert.match(body.error.message, message);
          const app = await server.api("GET", "/apps/badlogo");
          assert.equal(app.status, 404, "nothing was created");
          await app.body?.cancel();
        });
      }

      await t.step("a plain logo: served inline as SVG, under the CSP, nosniff", async () => {
        const res = await deploy("goodlogo", PLAIN);
        assert.equal(res.status, 200, await res.text());
        const app = await (await server.api("GET", "/apps/goodlogo")).json();
        assert.equal(app.hasLogo, true);
        const logo = await server.api("GET", "/apps/goodlogo/logo");
        assert.equal(logo.status, 200);
        assert.equal(logo.headers.get("content-type"), "image/svg+xml");
        assert.equal(logo.headers.get("content-security-policy"), DOWNLOAD_CSP);
        assert.match(DOWNLOAD_CSP, /default-src 'none'/);
        assert.match(DOWNLOAD_CSP, /\bsandbox\b/);
        assert.doesNotMatch(DOWNLOAD_CSP, /script-src/);
        assert.equal(logo.headers.get("x-content-type-options"), "nosniff");
        assert.match(
          logo.headers.get("content-disposition") ?? "",
          /^inline; filename="logo\.svg"/,
        );
        assert.equal(await logo.text(), PLAIN);
      });

      await t.step("an app without a logo: hasLogo false, 404", async () => {
        const res = await server.api("POST", "/apps/nologo/deploy-files", {
          files: { "index.html": { text: "<h1>hi</h1>" } },
        });
        assert.equal(res.status, 200, await res.text());
        assert.equal((await (await server.api("GET", "/apps/nologo")).json()).hasLogo, false);
        const logo = await server.api("GET", "/apps/nologo/logo");
        assert.equal(logo.status, 404);
        assert.equal((await logo.json()).error.code, "not_found");
      });

      await t.step("the logo needs credentials", async () => {
        const res = await fetch(`${server.url}/_fazt/api/apps/goodlogo/logo`);
        assert.equal(res.status, 401);
        await res.body?.cancel();
      });
    } finally {
      await server.stop();
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
