/**
 * Result checks compiled from zod schemas (kernel/capabilities/result_shape.ts):
 * they accept what the schema accepts, except keys a closed object does not
 * name; they never accept what zod refuses; and they know which results can
 * hold bytes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { bytes, jsonValue } from "../../../kernel/capabilities/capability.ts";
import { canHoldBytes, compileResultCheck } from "../../../kernel/capabilities/result_shape.ts";
import { CAPABILITIES } from "../../../kernel/capabilities/registry.ts";

Deno.test("containers and leaves: what each accepts and refuses", () => {
  const cases: [z.ZodType, unknown[], unknown[]][] = [
    [z.object({ a: z.string(), b: z.number().int().optional() }), [{ a: "x" }, { a: "x", b: 2 }], [
      { a: 1 },
      { a: "x", b: 1.5 },
      { a: "x", c: 1 },
      null,
      [],
      "x",
    ]],
    [z.object({ _id: z.string() }).catchall(jsonValue), [{ _id: "1", any: [1, { x: null }] }], [
      { any: 1 },
      { _id: 1 },
    ]],
    [z.object({ n: z.number() }).catchall(z.boolean()), [{ n: 1, b: true }], [{ n: 1, b: 1 }]],
    [z.record(z.string(), z.number()), [{}, { a: 1 }], [{ a: "1" }, [1], null]],
    [z.array(z.string()), [[], ["a"]], [[1], {}, "a"]],
    [z.tuple([z.string(), z.number()]), [["a", 1]], [["a"], ["a", 1, 2], [1, "a"]]],
    [z.union([z.string(), z.number()]), ["a", 1], [true, null]],
    [z.string().nullable(), ["a", null], [undefined, 1]],
    [z.literal(-1), [-1], [1, "-1"]],
    [z.number(), [0, -1.5], [NaN, Infinity, "1"]],
    [bytes, [new Uint8Array(2)], [[1, 2], { 0: 1 }, new ArrayBuffer(2)]],
    [z.void(), [undefined], [null, 0]],
    [jsonValue, [undefined, null, { a: [1] }], []],
  ];
  for (const [schema, good, bad] of cases) {
    const check = compileResultCheck(schema);
    for (const v of good) assert.equal(check(v), true, `accepts ${Deno.inspect(v)}`);
    for (const v of bad) assert.equal(check(v), false, `refuses ${Deno.inspect(v)}`);
  }
});

Deno.test("a compiled check never accepts what zod refuses (every registry result, random values)", () => {
  const value = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(null, undefined, new Uint8Array(1), { _id: "x" }, [{ _id: "x" }]),
  );
  for (const capability of CAPABILITIES) {
    const check = compileResultCheck(capability.result);
    fc.assert(
      fc.property(value, (v) => !check(v) || capability.result.safeParse(v).success),
      { numRuns: 300 },
    );
  }
});

Deno.test("registry results: real answers pass; an undeclared field fails where zod would drop it", () => {
  const answers: Record<string, unknown[]> = {
    "kv.get": [null, { a: 1 }, "x"],
    "kv.set": [undefined],
    "kv.list": [{
      keys: [{ key: "a", expiresAt: null }, { key: "b", expiresAt: 5 }],
      cursor: null,
    }],
    "kv.increment": [3.5],
    "docs.find": [[], [{ _id: "a", n: { deep: [1] } }]],
    "docs.findOne": [null, { _id: "a" }],
    "docs.update": [{ matched: 2, modified: 1 }],
    "blobs.get": [null, {
      bytes: new Uint8Array(1),
      contentType: "text/plain",
      type: "text/plain",
      size: 1,
      updatedAt: 1,
    }],
    "blobs.list": [[{ path: "a", size: 1, contentType: "x/y", type: "x/y", updatedAt: 2 }]],
    "sql.query": [[{ id: 1, name: "x", blob: new Uint8Array(1), none: null }]],
    "sql.exec": [{ changes: 0, lastInsertRowid: 0 }],
    "env.get": [null, "secret"],
    "fetch": [{
      status: 200,
      statusText: "OK",
      headers: [["a", "b"]],
      body: new Uint8Array(),
      url: "x",
      redirected: false,
    }],
    "stdlib": ["module.exports = 1"],
  };
  for (const [name, values] of Object.entries(answers)) {
    const capability = CAPABILITIES.find((c) => c.name === name)!;
    const check = compileResultCheck(capability.result);
    for (const v of values) assert.equal(check(v), true, `${name}: ${Deno.inspect(v)}`);
  }
  const updated = compileResultCheck(CAPABILITIES.find((c) => c.name === "docs.update")!.result);
  assert.equal(updated({ matched: 1, modified: 1, internal: "x" }), false);
});

Deno.test("which results can hold bytes agrees with their JSON Schemas", () => {
  const holding = CAPABILITIES.filter((c) => canHoldBytes(c.result)).map((c) => c.name);
  for (const capability of CAPABILITIES) {
    const schema = JSON.stringify(z.toJSONSchema(capability.result, { unrepresentable: "any" }));
    assert.equal(
      holding.includes(capability.name),
      schema.includes('"#/$defs/Bytes"'),
      capability.name,
    );
  }
  assert.deepEqual(holding.sort(), ["blobs.get", "fetch", "sql.query"]);
});
