/**
 * The JSON Schema → TypeScript printer (kernel/core/json_schema_ts.ts):
 * what each construct of the subset prints as, and that the printed types
 * accept what the schema allows and refuse what it does not (checked by
 * `deno check` on a file that uses them).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  docComment,
  type JsonSchema,
  propertyName,
  schemaToTs,
} from "../../../kernel/core/json_schema_ts.ts";

Deno.test("plain types: string, number and integer, boolean, null, anything, nothing", () => {
  assert.equal(schemaToTs({ type: "string" }), "string");
  assert.equal(schemaToTs({ type: "number" }), "number");
  assert.equal(schemaToTs({ type: "integer", minimum: 1 }), "number");
  assert.equal(schemaToTs({ type: "boolean" }), "boolean");
  assert.equal(schemaToTs({ type: "null" }), "null");
  assert.equal(schemaToTs({}), "unknown");
  assert.equal(schemaToTs({ description: "The stored JSON value." }), "unknown");
  assert.equal(schemaToTs(true), "unknown");
  assert.equal(schemaToTs(false), "never");
});

Deno.test("type lists, anyOf and oneOf are unions; nullable adds null", () => {
  assert.equal(schemaToTs({ type: ["string", "null"] }), "string | null");
  assert.equal(
    schemaToTs({ anyOf: [{ type: "integer" }, { type: "null" }], description: "x" }),
    "number | null",
  );
  assert.equal(schemaToTs({ oneOf: [{ type: "string" }, { type: "string" }] }), "string");
  assert.equal(schemaToTs({ type: "string", nullable: true }), "string | null");
  // A member that allows anything makes the union anything.
  assert.equal(schemaToTs({ anyOf: [{ type: "string" }, {}] }), "unknown");
});

Deno.test("enum and const are literal types", () => {
  assert.equal(schemaToTs({ type: "string", enum: ["utf-8", "base64"] }), '"utf-8" | "base64"');
  assert.equal(schemaToTs({ type: "number", const: -1 }), "-1");
  assert.equal(schemaToTs({ enum: ["a", 1, true, null] }), '"a" | 1 | true | null');
  assert.equal(schemaToTs({ const: { a: [1, "b"] } }), '{ a: readonly [1, "b"] }');
});

Deno.test("arrays and tuples; compound items are parenthesised", () => {
  assert.equal(schemaToTs({ type: "array", items: { type: "string" } }), "string[]");
  assert.equal(schemaToTs({ type: "array" }), "unknown[]");
  assert.equal(
    schemaToTs({ type: "array", items: { type: ["string", "number"] } }),
    "(string | number)[]",
  );
  // A literal holding "|" is not a union.
  assert.equal(schemaToTs({ type: "array", items: { const: "a|b" } }), '"a|b"[]');
  assert.equal(
    schemaToTs({
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }],
      items: false,
    }),
    "[string, number]",
  );
  assert.equal(
    schemaToTs({ type: "array", prefixItems: [{ type: "string" }], items: { type: "boolean" } }),
    "[string, ...boolean[]]",
  );
});

Deno.test("objects: required and optional fields, descriptions as doc comments, odd names quoted", () => {
  const printed = schemaToTs({
    type: "object",
    properties: {
      id: { type: "string", description: "Stable app ID." },
      "max-age": { type: "integer" },
      owner: {
        type: "object",
        properties: { email: { type: "string" } },
        required: ["email"],
        additionalProperties: false,
      },
    },
    required: ["id", "owner"],
    additionalProperties: false,
  });
  assert.equal(
    printed,
    [
      "{",
      "  /** Stable app ID. */",
      "  id: string;",
      '  "max-age"?: number;',
      "  owner: {",
      "    email: string;",
      "  };",
      "}",
    ].join("\n"),
  );
  assert.equal(
    schemaToTs({ type: "object", properties: {}, additionalProperties: false }),
    "Record<string, never>",
  );
});

Deno.test("records: additionalProperties and open objects", () => {
  assert.equal(
    schemaToTs({ type: "object", propertyNames: { type: "string" }, additionalProperties: {} }),
    "Record<string, unknown>",
  );
  assert.equal(schemaToTs({ type: "object" }), "Record<string, unknown>");
  assert.equal(
    schemaToTs({ type: "object", additionalProperties: { anyOf: [{ const: 1 }, { const: -1 }] } }),
    "Record<string, 1 | -1>",
  );
  assert.equal(
    schemaToTs({
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      additionalProperties: { type: "number" },
    }),
    "{\n  a: string;\n} & Record<string, number>",
  );
});

Deno.test("$refs go through the caller's naming; allOf is an intersection", () => {
  const ref = (r: string) => `Schemas[${JSON.stringify(r.split("/").pop())}]`;
  assert.equal(schemaToTs({ $ref: "#/components/schemas/Error" }, { ref }), 'Schemas["Error"]');
  assert.throws(() => schemaToTs({ $ref: "#/components/schemas/Error" }), /\$ref/);
  assert.equal(
    schemaToTs({ allOf: [{ $ref: "#/a/A" }, { anyOf: [{ type: "string" }, { type: "null" }] }] }, {
      ref,
    }),
    'Schemas["A"] & (string | null)',
  );
});

Deno.test("binary strings take the caller's type; nesting follows the depth", () => {
  assert.equal(schemaToTs({ type: "string", format: "binary" }), "string");
  assert.equal(schemaToTs({ type: "string", format: "binary" }, { binary: "Blob" }), "Blob");
  assert.equal(
    schemaToTs({ type: "object", properties: { a: { type: "string" } } }, {}, 2),
    "{\n      a?: string;\n    }",
  );
});

Deno.test("doc comments: one line when it fits, wrapped otherwise; */ cannot end them early", () => {
  assert.equal(docComment("Short.", "  "), "  /** Short. */\n");
  assert.equal(docComment("", "  "), "");
  assert.equal(docComment(undefined, ""), "");
  assert.equal(docComment("a */ b", ""), "/** a *\\/ b */\n");
  const long = docComment("word ".repeat(40).trim(), "    ", 60);
  for (const line of long.trimEnd().split("\n")) assert.ok(line.length <= 60, line);
  assert.match(long, /^ {4}\/\*\*\n( {4} \* (word ?)+\n)+ {4} \*\/\n$/);
  assert.equal(docComment("one\n\ntwo", ""), "/**\n * one\n *\n * two\n */\n");
  assert.equal(propertyName("ok_1"), "ok_1");
  assert.equal(propertyName("not ok"), '"not ok"');
});

Deno.test("the printed types type-check: they accept what the schema allows and refuse the rest", async () => {
  const schema: JsonSchema = {
    type: "object",
    properties: {
      kind: { type: "string", enum: ["token", "session"] },
      apps: { anyOf: [{ type: "array", items: { type: "string" } }, { type: "null" }] },
      limit: { type: "integer" },
      filter: { type: "object", additionalProperties: {} },
    },
    required: ["kind", "apps"],
    additionalProperties: false,
  };
  // Each refused value carries @ts-expect-error: deno check fails if one is accepted.
  const probe = [
    `type T = ${schemaToTs(schema)};`,
    `export const a: T = { kind: "token", apps: null };`,
    `export const b: T = { kind: "session", apps: ["a"], limit: 3, filter: { x: 1 } };`,
    "// @ts-expect-error: not in the enum",
    `export const c: T = { kind: "other", apps: null };`,
    "// @ts-expect-error: a required field is missing",
    `export const d: T = { kind: "token" };`,
    "// @ts-expect-error: no such field",
    `export const e: T = { kind: "token", apps: null, extra: 1 };`,
    "",
  ].join("\n");
  const dir = await Deno.makeTempDir({ prefix: "fazt-json-schema-ts-" });
  try {
    const file = join(dir, "probe.ts");
    await Deno.writeTextFile(file, probe);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr) + `\n${probe}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
