import assert from "node:assert/strict";
import { join } from "node:path";
import { getPriority } from "node:os";
import { createAppDataService } from "../../../../../kernel/services/appdata/app_data_service.ts";
import { sqlSpawnSpec } from "../../../../../kernel/services/appdata/sql/sql_process.ts";
import { FaztError } from "../../../../../kernel/core/errors.ts";
import {
  APP_A,
  APP_B,
  rejectsWith,
  withDataDir,
  withService,
} from "../../../../_helpers/appdata.ts";
import { isAlive } from "../../../../_helpers/process.ts";
import { APP_NICE } from "../../../../../runtime/process/priority.ts";

const FOREVER =
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c";
const TEN_MILLION_ROWS =
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000000) SELECT x FROM c";

/** Counts event-loop ticks of a 50 ms interval while `fn` runs. */
async function ticksDuring<T>(fn: () => Promise<T>): Promise<{ ticks: number; ms: number }> {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 50);
  const start = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(interval);
  }
  return { ticks, ms: performance.now() - start };
}

function rssMiB(): number {
  return Deno.memoryUsage().rss / (1024 * 1024);
}

Deno.test("a query that never ends is stopped at the timeout while the kernel stays responsive", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (x)");
    await app.sql.exec("INSERT INTO t VALUES (1)");
    const pid = service.sqlPid(APP_A);
    assert.ok(pid !== null && isAlive(pid));

    let failure: unknown;
    const other = service.forApp(APP_B);
    await other.sql.query("SELECT 1");
    const { ticks, ms } = await ticksDuring(async () => {
      const hostile = app.sql.query(FOREVER).catch((err) => failure = err);
      // Meanwhile the kernel answers other apps and other data calls.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await other.sql.query("SELECT 2 AS n"), [{ n: 2 }]);
      await app.kv.set("still", "working");
      assert.equal(await app.kv.get("still"), "working");
      await hostile;
    });
    assert.ok(failure instanceof FaztError, String(failure));
    assert.equal(failure.code, "gateway_timeout");
    assert.match(failure.message, /The SQL query ran longer than 1 s and was stopped/);
    assert.ok(ms >= 950 && ms < 2000, `stopped after ${ms} ms`);
    assert.ok(ticks >= 10, `the event loop ticked only ${ticks} times in ${ms} ms`);
    assert.equal(isAlive(pid), false, "the SQL process is gone");
    assert.equal(service.sqlPid(APP_A), null);

    assert.deepEqual(await app.sql.query("SELECT x FROM t"), [{ x: 1 }]);
    const next = service.sqlPid(APP_A);
    assert.ok(next !== null && next !== pid, "a fresh process serves the next call");
  }, { limits: { sqlTimeoutMs: 1000 } });
});

Deno.test("queryReadOnly() and exec() are stopped at the timeout too, and an endless write leaves nothing behind", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (x)");
    const start = performance.now();
    await rejectsWith(app.sql.queryReadOnly(FOREVER), "gateway_timeout", /longer than 0.5 s/);
    await rejectsWith(
      app.sql.exec(
        "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c",
      ),
      "gateway_timeout",
    );
    assert.ok(performance.now() - start < 3000);
    assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    assert.deepEqual(await app.sql.query("PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
  }, { limits: { sqlTimeoutMs: 500 } });
});

Deno.test("calls queued behind a runaway query run on a fresh process after it is stopped", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    const results = await Promise.allSettled([
      app.sql.query(FOREVER),
      app.sql.query("SELECT 1 AS a"),
      app.sql.query("SELECT 2 AS b"),
    ]);
    assert.equal(results[0].status, "rejected");
    assert.deepEqual(results.slice(1), [
      { status: "fulfilled", value: [{ a: 1 }] },
      { status: "fulfilled", value: [{ b: 2 }] },
    ]);
  }, { limits: { sqlTimeoutMs: 500 } });
});

Deno.test("a huge result is refused inside the SQL process, not loaded into the kernel", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.query("SELECT 1");
    const before = rssMiB();
    const start = performance.now();
    await rejectsWith(
      app.sql.query(TEN_MILLION_ROWS),
      "payload_too_large",
      /at least 10001 rows; the limit is 10000/,
    );
    await rejectsWith(app.sql.queryReadOnly(TEN_MILLION_ROWS), "payload_too_large", /10000/);
    // Few rows, but too many bytes: 1000 rows of 100 kB.
    await rejectsWith(
      app.sql.query(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000) " +
          "SELECT x, randomblob(100000) AS b FROM c",
      ),
      "payload_too_large",
      /larger than 8 MiB/,
    );
    const ms = performance.now() - start;
    const grew = rssMiB() - before;
    assert.ok(ms < 3000, `refusing took ${ms} ms`);
    assert.ok(grew < 40, `kernel RSS grew by ${grew.toFixed(1)} MiB`);
    // The process survived and serves results right at the limits.
    assert.equal(
      (await app.sql.query(TEN_MILLION_ROWS.replace("10000000", "10000"))).length,
      10_000,
    );
  });
});

Deno.test("the result byte limit is configurable and counts names and values", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    assert.deepEqual(await app.sql.query("SELECT ? AS v", ["x".repeat(900)]), [{
      v: "x".repeat(900),
    }]);
    await rejectsWith(
      app.sql.query("SELECT ? AS v", ["x".repeat(1100)]),
      "payload_too_large",
      /larger than 1 KiB/,
    );
    await rejectsWith(
      app.sql.query("SELECT zeroblob(2000) AS b"),
      "payload_too_large",
      /larger than 1 KiB/,
    );
  }, { limits: { maxSqlResultBytes: 1024 } });
});

Deno.test("each app has its own SQL process that sees only its own database; drop() stops it", async () => {
  await withService(async (service, dataDir) => {
    const a = service.forApp(APP_A);
    const b = service.forApp(APP_B);
    await a.sql.exec("CREATE TABLE only_a (v)");
    await a.sql.exec("INSERT INTO only_a VALUES ('A')");
    await b.sql.exec("CREATE TABLE only_b (v)");
    const pidA = service.sqlPid(APP_A);
    const pidB = service.sqlPid(APP_B);
    assert.ok(pidA !== null && pidB !== null && pidA !== pidB);
    const cmdA = Deno.readTextFileSync(`/proc/${pidA}/cmdline`).split("\0");
    assert.ok(cmdA.includes(join(dataDir, "apps", APP_A)), cmdA.join(" "));
    assert.ok(!cmdA.some((arg) => arg.includes(APP_B)));
    assert.equal(getPriority(pidA), APP_NICE, "app SQL yields the CPU to the kernel");

    await rejectsWith(b.sql.query("SELECT * FROM only_a"), "invalid_input", /no such table/);
    await rejectsWith(a.sql.query("SELECT * FROM only_b"), "invalid_input", /no such table/);
    assert.deepEqual(await a.sql.query("SELECT v FROM only_a"), [{ v: "A" }]);
    assert.equal(service.sqlPid(APP_A), pidA, "the process is reused");

    await service.drop(APP_A);
    assert.equal(isAlive(pidA), false);
    assert.equal(service.sqlPid(APP_A), null);
    await assert.rejects(Deno.stat(join(dataDir, "apps", APP_A)), Deno.errors.NotFound);
    assert.ok(isAlive(pidB));
    assert.deepEqual(await b.sql.query("SELECT count(*) AS n FROM only_b"), [{ n: 0 }]);
    // A dropped app starts over with an empty database.
    await rejectsWith(a.sql.query("SELECT * FROM only_a"), "invalid_input", /no such table/);
  });
});

Deno.test("close() stops every SQL process", async () => {
  await withDataDir(async (dataDir) => {
    const service = createAppDataService({ dataDir });
    await service.forApp(APP_A).sql.query("SELECT 1");
    await service.forApp(APP_B).sql.query("SELECT 1");
    const pids = [service.sqlPid(APP_A)!, service.sqlPid(APP_B)!];
    assert.ok(pids.every(isAlive));
    await service.close();
    assert.deepEqual(pids.map(isAlive), [false, false]);
  });
});

Deno.test("an unused SQL process stops after the idle time and restarts on the next call", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (x)");
    const pid = service.sqlPid(APP_A)!;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(service.sqlPid(APP_A), null);
    assert.equal(isAlive(pid), false);
    assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    assert.ok(service.sqlPid(APP_A) !== null);
  }, { sqlIdleMs: 200 });
});

Deno.test("stopIdleSql() stops idle SQL processes at once but not one with a call in flight; the next query reopens transparently", async () => {
  await withService(async (service) => {
    const a = service.forApp(APP_A);
    const b = service.forApp(APP_B);
    await a.sql.exec("CREATE TABLE t (x)");
    await a.sql.exec("INSERT INTO t VALUES (1), (2), (3)");
    await b.sql.query("SELECT 1");
    const pidA = service.sqlPid(APP_A)!;
    const pidB = service.sqlPid(APP_B)!;
    assert.deepEqual(service.sqlPids().sort(), [pidA, pidB].sort());

    // B is in the middle of a query (half a second or more) while A is idle.
    const busy = b.sql.query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000) SELECT count(*) AS n FROM c",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(service.stopIdleSql(), 1);
    assert.equal(service.sqlPid(APP_A), null);
    assert.deepEqual(service.sqlPids(), [pidB]);
    assert.deepEqual(await busy, [{ n: 1000000 }]);
    assert.ok(isAlive(pidB), "the busy process was left alone");
    const deadline = Date.now() + 5000;
    while (isAlive(pidA) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(isAlive(pidA), false, "the idle process has exited");

    assert.deepEqual(await a.sql.query("SELECT x FROM t ORDER BY x"), [{ x: 1 }, { x: 2 }, {
      x: 3,
    }]);
    const next = service.sqlPid(APP_A);
    assert.ok(next !== null && next !== pidA, "a fresh process serves the next call");
    assert.equal(service.stopIdleSql(), 2, "both are idle now");
    assert.equal(service.stopIdleSql(), 0, "nothing left to stop");
  });
});

Deno.test("a SQL process that dies is replaced on the next call", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (x)");
    const pid = service.sqlPid(APP_A)!;
    Deno.kill(pid, "SIGKILL");
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await app.sql.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    assert.notEqual(service.sqlPid(APP_A), pid);
  });
});

Deno.test("values survive the trip through the SQL process unchanged", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE v (id INTEGER PRIMARY KEY, b BLOB, n, s TEXT)");
    const bytes = new Uint8Array(256).map((_, i) => i);
    await app.sql.exec("INSERT INTO v (b, n, s) VALUES (?, ?, ?)", [bytes, 2n ** 40n, "é😀 x"]);
    await app.sql.exec("INSERT INTO v (b, n, s) VALUES (:b, :n, :s)", {
      b: new Uint8Array(0),
      n: -0,
      s: "",
    });
    const rows = await app.sql.query("SELECT b, n, s, typeof(n) AS t FROM v ORDER BY id");
    assert.deepEqual(rows, [
      { b: bytes, n: 2 ** 40, s: "é😀 x", t: "integer" },
      { b: new Uint8Array(0), n: -0, s: "", t: "real" },
    ]);
    assert.ok(rows[0].b instanceof Uint8Array);
    assert.deepEqual(await app.sql.query("SELECT 9e999 AS inf, -9e999 AS ninf, -0.0 AS nz"), [{
      inf: Infinity,
      ninf: -Infinity,
      nz: -0,
    }]);
    assert.ok(Object.is((await app.sql.query("SELECT -0.0 AS nz"))[0].nz, -0));
    // Column names that look like tags or prototypes are just names.
    const odd = await app.sql.query(`SELECT 'x' AS "$bytes", 1 AS "__proto__", 2 AS a, 3 AS a`);
    assert.equal(Object.getPrototypeOf(odd[0]), Object.prototype);
    assert.deepEqual(Object.entries(odd[0]), [["$bytes", "x"], ["__proto__", 1], ["a", 3]]);
    const named = await app.sql.query("SELECT :__proto__ AS p", { __proto__: null } as never);
    assert.deepEqual(named, [{ p: null }]);
    await rejectsWith(
      app.sql.query("SELECT 9223372036854775807 AS big"),
      "invalid_input",
      /too large to be represented as a JavaScript number/,
    );
  });
});

Deno.test("queries stepped with a bound keep order, duplicates, comments and runtime errors", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT)");
    for (const k of ["c", "a", "b"]) await app.sql.exec("INSERT INTO t (k) VALUES (?)", [k]);
    assert.deepEqual(await app.sql.query("SELECT k FROM t ORDER BY k DESC"), [
      { k: "c" },
      { k: "b" },
      { k: "a" },
    ]);
    assert.deepEqual(await app.sql.query("SELECT k FROM t ORDER BY k LIMIT 1 OFFSET 1 /* tail"), [
      { k: "b" },
    ]);
    assert.deepEqual(await app.sql.query("SELECT k FROM t WHERE id = 1 -- c ; x"), [{ k: "c" }]);
    assert.deepEqual(await app.sql.query("VALUES (1, ';'), (2, ')')"), [
      { column1: 1, column2: ";" },
      { column1: 2, column2: ")" },
    ]);
    await rejectsWith(
      app.sql.query("SELECT 1 AS a UNION ALL SELECT abs(-9223372036854775808)"),
      "invalid_input",
      /integer overflow/,
    );
    await rejectsWith(app.sql.query("SELECT json('{')"), "invalid_input", /malformed JSON/);
  });
});

Deno.test("sqlSpawnSpec() runs the SQL process with access to the app's folder only", async () => {
  const spec = await sqlSpawnSpec("/data/apps/app_aaaaaaaaaaaaaaaa");
  assert.equal(spec.command, Deno.execPath());
  assert.ok(spec.args.includes("--allow-read=/data/apps/app_aaaaaaaaaaaaaaaa"));
  assert.ok(spec.args.includes("--allow-write=/data/apps/app_aaaaaaaaaaaaaaaa"));
  assert.ok(!spec.args.some((a) => /^--allow-(net|env|run|ffi|sys|all)/.test(a) || a === "-A"));
  assert.ok(spec.args.includes("--v8-flags=--max-old-space-size=128"));
  assert.equal(spec.env.DENO_V8_FLAGS, "--max-old-space-size=128");
  assert.ok(spec.args.at(-2)!.endsWith("/kernel/services/appdata/sql/sql_process_main.ts"));
  assert.equal(spec.args.at(-1), "/data/apps/app_aaaaaaaaaaaaaaaa");
});

Deno.test("SQLite's heap limit turns an allocation bomb into a clear error; the process lives on, small", async () => {
  const calls: string[] = [];
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (x)");
    const pid = service.sqlPid(APP_A);
    assert.ok(pid !== null);
    for (
      const bomb of [
        "SELECT length(randomblob(900000000)) AS n",
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) SELECT length(group_concat(hex(randomblob(100000)))) AS n FROM c",
      ]
    ) {
      await rejectsWith(
        app.sql.query(bomb),
        "payload_too_large",
        /needed more than the 16 MiB of memory this app's SQL may use/,
      );
    }
    assert.equal(service.sqlPid(APP_A), pid, "the same process answers on");
    assert.deepEqual(await app.sql.query("SELECT 2 AS n"), [{ n: 2 }]);
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const hwmMb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]) / 1024;
    assert.ok(hwmMb < 100, `the SQL process peaked at ${hwmMb.toFixed(0)} MB resident`);
  }, {
    sqlLimits: (appId) => ({
      spawned: (pid) => calls.push(`spawned ${appId} ${pid > 0}`),
      ready: (pid) => {
        calls.push(`ready ${appId} ${pid > 0}`);
        return Promise.resolve();
      },
      exitReason: () => Promise.resolve(null),
      heapLimitBytes: () => 16 * 1024 * 1024,
    }),
  });
  assert.deepEqual(calls, [`spawned ${APP_A} true`, `ready ${APP_A} true`]);
});

Deno.test("a SQL process its app's limits ended fails its call with the limits' reason", async () => {
  await withService(async (service) => {
    const app = service.forApp(APP_A);
    await app.sql.exec("CREATE TABLE t (x)");
    const pid = service.sqlPid(APP_A)!;
    const query = app.sql.query(FOREVER);
    await new Promise((r) => setTimeout(r, 300));
    Deno.kill(pid, "SIGKILL"); // as the OOM killer would
    await rejectsWith(query, "unavailable", /reached its memory cap of 64 MiB/);
    assert.deepEqual(await app.sql.query("SELECT 3 AS n"), [{ n: 3 }], "a fresh process");
    assert.equal(service.killSql(APP_A, new FaztError("unavailable", "over its limits")), true);
    assert.equal(service.killSql(APP_B, new FaztError("unavailable", "over its limits")), false);
  }, {
    sqlLimits: () => ({
      spawned() {},
      ready: () => Promise.resolve(),
      exitReason: (_pid, status) =>
        Promise.resolve(
          status.signal === "SIGKILL"
            ? "The app's processes reached its memory cap of 64 MiB, so the system stopped the largest of them."
            : null,
        ),
      heapLimitBytes: () => 16 * 1024 * 1024,
    }),
  });
});
