/**
 * End-to-end specification of an app's life through the real CLI: deploy,
 * list, info, rename, rollback, delete; restarts; the CLI without a running
 * server; exit codes; configuration from the environment.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  type CliResult,
  type StartOptions,
  startServer,
  type TestServer,
} from "../_helpers/server.ts";

interface AppView {
  id: string;
  name: string;
  url: string;
  title: string | null;
  version: number | null;
  files: number;
  bytes: number;
}

interface VersionView {
  number: number;
  files: number;
  bytes: number;
  live: boolean;
}

interface AppInfo extends AppView {
  versions: VersionView[];
  traffic24h: { requests: number };
}

interface DeployOutput {
  app: AppView;
  version: VersionView;
  created: boolean;
}

const APP_ID = /^app_[a-z2-7]{16}$/;

function page(text: string): string {
  return `<!doctype html><title>${text}</title><h1>${text}</h1>\n`;
}

/** Writes a folder with an index.html (and optional extra files); returns its path. */
async function siteFolder(
  dirs: string[],
  index: string,
  extra: Record<string, string> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-life-site-" });
  dirs.push(dir);
  await Deno.writeTextFile(join(dir, "index.html"), index);
  for (const [path, text] of Object.entries(extra)) await Deno.writeTextFile(join(dir, path), text);
  return dir;
}

/** Runs the CLI against a data folder. */
function fazt(dataDir: string, args: string[], env?: Record<string, string>): Promise<CliResult> {
  return cli([...args, "--data", dataDir], env);
}

/** Runs the CLI with `--json`, expecting success, and parses the output. */
async function faztJson<T>(dataDir: string, args: string[]): Promise<T> {
  const res = await fazt(dataDir, [...args, "--json"]);
  assert.equal(res.code, 0, `fazt ${args.join(" ")} failed:\n${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

/** GET / on `<host>` and returns status and body. */
async function home(server: TestServer, host: string): Promise<[number, string]> {
  const res = await server.fetch(host, "/");
  return [res.status, await res.text()];
}

Deno.test("app lifecycle through the real CLI", async (t) => {
  const dirs: string[] = [];
  const servers: TestServer[] = [];
  const start = async (options?: StartOptions) => {
    const s = await startServer(options);
    servers.push(s);
    return s;
  };
  const server = await start();
  const data = server.dataDir;
  dirs.push(data);
  const urlOf = (name: string) => `http://${name}.localhost:${server.port}/`;
  let siteId = "";

  try {
    await t.step("app add creates an app and reports it (JSON and text)", async () => {
      const dir = await siteFolder(dirs, page("v1"), {
        "about.html": page("about"),
        "app.json": JSON.stringify({ title: "Lifecycle Site" }),
      });
      const out = await faztJson<DeployOutput>(data, ["app", "add", dir, "--name", "site"]);
      assert.match(out.app.id, APP_ID);
      assert.equal(out.app.name, "site");
      assert.equal(out.app.url, urlOf("site"));
      assert.equal(out.app.title, "Lifecycle Site");
      assert.equal(out.created, true);
      assert.deepEqual(
        [out.version.number, out.version.files, out.version.live],
        [1, 3, true],
      );
      siteId = out.app.id;
      assert.deepEqual(await home(server, "site.localhost"), [200, page("v1")]);

      const named = await fazt(data, [
        "app",
        "add",
        await siteFolder(dirs, page("other")),
        "--name",
        "other",
      ]);
      assert.equal(named.code, 0, named.stderr);
      assert.match(named.stdout, /^Created other: version 1 is live \(1 file, /);
      assert.match(named.stdout, /^ {2}id {4}app_[a-z2-7]{16}$/m);
      assert.ok(named.stdout.includes(`url   ${urlOf("other")}`), named.stdout);
    });

    await t.step("app list shows every app (JSON and table)", async () => {
      const apps = await faztJson<AppView[]>(data, ["app", "list"]);
      assert.deepEqual(apps.map((a) => [a.name, a.version, a.url]), [
        ["other", 1, urlOf("other")],
        ["site", 1, urlOf("site")],
      ]);
      assert.equal(apps[1].id, siteId);
      assert.match(apps[0].id, APP_ID);

      const text = await fazt(data, ["app", "list"]);
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.trim().split("\n");
      assert.match(lines[0], /^NAME\s+ID\s+VERSION\s+URL$/);
      assert.match(lines[2], new RegExp(`^site\\s+${siteId}\\s+1\\s+${urlOf("site")}$`));
    });

    await t.step("app info accepts the name or the ID", async () => {
      const byName = await faztJson<AppInfo>(data, ["app", "info", "site"]);
      const byId = await faztJson<AppInfo>(data, ["app", "info", siteId]);
      for (const info of [byName, byId]) {
        assert.equal(info.id, siteId);
        assert.equal(info.name, "site");
        assert.equal(info.title, "Lifecycle Site");
        assert.equal(info.version, 1);
        assert.deepEqual(info.versions.map((v) => [v.number, v.live]), [[1, true]]);
        assert.equal(typeof info.traffic24h.requests, "number");
      }
      const text = await fazt(data, ["app", "info", siteId]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^name\s+site$/m);
      assert.match(text.stdout, new RegExp(`^url\\s+${urlOf("site")}$`, "m"));
      assert.match(text.stdout, /^title\s+Lifecycle Site$/m);
    });

    await t.step("rollback makes the previous version live at once", async () => {
      // Redeploys address the app by ID as well as by name.
      const v2 = await fazt(data, [
        "app",
        "add",
        await siteFolder(dirs, page("v2")),
        "--name",
        siteId,
      ]);
      assert.equal(v2.code, 0, v2.stderr);
      assert.match(v2.stdout, /^Updated site: version 2 is live/);
      const v3 = await faztJson<DeployOutput>(data, [
        "app",
        "add",
        await siteFolder(dirs, page("v3")),
        "--name",
        "site",
      ]);
      assert.deepEqual([v3.app.id, v3.version.number, v3.created], [siteId, 3, false]);
      assert.deepEqual(await home(server, "site.localhost"), [200, page("v3")]);

      const toV2 = await fazt(data, ["app", "rollback", siteId]);
      assert.equal(toV2.code, 0, toV2.stderr);
      assert.match(toV2.stdout, /^ {2}name\s+site$/m);
      assert.ok(toV2.stdout.includes(urlOf("site")), toV2.stdout);
      assert.deepEqual(await home(server, "site.localhost"), [200, page("v2")]);

      const toV1 = await faztJson<{ app: AppView; version: VersionView }>(data, [
        "app",
        "rollback",
        "site",
      ]);
      assert.deepEqual([toV1.app.version, toV1.version.number, toV1.version.live], [1, 1, true]);
      assert.deepEqual(await home(server, "site.localhost"), [200, page("v1")]);

      const info = await faztJson<AppInfo>(data, ["app", "info", "site"]);
      assert.equal(info.version, 1);
      assert.deepEqual(info.versions.map((v) => [v.number, v.live]), [
        [3, false],
        [2, false],
        [1, true],
      ]);
    });

    await t.step(
      "rollback with no earlier version fails with exit 1 and changes nothing",
      async () => {
        for (const ref of ["site", siteId]) {
          const res = await fazt(data, ["app", "rollback", ref]);
          assert.equal(res.code, 1, ref);
          assert.match(res.stderr, /^error: App "site" has no earlier version to roll back to\./);
          assert.equal(res.stdout, "");
        }
        assert.deepEqual(await home(server, "site.localhost"), [200, page("v1")]);
      },
    );

    await t.step("rename keeps the ID and files; the old name stops serving", async () => {
      const renamed = await faztJson<AppView>(data, ["app", "rename", "site", "blog"]);
      assert.deepEqual(
        [renamed.id, renamed.name, renamed.url, renamed.version],
        [siteId, "blog", urlOf("blog"), 1],
      );
      const [oldStatus, oldBody] = await home(server, "site.localhost");
      assert.equal(oldStatus, 404);
      assert.match(oldBody, /No app here/);
      assert.deepEqual(await home(server, "blog.localhost"), [200, page("v1")]);
      const about = await server.fetch("blog.localhost", "/about");
      assert.equal(await about.text(), page("about"));

      const back = await fazt(data, ["app", "rename", siteId, "site"]);
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stdout, /^name\s+site$/m);
      assert.match(back.stdout, new RegExp(`^id\\s+${siteId}$`, "m"));
      assert.match(back.stdout, new RegExp(`^url\\s+${urlOf("site")}$`, "m"));
      assert.deepEqual(await home(server, "site.localhost"), [200, page("v1")]);
      assert.equal((await home(server, "blog.localhost"))[0], 404);
    });

    await t.step(
      "rename to a reserved, invalid or taken name fails and changes nothing",
      async () => {
        const cases: [name: string, message: RegExp][] = [
          ["www", /^error: The name "www" is reserved for fazt\./],
          ["api", /^error: The name "api" is reserved for fazt\./],
          ["admin", /^error: The name "admin" is reserved for fazt\./],
          ["Bad_Name", /^error: The name "Bad_Name" is not a valid app name\./],
          ["other", /^error: The name "other" is already taken\./],
        ];
        for (const [name, message] of cases) {
          const res = await fazt(data, ["app", "rename", "site", name]);
          assert.equal(res.code, 1, name);
          assert.match(res.stderr, message, name);
        }
        const apps = await faztJson<AppView[]>(data, ["app", "list"]);
        assert.deepEqual(apps.map((a) => a.name), ["other", "site"]);
        assert.deepEqual(await home(server, "site.localhost"), [200, page("v1")]);
        assert.equal((await home(server, "www.localhost"))[0], 404);
      },
    );

    await t.step("unknown commands and missing arguments exit 2; unknown apps exit 1", async () => {
      const cases: [args: string[], code: number, message: RegExp][] = [
        [["frobnicate"], 2, /^error: Unknown command "frobnicate"\./],
        [["app", "frobnicate"], 2, /^error: Unknown command "fazt app frobnicate"\. Try: app list/],
        [["app", "info"], 2, /^error: Missing app\. Usage: fazt app info <app>/],
        [
          ["app", "rename", "site"],
          2,
          /^error: Missing name\. Usage: fazt app rename <app> <name>/,
        ],
        [["app", "info", "nope"], 1, /^error: No app has the name or ID "nope"\./],
        [["app", "rm", "app_aaaaaaaaaaaaaaaa"], 1, /No app has the name or ID "app_a{16}"/],
      ];
      for (const [args, code, message] of cases) {
        const res = await fazt(data, args);
        assert.equal(res.code, code, args.join(" "));
        assert.match(res.stderr, message, args.join(" "));
        assert.equal(res.stdout, "", args.join(" "));
      }
    });

    await t.step("FAZT_URL with a wrong FAZT_TOKEN fails with exit 1 (unauthorized)", async () => {
      const env = { FAZT_URL: server.url, FAZT_TOKEN: "fazt_wrong_token" };
      const text = await cli(["app", "list"], env);
      assert.equal(text.code, 1);
      assert.match(
        text.stderr,
        /^error: This token is not valid: it is unknown, expired or revoked\./,
      );
      const json = await cli(["app", "list", "--json"], env);
      assert.equal(json.code, 1);
      const body = JSON.parse(json.stderr) as { error: { code: string } };
      assert.equal(body.error.code, "unauthorized");
      // The right token works against the same URL.
      const ok = await cli(["app", "list", "--json"], { ...env, FAZT_TOKEN: server.token });
      assert.equal(ok.code, 0, ok.stderr);
    });

    await t.step("rm deletes an app by name or ID; its host answers 404", async () => {
      const text = await fazt(data, ["app", "rm", "other"]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^name\s+other$/m);
      assert.match(text.stdout, /^deleted\s+true$/m);
      assert.equal((await home(server, "other.localhost"))[0], 404);

      const doomed = await faztJson<DeployOutput>(data, [
        "app",
        "add",
        await siteFolder(dirs, page("doomed")),
        "--name",
        "doomed",
      ]);
      const removed = await faztJson<{ id: string; name: string; deleted: boolean }>(data, [
        "app",
        "rm",
        doomed.app.id,
      ]);
      assert.deepEqual(removed, { id: doomed.app.id, name: "doomed", deleted: true });
      const [status, body] = await home(server, "doomed.localhost");
      assert.equal(status, 404);
      assert.match(body, /No app here/);
      const gone = await fazt(data, ["app", "info", doomed.app.id]);
      assert.equal(gone.code, 1);
      const apps = await faztJson<AppView[]>(data, ["app", "list"]);
      assert.deepEqual(apps.map((a) => a.name), ["site"]);
    });

    await t.step(
      "SIGTERM stops cleanly; the CLI then works in-process; a restart keeps all",
      async () => {
        const before = await faztJson<AppView[]>(data, ["app", "list"]);
        const token = server.token;

        assert.equal(await server.stop("SIGTERM"), 0);
        assert.match(server.output(), /fazt: stopped cleanly/);
        await assert.rejects(Deno.stat(join(data, "server.json")), Deno.errors.NotFound);

        // No server runs now: the CLI opens the data folder in-process.
        const offline = await faztJson<DeployOutput>(data, [
          "app",
          "add",
          await siteFolder(dirs, page("offline")),
          "--name",
          "offline",
        ]);
        assert.equal(offline.created, true);
        assert.equal(offline.app.url, urlOf("offline"), "URLs use the last server's port");
        const listed = await fazt(data, ["app", "list"]);
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stdout, /^offline\s+app_[a-z2-7]{16}\s+1\s+/m);
        assert.match(listed.stdout, /^site\s+/m);

        const again = await start({ dataDir: data });
        assert.equal(again.token, token, "the owner token survives a restart");
        const after = await faztJson<AppView[]>(data, ["app", "list"]);
        assert.deepEqual(
          after.map((a) => [a.id, a.name, a.version]),
          [
            [offline.app.id, "offline", 1],
            ...before.map((a) => [a.id, a.name, a.version]),
          ],
        );
        assert.deepEqual(await home(again, "site.localhost"), [200, page("v1")]);
        assert.deepEqual(await home(again, "offline.localhost"), [200, page("offline")]);

        const mode = (await Deno.stat(join(data, "owner.token"))).mode;
        assert.equal((mode ?? 0) & 0o777, 0o600);
      },
    );

    await t.step("the CLI refuses a folder that holds no fazt data", async () => {
      const empty = await Deno.makeTempDir({ prefix: "fazt-life-empty-" });
      dirs.push(empty);
      const res = await fazt(empty, ["app", "list"]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^error: No fazt data in /);
      assert.deepEqual([...Deno.readDirSync(empty)], [], "nothing was created");
    });

    await t.step("FAZT_DOMAIN sets the domain apps are served under", async () => {
      const custom = await start({ env: { FAZT_DOMAIN: "example.test", FAZT_PORT: "0" } });
      dirs.push(custom.dataDir);
      const out = await faztJson<DeployOutput>(custom.dataDir, [
        "app",
        "add",
        await siteFolder(dirs, page("custom")),
        "--name",
        "site",
      ]);
      assert.equal(out.app.url, `http://site.example.test:${custom.port}/`);
      for (const host of ["site.example.test", `SITE.example.test:${custom.port}`]) {
        assert.deepEqual(await home(custom, host), [200, page("custom")], host);
      }
      assert.equal((await home(custom, "site.localhost"))[0], 404);
      const [status, welcome] = await home(custom, "example.test");
      assert.equal(status, 200);
      assert.ok(welcome.includes("&lt;name&gt;.example.test"), "welcome names the domain");
      const api = await custom.fetch("example.test", "/_fazt/api/apps", {
        headers: { authorization: `Bearer ${custom.token}` },
      });
      assert.equal(api.status, 200, "the API answers on the primary domain");
      await api.body?.cancel();
      assert.equal(await custom.stop(), 0);
    });

    await t.step(
      "invalid FAZT_PORT or FAZT_DOMAIN makes serve exit 2 before touching data",
      async () => {
        const cases: [env: Record<string, string>, message: RegExp][] = [
          [
            { FAZT_PORT: "abc" },
            /^error: --port must be a whole number from 0 to 65535 \(got "abc"\)/,
          ],
          [{ FAZT_PORT: "70000" }, /^error: --port must be a whole number/],
          [{ FAZT_PORT: "1.5" }, /^error: --port must be a whole number/],
          [{ FAZT_DOMAIN: "bad domain" }, /^error: --domain must be a host name/],
        ];
        const dir = join(await Deno.makeTempDir({ prefix: "fazt-life-env-" }), "data");
        dirs.push(join(dir, ".."));
        for (const [env, message] of cases) {
          const res = await cli(["serve", "--data", dir], env);
          assert.equal(res.code, 2, JSON.stringify(env));
          assert.match(res.stderr, message, JSON.stringify(env));
          await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
        }
      },
    );
  } finally {
    const codes = await Promise.all(servers.map((s) => s.stop()));
    for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    assert.deepEqual(codes, servers.map(() => 0));
  }
});
