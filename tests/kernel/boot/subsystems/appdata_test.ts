import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";

/** The names of fazt's document indexes in the app's store.db. */
function indexNames(dataDir: string, appId: string): string[] {
  const db = new DatabaseSync(join(dataDir, "apps", appId, "store.db"), { readOnly: true });
  try {
    return (db.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'docs_ix:%' ORDER BY name",
    ).all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

const manifest = (indexes: unknown) => JSON.stringify({ indexes });

async function deploy(t: TestKernel, files: Record<string, string>): Promise<Response> {
  return await t.deploy("todo", { "index.html": "<p>todo</p>", ...files });
}

/** A write of the app: it queues behind any index sync, so once it is done, the sync is too. */
async function barrier(t: TestKernel): Promise<void> {
  const res = await t.api("PUT", "/apps/todo/data/kv/barrier", { body: { value: 1 } });
  assert.equal(res.status, 200, await res.text());
}

Deno.test("app.json's indexes: built on first use, kept over redeploys, changed by a deploy or rollback", async () => {
  await withKernel(async (t) => {
    const first = await deploy(t, {
      "app.json": manifest({ tasks: ["owner", ["status", "due"]] }),
    });
    assert.equal(first.status, 200, await first.text());
    const appId = (await (await t.api("GET", "/apps/todo")).json()).id as string;

    // The store opens on the app's first data call and builds the declared indexes.
    assert.equal((await t.api("GET", "/apps/todo/data/docs/tasks")).status, 200);
    await barrier(t);
    assert.deepEqual(indexNames(t.dataDir, appId), [
      "docs_ix:tasks:owner",
      "docs_ix:tasks:status,due",
    ]);

    // The same declaration again: the indexes survive the redeploy.
    const same = await deploy(t, {
      "app.json": manifest({ tasks: ["owner", ["status", "due"]] }),
      "about.html": "v2",
    });
    assert.equal(same.status, 200, await same.text());
    await barrier(t);
    assert.deepEqual(indexNames(t.dataDir, appId), [
      "docs_ix:tasks:owner",
      "docs_ix:tasks:status,due",
    ]);

    // A bad declaration is refused with a 400 naming the field; nothing changes.
    const bad = await deploy(t, { "app.json": manifest({ tasks: ["owner", "bad path!"] }) });
    assert.equal(bad.status, 400);
    const error = (await bad.json()).error;
    assert.equal(error.code, "invalid_manifest");
    assert.match(error.message, /"indexes\.tasks\.1" must be a field path/);
    await barrier(t);
    assert.deepEqual(indexNames(t.dataDir, appId), [
      "docs_ix:tasks:owner",
      "docs_ix:tasks:status,due",
    ]);

    // A new declaration applies to the open store at once.
    const changed = await deploy(t, { "app.json": manifest({ notes: ["title"] }) });
    assert.equal(changed.status, 200, await changed.text());
    await barrier(t);
    assert.deepEqual(indexNames(t.dataDir, appId), ["docs_ix:notes:title"]);

    // Rolling back brings the earlier version's indexes back.
    const rolled = await t.api("POST", "/apps/todo/rollback", { body: {} });
    assert.equal(rolled.status, 200, await rolled.text());
    await barrier(t);
    assert.deepEqual(indexNames(t.dataDir, appId), [
      "docs_ix:tasks:owner",
      "docs_ix:tasks:status,due",
    ]);

    // No app.json: no index.
    const plain = await deploy(t, { "about.html": "v4" });
    assert.equal(plain.status, 200, await plain.text());
    await barrier(t);
    assert.deepEqual(indexNames(t.dataDir, appId), []);
  });
});
