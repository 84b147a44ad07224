import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { AppData } from "../../../../kernel/services/appdata/app_data_service.ts";
import { type ErrorCode, FaztError } from "../../../../kernel/core/errors.ts";
import { APP_A as APP, rejectsWith, withApp } from "../../../_helpers/appdata.ts";

async function withTodos(fn: (app: AppData, dataDir: string) => Promise<void>) {
  await withApp(async (app, { dataDir }) => {
    await app.sql.exec(
      "CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)",
    );
    await app.sql.exec("INSERT INTO todos (title) VALUES (?), (?)", ["write", "test"]);
    await fn(app, dataDir);
  });
}

Deno.test("sql create, insert and select with positional and named parameters", async () => {
  await withApp(async (app) => {
    assert.deepEqual(
      await app.sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, n REAL)"),
      { changes: 0, lastInsertRowid: 0 },
    );
    assert.deepEqual(
      await app.sql.exec("INSERT INTO t (name, data, n) VALUES (?, ?, ?)", [
        "ada",
        new Uint8Array([0, 255]),
        1.5,
      ]),
      { changes: 1, lastInsertRowid: 1 },
    );
    assert.deepEqual(
      await app.sql.exec("INSERT INTO t (name, n) VALUES (:name, $n)", { name: "alan", n: true }),
      { changes: 1, lastInsertRowid: 2 },
    );
    const rows = await app.sql.query("SELECT id, name, data, n FROM t ORDER BY id");
    assert.deepEqual(rows, [
      { id: 1, name: "ada", data: new Uint8Array([0, 255]), n: 1.5 },
      { id: 2, name: "alan", data: null, n: 1 },
    ]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype, "rows are plain objects");
    assert.deepEqual(await app.sql.query("SELECT name FROM t WHERE id = ?", [2]), [{
      name: "alan",
    }]);
  });
});

Deno.test("sql exec() reports changes, and query() returns rows of RETURNING", async () => {
  await withTodos(async (app) => {
    assert.deepEqual(await app.sql.exec("UPDATE todos SET done = 1"), {
      changes: 2,
      lastInsertRowid: 2,
    });
    assert.deepEqual(
      await app.sql.query("INSERT INTO todos (title) VALUES (?) RETURNING id, title", ["ship"]),
      [{ id: 3, title: "ship" }],
    );
    assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM todos"), [{ n: 3 }]);
  });
});

Deno.test("sql parameters are data: injection attempts are stored as text", async () => {
  await withTodos(async (app) => {
    const evil = "x'); DROP TABLE todos; --";
    await app.sql.exec("INSERT INTO todos (title) VALUES (?)", [evil]);
    assert.deepEqual(await app.sql.query("SELECT title FROM todos WHERE title = ?", [evil]), [{
      title: evil,
    }]);
    assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM todos"), [{ n: 3 }]);
  });
});

const SQL_ERRORS: [string, string, unknown, RegExp][] = [
  ["a syntax error", "SELEC 1", undefined, /SQL error: near "SELEC": syntax error/],
  ["a missing table", "SELECT * FROM nope", undefined, /no such table: nope/],
  ["two statements", "SELECT 1; DROP TABLE todos", undefined, /one SQL statement per call/],
  ["two statements after a comment", "/* c */ SELECT 1; SELECT 2 -- x", undefined, /one SQL/],
  ["an empty string", "", undefined, /empty/],
  ["only a comment", "  -- nothing here\n", undefined, /empty/],
  ["only semicolons", " ; ; ", undefined, /empty/],
  ["an unterminated comment", "/* SELECT 1", undefined, /empty/],
  ["an undefined parameter", "SELECT ?", [undefined], /parameter 1 is undefined/],
  ["an object parameter", "SELECT ?", [{ a: 1 }], /parameter 1 is an object/],
  ["a NaN parameter", "SELECT ?", [Number.NaN], /parameter 1/],
  ["too many parameters", "SELECT ?", [1, 2], /SQL error/],
  ["parameters that are not an array or object", "SELECT ?", "1", /array .* or an object/],
  ["SQL that is not a string", 5 as unknown as string, undefined, /must be a string/],
];
for (const [name, sql, params, message] of SQL_ERRORS) {
  Deno.test(`sql ${name} is invalid_input with a clear message`, async () => {
    await withTodos(async (app) => {
      for (const run of [app.sql.query, app.sql.exec, app.sql.queryReadOnly]) {
        await rejectsWith(run(sql, params as unknown[]), "invalid_input", message);
      }
      assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM todos"), [{ n: 2 }]);
    });
  });
}

Deno.test("sql errors carry SQLite's message but no stack or file path", async () => {
  await withTodos(async (app, dataDir) => {
    const err = await app.sql.query("SELECT * FROM nope").catch((e: FaztError) => e);
    assert.ok(err instanceof FaztError);
    assert.equal(err.message, "SQL error: no such table: nope");
    assert.equal(JSON.stringify(err.toJSON()).includes(dataDir), false);
  });
});

Deno.test("sql accepts one statement with a trailing semicolon and comments", async () => {
  await withTodos(async (app) => {
    assert.deepEqual(await app.sql.query("  -- lead\n SELECT 1 AS a ; /* tail */ ; -- end"), [{
      a: 1,
    }]);
    assert.deepEqual(await app.sql.query("SELECT ';' AS s -- ;"), [{ s: ";" }]);
  });
});

const REFUSED: [string, string, RegExp][] = [
  ["ATTACH of a file", "ATTACH DATABASE 'other.db' AS other", /ATTACH is not allowed/],
  ["ATTACH of memory", "ATTACH ':memory:' AS m", /ATTACH is not allowed/],
  ["DETACH", "DETACH DATABASE main", /DETACH is not allowed/],
  ["VACUUM INTO", "VACUUM INTO 'copy.db'", /VACUUM INTO/],
  ["VACUUM", "VACUUM", /VACUUM is not available/],
  [
    "load_extension()",
    "SELECT load_extension('/tmp/evil.so')",
    /load_extension\(\) is not allowed/,
  ],
  ["load_extension() with an entry point", "SELECT load_extension('x', 'init')", /load_extension/],
  ["fts3_tokenizer()", "SELECT fts3_tokenizer('simple')", /fts3_tokenizer/],
  ["PRAGMA journal_mode = DELETE", "PRAGMA journal_mode = DELETE", /PRAGMA journal_mode/],
  ["PRAGMA writable_schema", "PRAGMA writable_schema = ON", /PRAGMA writable_schema/],
  ["PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = OFF", /PRAGMA foreign_keys/],
  ["PRAGMA query_only = OFF", "PRAGMA query_only = OFF", /PRAGMA query_only/],
  ["PRAGMA synchronous = OFF", "PRAGMA synchronous = OFF", /PRAGMA synchronous/],
  ["PRAGMA temp_store_directory", "PRAGMA temp_store_directory = '/tmp'", /PRAGMA/],
  ["PRAGMA trusted_schema = ON", "PRAGMA trusted_schema = ON", /PRAGMA trusted_schema/],
  ["PRAGMA cache_size", "PRAGMA cache_size = 1000000", /PRAGMA cache_size/],
  ["PRAGMA database_list", "PRAGMA database_list", /PRAGMA database_list/],
  ["BEGIN", "BEGIN", /Transactions/],
  ["SAVEPOINT", "SAVEPOINT s", /Transactions/],
  ["COMMIT", "COMMIT", /Transactions/],
];
for (const [name, sql, message] of REFUSED) {
  Deno.test(`sql refuses ${name} as forbidden`, async () => {
    await withTodos(async (app, dataDir) => {
      await rejectsWith(app.sql.exec(sql), "forbidden", message);
      await rejectsWith(app.sql.query(sql), "forbidden", message);
      await rejectsWith(app.sql.queryReadOnly(sql), "forbidden");
      const files = [...Deno.readDirSync(join(dataDir, "apps", APP))].map((e) => e.name).sort();
      assert.deepEqual(
        files.filter((f) => !f.startsWith("sql.db")),
        [],
        "no file appeared next to sql.db",
      );
      assert.deepEqual(await app.sql.query("PRAGMA journal_mode"), [{ journal_mode: "wal" }]);
      assert.deepEqual(await app.sql.query("PRAGMA foreign_keys"), [{ foreign_keys: 1 }]);
    });
  });
}

Deno.test("sql refuses load_extension() inside a trigger when the trigger fires", async () => {
  await withTodos(async (app) => {
    await app.sql.exec(
      "CREATE TRIGGER evil AFTER INSERT ON todos BEGIN SELECT load_extension('/tmp/evil.so'); END",
    );
    await rejectsWith(
      app.sql.exec("INSERT INTO todos (title) VALUES ('x')"),
      "forbidden",
      /load_extension/,
    );
    assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM todos"), [{ n: 2 }]);
  });
});

Deno.test("sql allows read-only introspection pragmas and the app's user_version", async () => {
  await withTodos(async (app) => {
    const columns = await app.sql.query("PRAGMA table_info(todos)");
    assert.deepEqual(columns.map((c) => c.name), ["id", "title", "done"]);
    assert.deepEqual(
      (await app.sql.query("SELECT name FROM pragma_table_info('todos') ORDER BY cid")).map((r) =>
        r.name
      ),
      ["id", "title", "done"],
    );
    assert.deepEqual(await app.sql.query("PRAGMA index_list(todos)"), []);
    await app.sql.exec("PRAGMA user_version = 7");
    assert.deepEqual(await app.sql.query("PRAGMA user_version"), [{ user_version: 7 }]);
    assert.deepEqual(await app.sql.queryReadOnly("PRAGMA user_version"), [{ user_version: 7 }]);
    await rejectsWith(app.sql.queryReadOnly("PRAGMA user_version = 8"), "forbidden");
  });
});

Deno.test("sql queryReadOnly() runs SELECT and WITH", async () => {
  await withTodos(async (app) => {
    assert.deepEqual(await app.sql.queryReadOnly("SELECT title FROM todos WHERE id = ?", [1]), [{
      title: "write",
    }]);
    assert.deepEqual(
      await app.sql.queryReadOnly(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) SELECT x FROM n",
      ),
      [{ x: 1 }, { x: 2 }, { x: 3 }],
    );
    await app.sql.exec("INSERT INTO todos (title) VALUES ('seen')");
    assert.deepEqual(await app.sql.queryReadOnly("SELECT count(*) AS n FROM todos"), [{ n: 3 }]);
  });
});

const WRITES: [string, string][] = [
  ["INSERT", "INSERT INTO todos (title) VALUES ('x')"],
  ["UPDATE", "UPDATE todos SET done = 1"],
  ["DELETE", "DELETE FROM todos"],
  ["DROP TABLE", "DROP TABLE todos"],
  ["CREATE TABLE", "CREATE TABLE t2 (x)"],
  ["CREATE TEMP TABLE", "CREATE TEMP TABLE t2 (x)"],
  ["INSERT ... RETURNING", "INSERT INTO todos (title) VALUES ('x') RETURNING id"],
  ["a write hidden behind WITH", "WITH x AS (SELECT 1) DELETE FROM todos"],
  ["REPLACE", "REPLACE INTO todos (id, title) VALUES (1, 'y')"],
  ["ALTER TABLE", "ALTER TABLE todos ADD COLUMN z"],
  ["VACUUM", "VACUUM"],
];
for (const [name, sql] of WRITES) {
  Deno.test(`sql queryReadOnly() refuses ${name} and nothing changes`, async () => {
    await withTodos(async (app) => {
      await rejectsWith(app.sql.queryReadOnly(sql), "forbidden", /read-only query may only read/);
      assert.deepEqual(await app.sql.query("SELECT id, title, done FROM todos ORDER BY id"), [
        { id: 1, title: "write", done: 0 },
        { id: 2, title: "test", done: 0 },
      ]);
      assert.deepEqual(
        (await app.sql.query("SELECT name FROM sqlite_schema WHERE type = 'table'")).map((r) =>
          r.name
        ),
        ["todos"],
      );
    });
  });
}

Deno.test("sql queries returning more rows than the limit are payload_too_large", async () => {
  await withApp(async (app) => {
    const rows = (n: number) =>
      `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${n}) SELECT x FROM n`;
    assert.equal((await app.sql.query(rows(10))).length, 10);
    await rejectsWith(app.sql.query(rows(11)), "payload_too_large", /11 rows; the limit is 10/);
    await rejectsWith(app.sql.queryReadOnly(rows(11)), "payload_too_large", /limit is 10/);
  }, { limits: { maxSqlRows: 10 } });
});

const RUNTIME_ERRORS: [string, string, ErrorCode, RegExp][] = [
  [
    "a constraint failing in INSERT ... RETURNING",
    "INSERT INTO todos (title) VALUES (NULL) RETURNING id",
    "invalid_input",
    /NOT NULL constraint failed/,
  ],
  [
    "an integer overflow while selecting",
    "SELECT abs(-9223372036854775808) AS a",
    "invalid_input",
    /integer overflow/,
  ],
  ["a VACUUM INTO refused while running", "VACUUM INTO 'copy.db'", "forbidden", /VACUUM INTO/],
];
for (const [name, sql, code, message] of RUNTIME_ERRORS) {
  Deno.test(`sql query() reports ${name} instead of returning no rows`, async () => {
    await withTodos(async (app) => {
      await rejectsWith(app.sql.query(sql), code, message);
      assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM todos"), [{ n: 2 }]);
    });
  });
}

Deno.test("sql statements longer than the limit are payload_too_large", async () => {
  await withApp(async (app) => {
    await app.sql.query(`SELECT '${"x".repeat(80)}' AS s`);
    await rejectsWith(
      app.sql.query(`SELECT '${"x".repeat(100)}' AS s`),
      "payload_too_large",
      /Pass data as parameters/,
    );
  }, { limits: { maxSqlBytes: 100 } });
});

Deno.test("sql.db holds only the app's own tables, and foreign keys are enforced", async () => {
  await withApp(async (app, { dataDir }) => {
    await app.kv.set("k", 1);
    await app.docs.insert("c", { a: 1 });
    await app.sql.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    await app.sql.exec("CREATE TABLE child (pid INTEGER REFERENCES parent(id))");
    await rejectsWith(
      app.sql.exec("INSERT INTO child VALUES (42)"),
      "invalid_input",
      /FOREIGN KEY constraint failed/,
    );
    const raw = new DatabaseSync(join(dataDir, "apps", APP, "sql.db"), { readOnly: true });
    try {
      const names = raw.prepare("SELECT name FROM sqlite_schema ORDER BY name").all().map((r) =>
        r.name
      );
      assert.deepEqual(names, ["child", "parent"]);
    } finally {
      raw.close();
    }
  });
});

Deno.test("sql cannot reach store.db through its schema name or a path", async () => {
  await withApp(async (app, { dataDir }) => {
    await app.kv.set("secret", "kv data");
    await rejectsWith(app.sql.query("SELECT * FROM kv"), "invalid_input", /no such table: kv/);
    await rejectsWith(
      app.sql.exec(`ATTACH '${join(dataDir, "apps", APP, "store.db")}' AS s`),
      "forbidden",
    );
    await rejectsWith(app.sql.query("SELECT * FROM s.kv"), "invalid_input", /no such table/);
  });
});
