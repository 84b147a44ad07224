/**
 * Backups and restores against real servers and the real CLI: a backup
 * taken while an app writes over HTTP restores (CLI) into a fresh data
 * folder that passes integrity_check, holds every write acknowledged
 * before the backup began, and serves the app, its secret and the old
 * tokens; a kill -9 during a backup leaves no half archive and the server
 * serving after a restart; a kill -9 during `fazt restore` leaves the old
 * or the new data and the server starts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { zipSync } from "fflate";
import { cli, faztCommand, startServer, type TestServer } from "../_helpers/server.ts";

const enc = new TextEncoder();

const APP = {
  "index.html": "<h1>notes</h1>",
  "api/main.js": `export default async (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/api/set") {
    const i = Number(url.searchParams.get("i"));
    await fazt.kv.set("k" + i, i);
    return { ok: true };
  }
  if (url.pathname === "/api/secret") return { value: await fazt.env.get("API_KEY") };
  return { path: url.pathname };
};
`,
};

async function deploy(server: TestServer, app: string, files: Record<string, string | Uint8Array>) {
  const zip = zipSync(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? enc.encode(v) : v]),
    ),
    { level: 0 },
  );
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=${app}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zip as Uint8Array<ArrayBuffer>,
  });
  assert.equal(res.status, 200, await res.text());
}

function integrity(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string })
      .integrity_check;
  } finally {
    db.close();
  }
}

/** Incompressible bytes (crypto.getRandomValues gives at most 64 KiB at a time). */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  }
  return out;
}

Deno.test("e2e: backup under an HTTP write load, CLI restore into a fresh folder, same server state", async () => {
  const fresh = join(await Deno.makeTempDir({ prefix: "fazt-restore-" }), "data");
  const server = await startServer();
  let restored: TestServer | undefined;
  try {
    await deploy(server, "notes", APP);
    assert.equal(
      (await server.api("PUT", "/apps/notes/secrets/API_KEY", { value: "k-123-secret" })).status,
      200,
    );
    const tokenRes = await server.api("POST", "/tokens", { name: "ci", scopes: ["apps:read"] });
    const { token } = await tokenRes.json();

    const acked: { i: number; at: number }[] = [];
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await server.fetch("notes.localhost", `/api/set?i=${i}`);
        assert.equal(res.status, 200);
        acked.push({ i, at: Date.now() });
      }
    })();
    await new Promise((r) => setTimeout(r, 600));
    const created = await cli(["backup", "create", "--data", server.dataDir, "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const record = JSON.parse(created.stdout);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    const startedAt = Date.parse(record.startedAt);
    const before = acked.filter((a) => a.at < startedAt);
    assert.ok(before.length >= 5, `writes were acknowledged before the backup (${before.length})`);
    assert.ok(acked.length > before.length, "and after it began");

    const listed = await cli(["backup", "list", "--data", server.dataDir, "--json"]);
    assert.deepEqual(JSON.parse(listed.stdout).map((b: { name: string }) => b.name), [record.name]);
    const archive = join(server.dataDir, "backups", record.name);

    const refused = await cli(["restore", archive, "--data", server.dataDir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is serving .* Stop it first/);

    const done = await cli(["restore", archive, "--data", fresh]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Restored fazt-backup-/);
    const id = (await (await server.api("GET", "/apps/notes")).json()).id;
    for (const f of ["kernel.db", `apps/${id}/store.db`]) {
      assert.equal(integrity(join(fresh, f)), "ok", f);
    }

    restored = await startServer({ dataDir: fresh });
    for (const { i } of before) {
      const res = await restored.api("GET", `/apps/notes/data/kv/k${i}`);
      assert.deepEqual(await res.json(), { key: `k${i}`, value: i }, `k${i}`);
    }
    const page = await restored.fetch("notes.localhost", "/");
    assert.equal(await page.text(), "<h1>notes</h1>");
    const secret = await restored.fetch("notes.localhost", "/api/secret");
    assert.deepEqual(await secret.json(), { value: "k-123-secret" });
    const apps = await fetch(`${restored.url}/_fazt/api/apps`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(apps.status, 200, "a token made before the backup works on the restored server");
    assert.equal((await apps.json()).length, 1);
  } finally {
    await restored?.stop();
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
    await Deno.remove(join(fresh, ".."), { recursive: true });
  }
});

Deno.test("e2e: a kill -9 during a backup leaves no half archive, and the server serves after a restart", async () => {
  let server = await startServer();
  const dataDir = server.dataDir;
  try {
    await deploy(server, "big", { "index.html": "big", "blob.bin": noise(40 * 1024 * 1024) });
    const folder = join(dataDir, "backups");
    await Deno.mkdir(folder, { recursive: true });
    const pending = server.api("POST", "/backups", {}).catch(() => null);
    const deadline = Date.now() + 20_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      for (const e of Deno.readDirSync(folder)) if (e.name.startsWith(".fazt-backup-")) seen = true;
      if (!seen) await new Promise((r) => setTimeout(r, 1));
    }
    assert.ok(seen, "the backup began");
    await server.stop("SIGKILL");
    await pending;
    const names = [...Deno.readDirSync(folder)].map((e) => e.name);
    assert.ok(!names.some((n) => n.endsWith(".tar") && !n.startsWith(".")), names.join(", "));

    const offline = await cli(["backup", "list", "--data", dataDir, "--json"]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(JSON.parse(offline.stdout), [], "list shows no half archive");

    server = await startServer({ dataDir });
    assert.equal(await (await server.fetch("big.localhost", "/")).text(), "big");
    const again = await server.api("POST", "/backups", {});
    assert.equal(again.status, 201, await again.text());
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("e2e: a kill -9 during `fazt restore` leaves the old or the new data, and the server starts", async () => {
  let server = await startServer();
  const dataDir = server.dataDir;
  try {
    await deploy(server, "site", { "index.html": "new", "blob.bin": noise(30 * 1024 * 1024) });
    const made = await (await server.api("POST", "/backups", {})).json();
    const archive = join(dataDir, "..", `${made.name}`);
    await Deno.copyFile(join(dataDir, "backups", made.name), archive);
    await deploy(server, "site", { "index.html": "old" });
    await server.stop();
    // Each restore is killed a little later after its staging folder appears (it is unpacking).
    const parent = join(dataDir, "..");
    const staging = `.${dataDir.split("/").at(-1)}.restore-`;
    const outcomes: string[] = [];
    const delays = [0, 15, 40, 80, 150, 300];
    for (const delayMs of delays) {
      const child = faztCommand(["restore", archive, "--data", dataDir]).spawn();
      const deadline = Date.now() + 20_000;
      let staged = false;
      while (!staged && Date.now() < deadline) {
        staged = [...Deno.readDirSync(parent)].some((e) => e.name.startsWith(staging));
        if (!staged) await new Promise((r) => setTimeout(r, 1));
      }
      await new Promise((r) => setTimeout(r, delayMs));
      try {
        child.kill("SIGKILL");
      } catch {
        // it finished first
      }
      await child.status;
      await Promise.all([child.stdout.cancel(), child.stderr.cancel()]).catch(() => {});
      server = await startServer({ dataDir });
      const body = await (await server.fetch("site.localhost", "/")).text();
      assert.ok(body === "old" || body === "new", `killed ${delayMs} ms into unpacking: ${body}`);
      outcomes.push(body);
      await deploy(server, "site", { "index.html": "old" });
      await server.stop();
    }
    for (const e of Deno.readDirSync(parent)) {
      assert.ok(!e.name.startsWith(`.${dataDir.split("/").at(-1)}.restore`), e.name);
    }
    console.log(
      `restores killed ${delays.join("/")} ms into unpacking; the server then served: ${
        outcomes.join(", ")
      }`,
    );
    await Deno.remove(archive);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
    for (const e of Deno.readDirSync(join(dataDir, ".."))) {
      if (e.name.startsWith(`${dataDir.split("/").at(-1)}.before-restore-`)) {
        await Deno.remove(join(dataDir, "..", e.name), { recursive: true });
      }
    }
  }
});
