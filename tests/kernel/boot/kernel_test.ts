import assert from "node:assert/strict";
import { withKernel } from "../../_helpers/kernel.ts";
import { eventually, isAlive } from "../../_helpers/process.ts";

const APP = "app_aaaaaaaaaaaaaaaa";

Deno.test("under memory pressure the memory guard stops an idle app SQL process; the next query reopens it with the data intact", async () => {
  await withKernel(async (t) => {
    const appData = t.kernel.services.appData;
    const sql = appData.forApp(APP).sql;
    await sql.exec("CREATE TABLE notes (body TEXT)");
    await sql.exec("INSERT INTO notes VALUES ('kept')");
    const pid = appData.sqlPid(APP)!;
    assert.ok(isAlive(pid));
    // Past the evict threshold, the guard's next check (every second) stops it.
    await eventually(5000, "the SQL process is stopped", () => appData.sqlPid(APP) === null);
    await eventually(5000, "the SQL process has exited", () => !isAlive(pid));
    assert.ok((t.kernel.services.guards.memory()?.trips.evict ?? 0) > 0);
    assert.deepEqual(await sql.query("SELECT body FROM notes"), [{ body: "kept" }]);
    const next = appData.sqlPid(APP);
    assert.ok(next !== null && next !== pid);
  }, {
    memoryGuard: true,
    memoryLimits: { shrinkCacheAt: 1, evictAt: 1, shedAt: Number.MAX_SAFE_INTEGER },
  });
});

Deno.test("an app's SQL process stops after the sandbox idle timeout when that is shorter than its own", async () => {
  await withKernel(async (t) => {
    const appData = t.kernel.services.appData;
    const sql = appData.forApp(APP).sql;
    await sql.exec("CREATE TABLE t (x)");
    await sql.exec("INSERT INTO t VALUES (42)");
    const pid = appData.sqlPid(APP)!;
    await eventually(3000, "the idle SQL process is stopped", () => !isAlive(pid));
    assert.equal(appData.sqlPid(APP), null);
    assert.deepEqual(await sql.query("SELECT x FROM t"), [{ x: 42 }]);
  }, { sandboxIdleMs: 300 });
});
