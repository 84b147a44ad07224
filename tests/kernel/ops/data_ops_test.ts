/**
 * The app data operations (`data.*`) and `apps.deploy_files` over REST:
 * what they return, what they refuse, and that they reach the same per-app
 * stores as the app's own code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type TestKernel, withKernel } from "../../_helpers/kernel.ts";

async function json(res: Response): Promise<unknown> {
  return await res.json();
}

async function demo(t: TestKernel): Promise<string> {
  const res = await t.deploy("demo", { "index.html": "<h1>demo</h1>" });
  assert.equal(res.status, 200, await res.text());
  return t.kernel.services.apps.resolve("demo").id;
}

Deno.test("data.kv_*: set, get, list with prefix and paging, delete", async () => {
  await withKernel(async (t) => {
    const id = await demo(t);
    for (const [key, value] of [["user:1", { n: 1 }], ["user:2", [1, 2]], ["other", "x"]]) {
      const res = await t.api("PUT", `/apps/demo/data/kv/${encodeURIComponent(String(key))}`, {
        body: { value },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { key, expiresAt: null });
    }
    const withTtl = await json(
      await t.api("PUT", "/apps/demo/data/kv/temp", { body: { value: 1, ttl: 60 } }),
    ) as { expiresAt: string };
    assert.ok(Date.parse(withTtl.expiresAt) > Date.now());

    // The app's own code sees the same store.
    assert.deepEqual(await t.kernel.services.appData.forApp(id).kv.get("user:1"), { n: 1 });

    const got = await t.api("GET", "/apps/demo/data/kv/user%3A2");
    assert.deepEqual(await json(got), { key: "user:2", value: [1, 2] });
    const missing = await t.api("GET", "/apps/demo/data/kv/nope");
    assert.deepEqual(await json(missing), { key: "nope", value: null });

    const page1 = await json(
      await t.api("GET", "/apps/demo/data/kv?prefix=user%3A&limit=1"),
    ) as { keys: { key: string }[]; cursor: string };
    assert.deepEqual(page1.keys.map((k) => k.key), ["user:1"]);
    const page2 = await json(
      await t.api(
        "GET",
        `/apps/demo/data/kv?prefix=user%3A&limit=1&cursor=${encodeURIComponent(page1.cursor)}`,
      ),
    ) as { keys: { key: string }[]; cursor: string | null };
    assert.deepEqual(page2.keys.map((k) => k.key), ["user:2"]);

    const del = await t.api("DELETE", "/apps/demo/data/kv/other");
    assert.deepEqual(await json(del), { key: "other", deleted: true });
    const again = await t.api("DELETE", "/apps/demo/data/kv/other");
    assert.deepEqual(await json(again), { key: "other", deleted: false });

    const noValue = await t.api("PUT", "/apps/demo/data/kv/k", { body: {} });
    assert.equal(noValue.status, 400);
    assert.match(JSON.stringify(await json(noValue)), /give a value/);
    const noApp = await t.api("GET", "/apps/ghost/data/kv/k");
    assert.equal(noApp.status, 404);
    await noApp.body?.cancel();
  });
});

Deno.test("data.kv_set: a ttl that is not a positive number of at most 10 years is a 400 and stores nothing", async () => {
  await withKernel(async (t) => {
    await demo(t);
    for (const ttl of [1e300, 315_360_001, 0, -5, "60", true, null, [60], { s: 60 }]) {
      const res = await t.api("PUT", "/apps/demo/data/kv/k", { body: { value: 1, ttl } });
      assert.equal(res.status, 400, `ttl ${JSON.stringify(ttl)}`);
      assert.equal((await res.json()).error.code, "invalid_input");
    }
    // JSON has no Infinity, but 1e999 parses to it.
    const inf = await t.api("PUT", "/apps/demo/data/kv/k", {
      raw: { body: '{"value":1,"ttl":1e999}', type: "application/json" },
    });
    assert.equal(inf.status, 400);
    const list = await t.api("GET", "/apps/demo/data/kv");
    assert.equal(list.status, 200);
    assert.deepEqual(await json(list), { keys: [], cursor: null });

    const longest = await t.api("PUT", "/apps/demo/data/kv/k", {
      body: { value: 1, ttl: 315_360_000 },
    });
    assert.equal(longest.status, 200);
    const { expiresAt } = await json(longest) as { expiresAt: string };
    assert.ok(Date.parse(expiresAt) > Date.now() + 9 * 365 * 86_400_000);
  });
});

Deno.test("data.kv_list and kv_get answer for a key an older version stored with an absurd expiry", async () => {
  await withKernel(async (t) => {
    const id = await demo(t);
    await t.api("PUT", "/apps/demo/data/kv/old", { body: { value: "kept" } });
    const raw = new DatabaseSync(join(t.dataDir, "apps", id, "store.db"));
    try {
      raw.prepare("UPDATE kv SET expires_at = ? WHERE key = 'old'").run(1e303);
    } finally {
      raw.close();
    }
    const list = await t.api("GET", "/apps/demo/data/kv");
    assert.equal(list.status, 200);
    assert.deepEqual(await json(list), { keys: [{ key: "old", expiresAt: null }], cursor: null });
    assert.deepEqual(await json(await t.api("GET", "/apps/demo/data/kv/old")), {
      key: "old",
      value: "kept",
    });
  });
});

Deno.test("data.kv_list and docs_find: limits and offsets are bounded whole numbers, also in the query string", async () => {
  await withKernel(async (t) => {
    await demo(t);
    for (
      const query of [
        "limit=0",
        "limit=1001",
        "limit=1.5",
        "limit=abc",
        "limit=",
        "limit=%201",
        "limit=0x10",
        "limit=1e2",
        "limit=99999999999999999999999",
        "limit=1&limit=2",
      ]
    ) {
      for (const path of ["/apps/demo/data/kv", "/apps/demo/data/docs/things"]) {
        const res = await t.api("GET", `${path}?${query}`);
        assert.equal(res.status, 400, `${path}?${query}`);
        assert.equal((await res.json()).error.code, "invalid_input");
      }
    }
    for (const query of ["offset=-1", "offset=1000000001", "offset=NaN", "offset=Infinity"]) {
      const res = await t.api("GET", `/apps/demo/data/docs/things?${query}`);
      assert.equal(res.status, 400, query);
    }
    assert.equal((await t.api("GET", "/apps/demo/data/kv?limit=1000")).status, 200);
    assert.equal((await t.api("GET", "/apps/demo/data/docs/things?limit=1&offset=5")).status, 200);
  });
});

Deno.test("data.docs_find: filter, sort and paging, as JSON or JSON text", async () => {
  await withKernel(async (t) => {
    const id = await demo(t);
    await t.kernel.services.appData.forApp(id).docs.insert("posts", [
      { _id: "a", n: 1, draft: false },
      { _id: "b", n: 3, draft: true },
      { _id: "c", n: 2, draft: false },
    ]);
    const q = (params: Record<string, unknown>) =>
      "?" + new URLSearchParams(
        Object.entries(params).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      );
    const all = await json(await t.api("GET", "/apps/demo/data/docs/posts")) as { _id: string }[];
    assert.deepEqual(all.map((d) => d._id), ["a", "b", "c"]);
    const published = await json(
      await t.api(
        "GET",
        `/apps/demo/data/docs/posts${q({ filter: { draft: false }, sort: { n: -1 } })}`,
      ),
    ) as { _id: string }[];
    assert.deepEqual(published.map((d) => d._id), ["c", "a"]);
    const paged = await json(
      await t.api("GET", `/apps/demo/data/docs/posts${q({ limit: "1", offset: "1" })}`),
    ) as { _id: string }[];
    assert.deepEqual(paged.map((d) => d._id), ["b"]);
    const badJson = await t.api("GET", "/apps/demo/data/docs/posts?filter=%7Bnope");
    assert.equal(badJson.status, 400);
    assert.match(JSON.stringify(await json(badJson)), /not valid JSON/);
    const badOperator = await t.api(
      "GET",
      `/apps/demo/data/docs/posts${q({ filter: { n: { $regex: "x" } } })}`,
    );
    assert.equal(badOperator.status, 400);
    await badOperator.body?.cancel();
  });
});

Deno.test("data.docs_collections lists collections with counts, sorted by name", async () => {
  await withKernel(async (t) => {
    const id = await demo(t);
    assert.deepEqual(await json(await t.api("GET", "/apps/demo/data/docs")), []);
    const docs = t.kernel.services.appData.forApp(id).docs;
    await docs.insert("posts", [{ n: 1 }, { n: 2 }]);
    await docs.insert("comments", { n: 1 });
    assert.deepEqual(await json(await t.api("GET", "/apps/demo/data/docs")), [
      { name: "comments", count: 1 },
      { name: "posts", count: 2 },
    ]);
    const missing = await t.api("GET", "/apps/nope/data/docs");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("data.sql_query reads, and refuses anything that writes", async () => {
  await withKernel(async (t) => {
    const id = await demo(t);
    const sql = t.kernel.services.appData.forApp(id).sql;
    await sql.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, big INTEGER, raw BLOB)");
    await sql.exec("INSERT INTO notes (body, big, raw) VALUES (?, ?, ?)", [
      "hello",
      2 ** 40,
      new Uint8Array([1, 2, 3]),
    ]);
    const query = (body: unknown) => t.api("POST", "/apps/demo/data/sql", { body });
    const rows = await json(
      await query({
        sql: "SELECT id, body, big, raw FROM notes WHERE body = :b",
        params: { b: "hello" },
      }),
    );
    assert.deepEqual(rows, [{
      id: 1,
      body: "hello",
      big: 2 ** 40,
      raw: { base64: "AQID" },
    }]);
    const schema = await query({ sql: "PRAGMA table_info(notes)" });
    assert.equal(schema.status, 200);
    assert.equal((await json(schema) as unknown[]).length, 4);

    for (
      const statement of [
        "DELETE FROM notes",
        "  -- a comment\n INSERT INTO notes (body) VALUES ('x')",
        "DROP TABLE notes",
        "WITH x AS (SELECT 1) DELETE FROM notes",
        "PRAGMA user_version = 5",
      ]
    ) {
      const res = await query({ sql: statement });
      const body = JSON.stringify(await json(res));
      assert.equal(res.status, 403, `${statement}: ${body}`);
    }
    const still = await sql.query("SELECT count(*) AS n FROM notes");
    assert.deepEqual(still, [{ n: 1 }]);
    const broken = await query({ sql: "SELEC nothing" });
    assert.equal(broken.status, 403);
    await broken.body?.cancel();
    const syntax = await query({ sql: "SELECT FROM WHERE" });
    assert.equal(syntax.status, 400);
    assert.match(JSON.stringify(await json(syntax)), /SQL error/);
  });
});

Deno.test("apps.deploy_files deploys inline files atomically, with archive rules and limits", async () => {
  await withKernel(async (t) => {
    const deploy = (app: string, files: unknown) =>
      t.api("POST", `/apps/${app}/deploy-files`, { body: { files } });
    const ok = await deploy("inline", {
      "index.html": { text: "<h1>inline</h1>" },
      "img/dot.bin": { base64: "AAEC" },
    });
    assert.equal(ok.status, 200);
    const out = await json(ok) as { app: { name: string; files: number }; created: boolean };
    assert.deepEqual([out.app.name, out.app.files, out.created], ["inline", 2, true]);
    const page = await t.get("inline.localhost", "/");
    assert.equal(await page.text(), "<h1>inline</h1>");
    const bin = await t.get("inline.localhost", "/img/dot.bin");
    assert.deepEqual(new Uint8Array(await bin.arrayBuffer()), new Uint8Array([0, 1, 2]));

    // Refusals leave the live version alone.
    const refusals: [unknown, number, RegExp][] = [
      [{}, 400, /at least one file/],
      [{ "../x": { text: "" } }, 400, /has a .*\.\..* segment/],
      [{ "/abs.html": { text: "" } }, 400, /absolute/],
      [{ "a//b": { text: "" } }, 400, /empty folder name/],
      [{ "a\\b": { text: "" } }, 400, /backslash/],
      [{ "x.bin": { base64: "!!" } }, 400, /not valid base64/],
      [{ "x.txt": { text: "a", base64: "YQ==" } }, 400, /invalid_input/],
      [{ "app.json": { text: "{ nope" } }, 400, /app\.json/],
      [
        Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`f${i}.txt`, { text: "" }])),
        413,
        /1000/,
      ],
      [
        {
          "a.txt": { text: "x".repeat(6 * 1024 * 1024) },
          "b.txt": { text: "y".repeat(5 * 1024 * 1024) },
        },
        413,
        /10485760 bytes/,
      ],
    ];
    for (const [files, status, message] of refusals) {
      const res = await deploy("inline", files);
      const body = JSON.stringify(await json(res));
      assert.equal(res.status, status, body);
      assert.match(body, message);
    }
    const app = await json(await t.api("GET", "/apps/inline")) as { version: number };
    assert.equal(app.version, 1);

    // The CLI form: files as JSON text.
    const text = await deploy("inline", JSON.stringify({ "index.html": { text: "v2" } }));
    assert.equal(text.status, 200);
    assert.equal(await (await t.get("inline.localhost", "/")).text(), "v2");
  });
});

Deno.test("apps.deploy_files stores paths in NFC and refuses one name given in two Unicode forms", async () => {
  await withKernel(async (t) => {
    const deploy = (files: unknown) => t.api("POST", "/apps/uni/deploy-files", { body: { files } });
    const twice = await deploy({
      "index.html": { text: "home" },
      "caf\u00e9.html": { text: "nfc" },
      "cafe\u0301.html": { text: "nfd" },
    });
    assert.equal(twice.status, 400);
    const err = (await json(twice) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, "invalid_input");
    assert.match(err.message, /caf\\u00e9\.html.*cafe\\u0301\.html.*two Unicode forms/);
    assert.equal((await t.api("GET", "/apps/uni")).status, 404, "nothing was created");

    const nfd = await deploy({
      "index.html": { text: "home" },
      "cafe\u0301.html": { text: "nfd" },
    });
    assert.equal(nfd.status, 200);
    const files = await json(await t.api("GET", "/apps/uni/files")) as { path: string }[];
    assert.deepEqual(files.map((f) => f.path).sort(), ["caf\u00e9.html", "index.html"]);
    for (const path of ["/caf%C3%A9", "/cafe%CC%81"]) {
      const res = await t.get("uni.localhost", path);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), "nfd");
    }
    const read = await t.api("GET", `/apps/uni/file?path=${encodeURIComponent("cafe\u0301.html")}`);
    assert.equal(read.status, 200);
    assert.equal((await json(read) as { content: string }).content, "nfd");
  });
});

Deno.test('input with a "__proto__" key anywhere is refused, never silently dropped', async () => {
  await withKernel(async (t) => {
    await demo(t);
    const cases: [string, string, string][] = [
      [
        "POST",
        "/apps/demo/deploy-files",
        '{"files":{"__proto__":{"text":"x"},"a.html":{"text":"y"}}}',
      ],
      ["POST", "/apps", '{"name":"x","__proto__":{"admin":true}}'],
      ["PUT", "/apps/demo/data/kv/k", '{"value":{"a":{"__proto__":1}}}'],
      ["POST", "/apps/demo/data/sql", '{"sql":"SELECT :a","params":{"__proto__":1}}'],
    ];
    for (const [method, path, body] of cases) {
      const res = await t.api(method, path, { raw: { body, type: "application/json" } });
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.match((await json(res) as { error: { message: string } }).error.message, /__proto__/);
    }
    const filter = encodeURIComponent('{"__proto__":{"x":1}}');
    const res = await t.api("GET", `/apps/demo/data/docs/things?filter=${filter}`);
    assert.equal(res.status, 400);
    assert.equal((await t.api("GET", "/apps/demo/data/kv/k")).status, 200);
    assert.deepEqual(await json(await t.api("GET", "/apps/demo/data/kv/k")), {
      key: "k",
      value: null,
    });
  });
});
