/**
 * The dashboard's surfaces for an app's data, its logo and the owner's
 * account, in a real browser (Chromium driven by playwright-core) against a
 * real `fazt serve`: the app's logo shows in the apps list and on its page;
 * a kv key is created, edited and deleted; a document and a blob are
 * browsed and deleted (the blob downloaded first); the memory cap is set;
 * a backup is taken and listed; the password is changed (a wrong current
 * one refused, the new one logs in, the old one no longer does) and the
 * login email too. Each change is checked through the API as well.
 * Screenshots go to a temporary folder, or to docs/screenshots/ with
 * `FAZT_SCREENSHOTS=docs`.
 *
 * Chromium is required: without it the test fails (it never skips).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertAccessible,
  launchChromium,
  requireChromium,
  watchErrors,
} from "../_helpers/chromium.ts";
import { ROOT, startServer } from "../_helpers/server.ts";

const SHOTS = Deno.env.get("FAZT_SCREENSHOTS") === "docs"
  ? join(ROOT, "docs", "screenshots")
  : Deno.makeTempDirSync({ prefix: "fazt-screenshots-" });

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#2a7"/><circle cx="32" cy="32" r="14" fill="#fff"/></svg>\n';

/** The app's code: `/api/seed` stores a kv key, two documents and a blob. */
const SEED = `export default async function handle(req) {
  if (new URL(req.url).pathname !== "/api/seed") return new Response("no", { status: 404 });
  await fazt.kv.set("greeting", { text: "hello" });
  const ids = await fazt.docs.insert("posts", [{ title: "first" }, { title: "second" }]);
  await fazt.blobs.put("notes/a.txt", "hello blob", { type: "text/plain" });
  return { ids };
}
`;

Deno.test({
  name: "the dashboard in Chromium: logo, kv edit, documents and blobs, memory, backups, account",
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
    const errors = watchErrors(page);
    const base = `http://localhost:${server.port}`;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await server.api(method, path, body);
      const text = await res.text();
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text);
    };
    const dialog = page.getByRole("dialog");
    const confirm = async (button: string) => {
      await dialog.getByRole("button", { name: button }).click();
      await dialog.waitFor({ state: "detached" });
    };
    const shoot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
    const email = "owner@example.com";
    const password = "correct horse battery";
    const newPassword = "staple battery horse correct";
    await Deno.mkdir(SHOTS, { recursive: true });

    let ok = true;
    const step = async (name: string, fn: () => Promise<void>) => {
      if (ok) ok = await t.step(name, fn);
    };
    try {
      await step("set up: the owner, an app with a logo and data", async () => {
        await api("POST", "/apps/notes/deploy-files", {
          files: {
            "index.html": { text: "<h1>notes</h1>" },
            "logo.svg": { text: LOGO },
            "api/main.js": { text: SEED },
          },
        });
        const seeded = await server.fetch("notes.localhost", "/api/seed");
        assert.equal(seeded.status, 200, await seeded.clone().text());
        await seeded.body?.cancel();
        const link = server.output().match(/http:\/\/\S+\/_fazt\/setup\?token=\S+/)?.[0];
        assert.ok(link, `no setup link in:\n${server.output()}`);
        await page.goto(link);
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Create owner account" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
      });

      await step("the logo shows in the apps list and on the app's page", async () => {
        const loaded = async () => {
          const img = page.getByRole("img", { name: "notes logo" });
          await img.waitFor();
          // A string, evaluated in the page: tests have no DOM types.
          await page.waitForFunction(
            "[...document.querySelectorAll('img.app-logo')].some((i) => i.complete && i.naturalWidth > 0)",
          );
          assert.match(await img.getAttribute("src") ?? "", /^\/_fazt\/api\/apps\/app_\w+\/logo$/);
        };
        await loaded();
        await page.getByRole("link", { name: "notes", exact: true }).click();
        await page.waitForURL(/\/_fazt\/apps\/notes$/);
        await loaded();
        await shoot("app-logo");
      });

      await step("kv: edit a key, add one, delete one", async () => {
        await page.goto(`${base}/_fazt/apps/notes/data`);
        await page.getByRole("button", { name: "greeting" }).click();
        await page.getByText('"hello"').waitFor();
        await page.getByRole("button", { name: "Edit key greeting" }).click();
        await page.getByLabel("Value (JSON)").fill("not json");
        await page.getByRole("button", { name: "Save key" }).click();
        await page.getByRole("alert").getByText(/The value is not valid JSON/).waitFor();
        await page.getByLabel("Value (JSON)").fill('{"text": "hello again", "n": 2}');
        await page.getByRole("button", { name: "Save key" }).click();
        await page.getByText('"hello again"').waitFor();
        assert.deepEqual((await api("GET", "/apps/notes/data/kv/greeting")).value, {
          text: "hello again",
          n: 2,
        });
        await assertAccessible(page, "the kv view");

        await page.getByRole("button", { name: "New key" }).click();
        await page.getByLabel("Key", { exact: true }).fill("visits");
        await page.getByLabel("Value (JSON)").fill("41");
        await page.getByLabel("Expires after (seconds, optional)").fill("3600");
        await page.getByRole("button", { name: "Save key" }).click();
        await page.getByRole("button", { name: /^visits/ }).waitFor();
        await page.getByText("expires in").waitFor();
        assert.equal((await api("GET", "/apps/notes/data/kv/visits")).value, 41);
        await shoot("kv-edit");

        await page.getByRole("button", { name: "Delete key visits" }).click();
        await confirm("Delete key");
        await page.getByRole("button", { name: /^visits/ }).waitFor({ state: "detached" });
        assert.equal((await api("GET", "/apps/notes/data/kv/visits")).value, null);
      });

      await step("documents: browse a collection, delete a document", async () => {
        await page.getByRole("button", { name: "Documents" }).click();
        await page.getByRole("button", { name: /^posts/ }).click();
        await page.getByText("2 documents").waitFor();
        const docs = await api("GET", "/apps/notes/data/docs/posts") as { _id: string }[];
        const first = docs[0]._id;
        await page.getByRole("button", { name: `Delete document ${first}` }).click();
        await dialog.getByText(`Delete the document ${first}?`).waitFor();
        await confirm("Delete document");
        await page.getByText("1 document", { exact: true }).waitFor();
        const left = await api("GET", "/apps/notes/data/docs/posts") as { title: string }[];
        assert.deepEqual(left.map((d) => d.title), ["second"]);
        await assertAccessible(page, "the documents view");
      });

      await step("blobs: browse, download, delete", async () => {
        await page.getByRole("button", { name: "Blobs" }).click();
        await page.getByRole("cell", { name: "notes/a.txt", exact: true }).waitFor();
        await page.getByRole("cell", { name: "text/plain", exact: true }).waitFor();
        await assertAccessible(page, "the blobs view");
        await shoot("blobs");
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByRole("link", { name: "Download blob notes/a.txt" }).click(),
        ]);
        assert.equal(download.suggestedFilename(), "a.txt");
        assert.equal(await Deno.readTextFile(await download.path()), "hello blob");
        await page.getByRole("button", { name: "Delete blob notes/a.txt" }).click();
        await confirm("Delete blob");
        await page.getByText("No blobs").waitFor();
        assert.deepEqual(await api("GET", "/apps/notes/data/blobs"), []);
      });

      await step("settings: set the memory cap, then back to the default", async () => {
        await page.goto(`${base}/_fazt/apps/notes/settings`);
        await page.getByLabel("Memory cap in MiB").fill("200");
        await page.getByRole("button", { name: "Set cap" }).click();
        await page.getByText("(set for this app)").waitFor();
        const app = await api("GET", "/apps/notes");
        assert.equal(app.resources.memory.limitBytes, 200 * 1024 * 1024);
        assert.equal(app.resources.memory.custom, true);
        await page.getByRole("button", { name: "Use the server default" }).click();
        await page.getByText("(server default)").waitFor();
        assert.equal((await api("GET", "/apps/notes")).resources.memory.custom, false);
      });

      await step("backups: back up now, see it listed", async () => {
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Backups" })
          .click();
        await page.waitForURL(/\/_fazt\/backups$/);
        await page.getByText("No backups here yet").waitFor();
        await page.getByRole("button", { name: "Back up now" }).click();
        await page.getByText(/^Backed up \d+ files \(.+\) as /).waitFor();
        const listed = await api("GET", "/backups") as { name: string }[];
        assert.equal(listed.length, 1);
        await page.getByRole("cell", { name: listed[0].name }).waitFor();
        await assertAccessible(page, "the backups page");
        await shoot("backups");
      });

      await step(
        "account: a wrong current password is refused, then the change works",
        async () => {
          await page.getByRole("navigation", { name: "Main" }).getByRole("link", {
            name: "Account",
          })
            .click();
          await page.waitForURL(/\/_fazt\/account$/);
          await page.getByText(`You log in as ${email}.`, { exact: false }).waitFor();
          await page.getByRole("cell", { name: /^dev_/ }).first().waitFor();
          await assertAccessible(page, "the account page");
          await shoot("account");
          await page.getByLabel("Current password").fill("not the password");
          await page.getByLabel("New password", { exact: true }).fill(newPassword);
          await page.getByLabel("New password again").fill(newPassword);
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByRole("alert").getByText(/The current password is wrong/).waitFor();
          assert.match(page.url(), /\/_fazt\/account$/, "still signed in");
          await page.getByLabel("Current password").fill(password);
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByText("Password changed. Every other session has ended.").waitFor();
          await page.reload();
          await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
        },
      );

      await step("account: change the login email", async () => {
        await page.getByLabel("New email").fill("me@example.org");
        await page.getByLabel("Your password").fill(newPassword);
        await page.getByRole("button", { name: "Change email" }).click();
        await page.getByText("You log in as me@example.org now.").waitFor();
      });

      await step("log out; the old password no longer works, the new one does", async () => {
        await page.getByRole("button", { name: "Log out" }).click();
        await page.waitForURL(/\/_fazt\/login$/);
        await page.getByLabel("Email").fill("me@example.org");
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Log in" }).click();
        await page.getByRole("alert").getByText("The email or password is wrong.").waitFor();
        await page.getByLabel("Password").fill(newPassword);
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(/\/_fazt\/apps$/);
      });

      await step("no script errors or CSP refusals in the page", () => {
        assert.deepEqual(errors, []);
        return Promise.resolve();
      });
    } finally {
      await context.close().catch(() => {});
      await server.stop();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
      if (Deno.env.get("FAZT_SCREENSHOTS") !== "docs") {
        await Deno.remove(SHOTS, { recursive: true }).catch(() => {});
      }
    }
  },
});
