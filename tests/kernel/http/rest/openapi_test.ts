import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";
import { OPERATIONS } from "../../../../kernel/ops/registry.ts";
import type { AnyOperation } from "../../../../kernel/ops/operation.ts";
import { topHelp } from "../../../../kernel/cli/cli.ts";
import { buildOpenApi } from "../../../../kernel/http/rest/openapi.ts";
import { VERSION } from "../../../../kernel/core/version.ts";

type Json = Record<string, unknown>;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function record(v: unknown, what: string): Json {
  assert.ok(isRecord(v), `${what} should be an object`);
  return v;
}

async function fetchDocument(t: TestKernel, init?: RequestInit): Promise<Response> {
  return await t.kernel.handler(new Request("http://127.0.0.1/_fazt/api/openapi.json", init));
}

async function servedDocument(t: TestKernel): Promise<Json> {
  const res = await fetchDocument(t);
  assert.equal(res.status, 200);
  return record(await res.json(), "the document");
}

/** Every operation object of the document, with where it is. */
function operationsOf(doc: Json): { method: string; path: string; op: Json }[] {
  const out: { method: string; path: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(record(doc.paths, "paths"))) {
    for (const [method, op] of Object.entries(record(item, path))) {
      if (METHODS.includes(method)) out.push({ method, path, op: record(op, `${method} ${path}`) });
    }
  }
  return out;
}

function fillPath(path: string): string {
  return path.replace(/\{[^}]+\}/g, "x");
}

/**
 * The transports `op` is missing from. The REST probe carries an unknown
 * query field, which every (strict) input schema refuses, so no handler
 * runs; a missing route answers 404 "No API route matches" (or 405 when
 * only the method is missing).
 */
async function missingFrom(
  op: Pick<AnyOperation, "name" | "http" | "cli">,
  t: TestKernel,
  doc: Json,
  help: string,
): Promise<string[]> {
  const missing: string[] = [];
  const res = await t.kernel.handler(
    new Request(`http://127.0.0.1/_fazt/api${fillPath(op.http.path)}?__probe=1`, {
      method: op.http.method,
      headers: { authorization: `Bearer ${t.kernel.ownerToken}` },
    }),
  );
  const text = await res.text();
  let message = "";
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && isRecord(body.error) && typeof body.error.message === "string") {
      message = body.error.message;
    }
  } catch {
    // not JSON: the route answered with something else
  }
  if (
    (res.status === 404 && message.startsWith("No API route matches")) || res.status === 405
  ) {
    missing.push("REST");
  }
  const words = op.cli.words.join(" ");
  if (!help.split("\n").some((line) => line.trim().startsWith(`${words} `))) missing.push("CLI");
  if (!operationsOf(doc).some((o) => o.op.operationId === op.name)) missing.push("OpenAPI");
  return missing;
}

Deno.test("openapi: the served document is valid OpenAPI 3.1", async () => {
  await withKernel(async (t) => {
    const res = await fetchDocument(t);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const doc = record(await res.json(), "the document");
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.info, { ...record(doc.info, "info"), title: "fazt", version: VERSION });
    assert.deepEqual(doc.servers, [{ url: "/_fazt/api" }]);

    assert.ok(Validator.supportedVersions.has("3.1"));
    const validator = new Validator();
    const result = await validator.validate(doc);
    if (!result.valid) console.error(JSON.stringify(result.errors, null, 2));
    assert.equal(result.valid, true);
    assert.equal(validator.version, "3.1");
  });
});

Deno.test("openapi: the validator rejects a broken document", async () => {
  const doc = buildOpenApi(OPERATIONS, { version: VERSION });
  const broken = structuredClone(doc);
  const paths = record(broken.paths, "paths");
  record(record(paths["/apps"], "/apps").get, "get /apps").responses = "none";
  const result = await new Validator().validate(broken);
  assert.equal(result.valid, false);
});

Deno.test("openapi: needs no credentials, answers HEAD, refuses POST", async () => {
  await withKernel(async (t) => {
    const head = await fetchDocument(t, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const post = await fetchDocument(t, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
    const anon = await t.api("GET", "/openapi.json", { token: null });
    assert.equal(anon.status, 200);
    await anon.body?.cancel();
  });
});

Deno.test("openapi: every operation appears exactly once, where REST serves it", async () => {
  await withKernel(async (t) => {
    const doc = await servedDocument(t);
    const all = operationsOf(doc);
    for (const op of OPERATIONS) {
      const found = all.filter((o) => o.op.operationId === op.name);
      assert.equal(found.length, 1, `${op.name} should appear once`);
      assert.equal(found[0].method, op.http.method.toLowerCase(), op.name);
      assert.equal(found[0].path, op.http.path, op.name);
      assert.equal(found[0].op.summary, op.summary, op.name);
      assert.deepEqual(found[0].op.tags, [op.name.split(".")[0]], op.name);
      const responses = record(found[0].op.responses, `${op.name} responses`);
      assert.ok(String(op.http.status ?? 200) in responses, `${op.name} success status`);
      if (op.access === "public") {
        assert.deepEqual(found[0].op.security, [], op.name);
      } else {
        assert.deepEqual(found[0].op.security, [{ bearerAuth: [] }, { cookieAuth: [] }], op.name);
        assert.equal(found[0].op["x-fazt-scope"], op.access, op.name);
        assert.ok("401" in responses && "403" in responses, `${op.name} auth errors`);
      }
      assert.equal(found[0].op["x-fazt-app-field"], op.appField, op.name);
    }
    const ids = all.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
    assert.equal(all.length, OPERATIONS.length + 1, "the operations plus the document itself");
  });
});

Deno.test("openapi: every path parameter is declared and required", async () => {
  await withKernel(async (t) => {
    const doc = await servedDocument(t);
    for (const { method, path, op } of operationsOf(doc)) {
      const declared = (Array.isArray(op.parameters) ? op.parameters : [])
        .map((p) => record(p, "parameter"))
        .filter((p) => p.in === "path");
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      assert.deepEqual(declared.map((p) => p.name).sort(), [...names].sort(), `${method} ${path}`);
      for (const p of declared) {
        assert.equal(p.required, true, `${method} ${path} {${String(p.name)}}`);
        assert.ok(isRecord(p.schema), `${method} ${path} {${String(p.name)}} schema`);
      }
    }
  });
});

Deno.test("openapi: JSON bodies are strict; GET, DELETE and uploads take query parameters", async () => {
  await withKernel(async (t) => {
    const doc = await servedDocument(t);
    let bodies = 0;
    for (const op of OPERATIONS) {
      const found = operationsOf(doc).find((o) => o.op.operationId === op.name);
      assert.ok(found, op.name);
      const params = (Array.isArray(found.op.parameters) ? found.op.parameters : [])
        .map((p) => record(p, "parameter"));
      const body = found.op.requestBody === undefined
        ? undefined
        : record(found.op.requestBody, `${op.name} requestBody`);
      const inputFields = Object.keys(op.input.shape);
      if (op.http.upload) {
        const content = record(body?.content, `${op.name} upload content`);
        assert.deepEqual(Object.keys(content), [...op.http.upload.contentTypes]);
        assert.ok(!params.some((p) => p.name === op.http.upload?.field), op.name);
      } else if (op.http.method === "GET" || op.http.method === "DELETE") {
        assert.equal(body, undefined, `${op.name} has no body`);
        assert.deepEqual(params.map((p) => p.name).sort(), [...inputFields].sort(), op.name);
      } else {
        const content = record(body?.content, `${op.name} body content`);
        const schema = record(
          record(content["application/json"], `${op.name} JSON`).schema,
          `${op.name} body schema`,
        );
        assert.equal(schema.additionalProperties, false, `${op.name} body is strict`);
        assert.equal(schema.type, "object", op.name);
        const bodyFields = Object.keys(record(schema.properties, `${op.name} properties`));
        assert.deepEqual(
          [...bodyFields, ...params.map((p) => String(p.name))].sort(),
          [...inputFields].sort(),
          `${op.name}: body plus path parameters are the input`,
        );
        bodies++;
      }
    }
    assert.ok(bodies > 0, "some operations take JSON bodies");
  });
});

Deno.test("openapi: session, stream and error responses", async () => {
  await withKernel(async (t) => {
    const doc = await servedDocument(t);
    const byId = (id: string) => {
      const found = operationsOf(doc).find((o) => o.op.operationId === id);
      assert.ok(found, id);
      return found.op;
    };
    const login = record(record(byId("auth.login").responses, "responses")["200"], "login 200");
    assert.ok(isRecord(record(login.headers, "login headers")["Set-Cookie"]));
    const loginSchema = record(
      record(record(login.content, "content")["application/json"], "json").schema,
      "schema",
    );
    assert.ok(!("session" in record(loginSchema.properties, "properties")));
    assert.ok(!(Array.isArray(loginSchema.required) && loginSchema.required.includes("session")));

    const tail = record(record(byId("logs.tail").responses, "responses")["200"], "tail 200");
    const sse = record(record(tail.content, "content")["text/event-stream"], "sse");
    assert.equal(record(sse["x-fazt-event-data"], "event data").type, "object");

    const components = record(doc.components, "components");
    assert.ok(isRecord(record(components.schemas, "schemas").Error));
    const schemes = record(components.securitySchemes, "securitySchemes");
    assert.deepEqual(record(schemes.bearerAuth, "bearer").scheme, "bearer");
    assert.deepEqual(record(schemes.cookieAuth, "cookie").name, "fazt_session");
    for (const { method, path, op } of operationsOf(doc)) {
      for (const [status, res] of Object.entries(record(op.responses, "responses"))) {
        if (status !== "default" && Number(status) < 400) continue;
        const json = record(record(record(res, status).content, status)["application/json"], "");
        assert.deepEqual(json.schema, { $ref: "#/components/schemas/Error" }, `${method} ${path}`);
      }
    }
  });
});

Deno.test("openapi: an operation missing from REST, CLI or OpenAPI fails this test", async () => {
  await withKernel(async (t) => {
    const doc = await servedDocument(t);
    const help = topHelp();
    const problems: string[] = [];
    for (const op of OPERATIONS) {
      const missing = await missingFrom(op, t, doc, help);
      if (missing.length > 0) problems.push(`${op.name} is missing from ${missing.join(", ")}`);
    }
    assert.deepEqual(problems, []);

    // The check itself notices an operation that no transport knows.
    const ghost = {
      name: "ghost.haunt",
      http: { method: "GET" as const, path: "/ghosts/{id}" },
      cli: { words: ["ghost", "haunt"] },
    };
    assert.deepEqual(await missingFrom(ghost, t, doc, help), ["REST", "CLI", "OpenAPI"]);
    // …and one whose path exists only for another method.
    const wrongMethod = { ...OPERATIONS[0], http: { ...OPERATIONS[0].http, method: "PATCH" } };
    assert.deepEqual(
      await missingFrom({ ...wrongMethod, name: "ghost.patch" } as AnyOperation, t, doc, help),
      ["REST", "OpenAPI"],
    );
  });
});

Deno.test("openapi: a query parameter holding an object is declared as JSON text (content), not form fields", async () => {
  await withKernel(async (t) => {
    const doc = await servedDocument(t);
    const find = record(
      record(record(doc.paths, "paths")["/apps/{app}/data/docs/{collection}"], "path").get,
      "docs_find",
    );
    const params = (find.parameters as unknown[]).map((p) => record(p, "parameter"));
    const filter = params.find((p) => p.name === "filter")!;
    assert.equal(filter.schema, undefined);
    const json = record(record(filter.content, "content")["application/json"], "json");
    assert.equal(record(json.schema, "schema").type, "object");
    const limit = params.find((p) => p.name === "limit")!;
    assert.deepEqual(limit.schema, { type: "integer", minimum: 1, maximum: 1000 });
  });
});
