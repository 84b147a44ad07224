/**
 * Scale to zero: idle app sandboxes stop after `--idle-timeout`, and at
 * most `--warm-apps` stay warm (least recently used stop first). Sandboxes
 * run at a lower CPU priority than the kernel.
 */
import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { cli, startServer, type TestServer } from "../_helpers/server.ts";
import { APP_NICE } from "../../runtime/process/priority.ts";

async function sandboxes(server: TestServer): Promise<{ appId: string; pid: number }[]> {
  const res = await server.api("GET", "/system/stats");
  return (await res.json()).runtime.processes;
}

async function warmApps(server: TestServer): Promise<string[]> {
  return (await sandboxes(server)).map((p) => p.appId).sort();
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("idle sandboxes stop after --idle-timeout and at most --warm-apps stay warm", async () => {
  const site = await Deno.makeTempDir({ prefix: "fazt-evict-" });
  await Deno.mkdir(`${site}/api`);
  await Deno.writeTextFile(`${site}/api/main.js`, "export default () => 'up';");
  const server = await startServer({ args: ["--warm-apps", "1", "--idle-timeout", "2"] });
  try {
    const ids: Record<string, string> = {};
    for (const name of ["one", "two"]) {
      const add = await cli([
        "app",
        "add",
        site,
        "--name",
        name,
        "--data",
        server.dataDir,
        "--json",
      ]);
      assert.equal(add.code, 0, add.stderr);
      ids[name] = JSON.parse(add.stdout).app.id;
    }
    const hit = async (name: string) => {
      const res = await server.fetch(`${name}.localhost`, "/api");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "up");
    };
    await hit("one");
    assert.deepEqual(await warmApps(server), [ids.one]);
    // App code yields the CPU to the kernel (runtime/process/priority.ts).
    const [sandbox] = await sandboxes(server);
    assert.equal(getPriority(sandbox.pid), APP_NICE, "the sandbox runs at a lower CPU priority");
    assert.equal(getPriority(server.process.pid), 0, "the kernel keeps its own");
    assert.doesNotMatch(server.output(), /could not lower/);
    await hit("two");
    await waitFor(
      "the least recently used app to stop",
      async () => JSON.stringify(await warmApps(server)) === JSON.stringify([ids.two]),
    );
    await waitFor("the idle app to stop", async () => (await warmApps(server)).length === 0);
    await hit("one");
    assert.deepEqual(await warmApps(server), [ids.one], "a stopped app starts again on demand");
  } finally {
    await server.stop();
    await Deno.remove(site, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
