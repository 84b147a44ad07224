/**
 * The property-based fuzz test of the REST API, driven by the served
 * OpenAPI document (see `tests/_helpers/openapi_fuzz.ts`): valid and invalid
 * input to every operation over real HTTP against a real server, with a
 * fixed seed and a bounded number of cases. `deno task fuzz` runs it longer.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describeViolations, fuzzOpenApi } from "../_helpers/openapi_fuzz.ts";
import { startServer } from "../_helpers/server.ts";

/** The suite's seed: the same requests every run. */
const SEED = 1307;
/** Cases per operation and kind (valid, invalid). */
const RUNS = 6;

Deno.test("fuzz: every operation answers valid and invalid input within its declared contract", async () => {
  const server = await startServer();
  try {
    const doc = await (await fetch(`${server.url}/_fazt/api/openapi.json`)).json();
    const report = await fuzzOpenApi(server, { seed: SEED, runs: RUNS });
    assert.equal(
      report.violations.length,
      0,
      `seed ${SEED}:\n${describeViolations(report.violations)}`,
    );
    // Every operation of the document got both kinds of input (where invalid input exists).
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap((item) => Object.values(item).map((op) => op.operationId));
    for (const id of ids) {
      const stats = report.perOp[id];
      assert.ok(stats && stats.valid > 0, `${id} got valid input`);
    }
    const withoutInvalid = ids.filter((id) => report.perOp[id].invalid === 0);
    // Only operations that take no input at all have no invalid input to send.
    for (const id of withoutInvalid) {
      const op = Object.values(doc.paths as Record<string, Record<string, Record<string, unknown>>>)
        .flatMap((item) => Object.values(item)).find((o) => o.operationId === id)!;
      assert.ok(!op.parameters && !op.requestBody, `${id} got invalid input`);
    }
    const internal = server.output().split("\n").filter((l) => l.includes("internal error"));
    assert.deepEqual(internal, [], "no internal error reached the server log");
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
});
