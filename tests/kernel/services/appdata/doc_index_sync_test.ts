import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { DocIndexes } from "../../../../apps/doc_fields.ts";
import { docIndexName, docIndexSql } from "../../../../kernel/services/appdata/doc_index_sync.ts";
import { compileFilter, compileSort } from "../../../../kernel/services/appdata/doc_filter.ts";
import { type DocFilter, findQuery } from "../../../../kernel/services/appdata/doc_store.ts";
import { APP_A, withDataDir, withService } from "../../../_helpers/appdata.ts";
import { createAppDataService } from "../../../../kernel/services/appdata/app_data_service.ts";

const storePath = (dataDir: string) => join(dataDir, "apps", APP_A, "store.db");

/** The names of fazt's document indexes in the app's store.db. */
function indexNames(dataDir: string): string[] {
  const db = new DatabaseSync(storePath(dataDir), { readOnly: true });
  try {
    return (db.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'docs_ix:%' ORDER BY name",
    ).all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** The query plan of the statement `find(collection, filter, {sort})` runs. */
function plan(dataDir: string, collection: string, filter: DocFilter, sort?: unknown): string {
  const q = findQuery(collection, compileFilter(filter, 256), compileSort(sort));
  const db = new DatabaseSync(storePath(dataDir), { readOnly: true });
  try {
    return db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params, 10, 0)
      .map((r) => r.detail).join(" | ");
  } finally {
    db.close();
  }
}

const TASKS = Array.from({ length: 300 }, (_, i) => ({
  _id: `t${i}`,
  owner: i % 3 === 0 ? "ada" : i % 3 === 1 ? "alan" : 7,
  status: i % 2 ? "open" : "done",
  due: 300 - i,
  meta: { prio: i % 5 },
}));

const QUERIES: { filter: DocFilter; sort?: Record<string, 1 | -1>; index: string }[] = [
  { filter: { owner: "ada" }, index: "docs_ix:tasks:owner" },
  { filter: { owner: 7 }, index: "docs_ix:tasks:owner" },
  { filter: { owner: { $gt: "alan" } }, index: "docs_ix:tasks:owner" },
  { filter: { "meta.prio": 3 }, index: "docs_ix:tasks:meta.prio" },
  { filter: { status: "open", due: { $lt: 50 } }, index: "docs_ix:tasks:status,due" },
  { filter: { status: "open" }, sort: { due: 1 }, index: "docs_ix:tasks:status,due" },
];

const DECLARED: DocIndexes = { tasks: [["owner"], ["status", "due"], ["meta.prio"]] };

Deno.test("declared indexes are created as the store opens and find's queries use them", async () => {
  await withService(async (service, dataDir) => {
    const app = service.forApp(APP_A);
    await app.docs.insert("tasks", TASKS);
    await app.docs.insert("other", [{ owner: "ada" }]);
    assert.deepEqual(indexNames(dataDir), [
      "docs_ix:tasks:meta.prio",
      "docs_ix:tasks:owner",
      "docs_ix:tasks:status,due",
    ]);
    for (const { filter, sort, index } of QUERIES) {
      assert.match(plan(dataDir, "tasks", filter, sort), new RegExp(`USING INDEX ${index}\\b`));
    }
    // Another collection does not use (and is not in) the tasks indexes.
    assert.doesNotMatch(plan(dataDir, "other", { owner: "ada" }), /docs_ix:/);
    // A field no index covers is searched by no expression.
    assert.doesNotMatch(plan(dataDir, "tasks", { nick: "x" }), /<expr>/);
  }, { docIndexes: () => DECLARED });
});

Deno.test("an index changes no answer: same documents, same order, types still strict", async () => {
  const answers: unknown[][] = [];
  for (const declared of [{}, DECLARED]) {
    await withService(async (service) => {
      const app = service.forApp(APP_A);
      await app.docs.insert("tasks", TASKS);
      const out: unknown[] = [];
      for (const { filter, sort } of QUERIES) {
        out.push(await app.docs.find("tasks", filter, { sort }));
      }
      out.push(await app.docs.find("tasks", { owner: "7" }));
      out.push(await app.docs.count("tasks", { owner: { $in: ["ada", 7] } }));
      answers.push(out);
    }, { docIndexes: () => declared });
  }
  assert.deepEqual(answers[1], answers[0]);
  assert.equal((answers[0][0] as unknown[]).length, 100);
  assert.deepEqual(answers[0][QUERIES.length], []);
});

Deno.test("indexes follow the declaration: undeclared ones dropped, new ones made, kept across reopen", async () => {
  await withDataDir(async (dataDir) => {
    let declared: DocIndexes = DECLARED;
    const first = createAppDataService({ dataDir, docIndexes: () => declared });
    try {
      await first.forApp(APP_A).docs.insert("tasks", TASKS);
      assert.equal(indexNames(dataDir).length, 3);

      // Nothing changed: a refresh does nothing and the indexes stay.
      first.refreshIndexes();
      await first.forApp(APP_A).kv.set("barrier", 1);
      assert.equal(indexNames(dataDir).length, 3);

      declared = { tasks: [["owner"]], notes: [["title"]] };
      first.refreshIndexes();
      // Writes queue behind the sync: once this one is done, the sync is too.
      await first.forApp(APP_A).kv.set("barrier", 2);
      assert.deepEqual(indexNames(dataDir), ["docs_ix:notes:title", "docs_ix:tasks:owner"]);
    } finally {
      await first.close();
    }

    // Reopened with the same declaration: nothing rebuilt, the index is used at once.
    const second = createAppDataService({ dataDir, docIndexes: () => declared });
    try {
      assert.equal((await second.forApp(APP_A).docs.find("tasks", { owner: "ada" })).length, 100);
      assert.deepEqual(indexNames(dataDir), ["docs_ix:notes:title", "docs_ix:tasks:owner"]);
      assert.match(plan(dataDir, "tasks", { owner: "ada" }), /USING INDEX docs_ix:tasks:owner\b/);
    } finally {
      await second.close();
    }

    // A service told nothing about declarations touches no index.
    const third = createAppDataService({ dataDir });
    try {
      await third.forApp(APP_A).kv.set("barrier", 3);
      assert.deepEqual(indexNames(dataDir), ["docs_ix:notes:title", "docs_ix:tasks:owner"]);
    } finally {
      await third.close();
    }
  });
});

Deno.test("a stale index (built differently) is rebuilt; the app's store keeps no other", async () => {
  await withDataDir(async (dataDir) => {
    const declared = { tasks: [["owner"]] };
    const first = createAppDataService({ dataDir, docIndexes: () => declared });
    await first.forApp(APP_A).docs.insert("tasks", TASKS);
    await first.close();
    const db = new DatabaseSync(storePath(dataDir));
    db.exec(`DROP INDEX "${docIndexName("tasks", ["owner"])}"`);
    db.exec(`CREATE INDEX "${docIndexName("tasks", ["owner"])}" ON docs (collection)`);
    db.exec(`CREATE INDEX "docs_ix:gone:x" ON docs (updated_at)`);
    db.close();

    const second = createAppDataService({ dataDir, docIndexes: () => declared });
    try {
      await second.forApp(APP_A).kv.set("barrier", 1);
      assert.deepEqual(indexNames(dataDir), ["docs_ix:tasks:owner"]);
      assert.match(plan(dataDir, "tasks", { owner: "ada" }), /USING INDEX docs_ix:tasks:owner\b/);
    } finally {
      await second.close();
    }
  });
});

Deno.test("docIndexSql writes the filter's own expressions, partial on the collection", () => {
  assert.equal(
    docIndexSql("tasks", ["owner", "a.b"]),
    `CREATE INDEX "docs_ix:tasks:owner,a.b" ON docs (collection, json_extract(body, '$."owner"'), ` +
      `json_extract(body, '$."a"."b"')) WHERE collection = 'tasks'`,
  );
});

Deno.test("docIndexSql refuses names that could leave their quotes", () => {
  assert.throws(() => docIndexSql("t' OR 1", ["a"]), /not a collection name/);
  assert.throws(() => docIndexSql("t", ["a'); DROP TABLE docs; --"]), /not a valid field path/);
});
