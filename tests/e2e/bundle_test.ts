/**
 * `deno compile` cannot run on our machines (it downloads its runtime), so
 * this proves the same self-containment with `deno bundle`: the whole
 * program becomes one JS file that runs from an empty folder with no config,
 * no lock file and no network for modules, under the `fazt` task's flags,
 * and starts its sandboxes from itself.
 */
import assert from "node:assert/strict";
import { FAZT_FLAGS, hostFetch, ROOT } from "../_helpers/server.ts";
import { zipFiles } from "../_helpers/kernel.ts";

Deno.test("the bundled fazt runs self-contained from an empty folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-bundle-" });
  try {
    const out = `${dir}/fazt.js`;
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "-o", out, "main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bundle.code, 0, new TextDecoder().decode(bundle.stderr));

    const empty = `${dir}/empty`;
    await Deno.mkdir(empty);
    const proc = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--cached-only",
        "--no-remote",
        ...FAZT_FLAGS,
        out,
        "serve",
        "--port",
        "0",
        "--data",
        `${empty}/data`,
      ],
      cwd: empty,
      stdout: "piped",
      stderr: "piped",
      env: { DENO_DIR: `${dir}/deno-dir`, NO_COLOR: "1" },
    }).spawn();
    let text = "";
    const dec = new TextDecoder();
    const pump = (async () => {
      for await (const c of proc.stdout) text += dec.decode(c);
    })();
    const errs = (async () => {
      for await (const c of proc.stderr) text += dec.decode(c);
    })();
    try {
      const deadline = Date.now() + 20_000;
      let port = 0;
      while (!port && Date.now() < deadline) {
        port = Number(text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1] ?? 0);
        if (!port) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(port, `the bundle did not start:\n${text}`);
      const health = await (await hostFetch(port, "localhost", "/_fazt/health")).json();
      assert.equal(health.status, "ok");
      const token = (await Deno.readTextFile(`${empty}/data/owner.token`)).trim();
      const deploy = await hostFetch(port, "localhost", "/_fazt/api/deploy?app=solo", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/zip" },
        body: zipFiles({ "index.html": "<p>bundled</p>" }),
      });
      assert.equal(deploy.status, 200, await deploy.text());
      const page = await hostFetch(port, "solo.localhost", "/");
      assert.equal(await page.text(), "<p>bundled</p>");
      // Sandboxes re-run the bundle: app code runs, locked down as from source.
      const api = await hostFetch(port, "localhost", "/_fazt/api/deploy?app=probe", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/zip" },
        body: zipFiles({
          "api/main.js": `const tryIt = async (f) => {
  try {
    return String(await f());
  } catch (err) {
    return String(err).slice(0, 80);
  }
};
export default async () => ({
  events: await tryIt(async () => typeof (await import("node:events")).EventEmitter),
  lodash: await tryIt(() => require("lodash").chunk([1, 2, 3], 2).length),
  fs: await tryIt(() => import("node:fs")),
  npm: await tryIt(() => import("npm:zod")),
  cwd: Deno.cwd(),
});
`,
        }),
      });
      assert.equal(api.status, 200, await api.text());
      const probed = await hostFetch(port, "probe.localhost", "/api/probe");
      assert.deepEqual(await probed.json(), {
        events: "function",
        lodash: "2",
        fs: "Error: node:fs is not available to apps: a fazt app has no file system, sockets,",
        npm: "TypeError: npm specifiers were requested; but --no-npm is specified",
        cwd: "/",
      });
      // The MCP SDK, loaded on the first MCP request, is inside the bundle too.
      const mcp = await hostFetch(port, "localhost", "/_fazt/mcp", {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      assert.equal(mcp.status, 200);
      const tools = (await mcp.json()).result.tools as { name: string }[];
      assert.ok(tools.some((t) => t.name === "apps_list"));
      // Backups snapshot on a worker thread whose code is inline: it runs from the bundle too.
      const backup = await hostFetch(port, "localhost", "/_fazt/api/backups", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: "{}",
      });
      const made = await backup.text();
      assert.equal(backup.status, 201, made);
      assert.equal(JSON.parse(made).files, 2, "kernel.db and secrets.key");
    } finally {
      proc.kill("SIGTERM");
      await proc.status;
      await pump;
      await errs;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
