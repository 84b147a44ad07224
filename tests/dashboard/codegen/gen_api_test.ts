/**
 * The dashboard's generated API view (dashboard/codegen/gen_api.ts →
 * dashboard/src/gen/): the committed files are what the generator makes
 * from the registry today, and the route table says what the REST codec
 * does with each operation's input.
 */
import assert from "node:assert/strict";
import { generateApi } from "../../../dashboard/codegen/gen_api.ts";
import { ROUTES, SCOPES } from "../../../dashboard/src/gen/api.ts";
import { OPERATIONS } from "../../../kernel/ops/registry.ts";
import { SCOPES as KERNEL_SCOPES } from "../../../kernel/services/auth/scopes.ts";

const GEN = new URL("../../../dashboard/src/gen/", import.meta.url);

Deno.test("the committed dashboard/src/gen/ files equal a fresh generation", async () => {
  const fresh = await generateApi();
  for (const [name, text] of Object.entries(fresh)) {
    const committed = await Deno.readTextFile(new URL(name, GEN));
    assert.ok(
      committed === text,
      `dashboard/src/gen/${name} is stale: run \`deno task dashboard:api\` and commit the result`,
    );
  }
  const names = [];
  for await (const entry of Deno.readDir(GEN)) names.push(entry.name);
  assert.deepEqual(names.sort(), Object.keys(fresh).sort(), "gen/ holds only generated files");
});

Deno.test("every operation has its route: the registry's method and path, nothing else", () => {
  assert.deepEqual(Object.keys(ROUTES), OPERATIONS.map((op) => op.name));
  for (const op of OPERATIONS) {
    const route = ROUTES[op.name as keyof typeof ROUTES];
    assert.equal(route.method, op.http.method, op.name);
    assert.equal(route.path, op.http.path, op.name);
    assert.equal(route.stream === true, op.http.stream === true, `${op.name}: stream`);
    assert.deepEqual(
      route.upload,
      op.http.upload && { field: op.http.upload.field, types: op.http.upload.contentTypes },
      `${op.name}: upload`,
    );
  }
});

Deno.test("fields outside the path go where the REST codec reads them", () => {
  for (const op of OPERATIONS) {
    const route = ROUTES[op.name as keyof typeof ROUTES];
    const inPath = [...op.http.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const fields = Object.keys(op.input.shape ?? {});
    const others = fields.filter((f) => !inPath.includes(f) && f !== op.http.upload?.field);
    const fromQuery = op.http.upload !== undefined || op.http.method === "GET" ||
      op.http.method === "DELETE";
    assert.equal(
      route.rest,
      others.length === 0 ? undefined : fromQuery ? "query" : "body",
      `${op.name}: ${others.join(", ")}`,
    );
    for (const field of route.json ?? []) {
      assert.ok(others.includes(field), `${op.name}: ${field} is a query field`);
    }
  }
  // Objects in the query string travel as their JSON text.
  assert.deepEqual(ROUTES["data.docs_find"].json, ["filter", "sort"]);
});

Deno.test("the scope list is the kernel's", () => {
  assert.deepEqual([...SCOPES], [...KERNEL_SCOPES]);
});
