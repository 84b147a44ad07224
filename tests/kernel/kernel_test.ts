import assert from "node:assert/strict";
import { withKernel } from "../_helpers/kernel.ts";

const APP = "app_aaaaaaaaaaaaaaaa";

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

Deno.test("under memory pressure the memory guard stops an idle app SQL process; the next query reopens it with the data intact", async () => {
  await withKernel(async (t) => {
    const appData = t.kernel.services.appData;
    const sql = appData.forApp(APP).sql;
    await sql.exec("CREATE TABLE notes (body TEXT)");
    await sql.exec("INSERT INTO notes VALUES ('kept')");
    const pid = appData.sqlPid(APP)!;
    assert.ok(alive(pid));
    // Past the evict threshold, the guard's next check (every second) stops it.
    await until("the SQL process is stopped", () => appData.sqlPid(APP) === null);
    await until("the SQL process has exited", () => !alive(pid));
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
    await until("the idle SQL process is stopped", () => !alive(pid), 3000);
    assert.equal(appData.sqlPid(APP), null);
    assert.deepEqual(await sql.query("SELECT x FROM t"), [{ x: 42 }]);
  }, { sandboxIdleMs: 300 });
});
