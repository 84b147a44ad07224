import assert from "node:assert/strict";
import {
  DocIndexesSchema,
  MAX_DOC_INDEXES,
  MAX_INDEX_FIELDS,
  normalizeIndexes,
} from "../../apps/doc_indexes.ts";
import { parseManifest } from "../../apps/manifest.ts";
import { FaztError } from "../../kernel/core/errors.ts";

const manifest = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

Deno.test("indexes: strings and lists of field paths per collection, normalized to lists", () => {
  const parsed = parseManifest(manifest({
    indexes: { tasks: ["status", ["owner", "dueAt"]], "users-2": ["address.city"], empty: [] },
  }));
  assert.deepEqual(normalizeIndexes(parsed.indexes), {
    tasks: [["status"], ["owner", "dueAt"]],
    "users-2": [["address.city"]],
    empty: [],
  });
  assert.deepEqual(normalizeIndexes(parseManifest(manifest({})).indexes), {});
});

const BAD: [string, unknown, RegExp][] = [
  ["not an object", ["status"], /"indexes"/],
  ["a bad collection name", { "no space": ["a"] }, /"indexes.no space".*collection name/],
  ["a field that is not a string", { tasks: [1] }, /"indexes.tasks.0"/],
  ["a field path with a quote", { tasks: ["a'b"] }, /"indexes.tasks.0".*field path/],
  ["a field path starting with a digit", { tasks: ["1a"] }, /field path/],
  ["an empty field path", { tasks: [""] }, /field path/],
  ["_id", { tasks: ["_id"] }, /_id is always indexed/],
  ["an empty compound index", { tasks: [[]] }, /"indexes.tasks.0"/],
  ["a field twice in one index", { tasks: [["a", "a"]] }, /names a field twice/],
  ["the same index twice", { tasks: ["a", ["a"]] }, /"indexes.tasks.1".*twice/],
  [
    "too many fields in one index",
    { tasks: [Array.from({ length: MAX_INDEX_FIELDS + 1 }, (_, i) => `f${i}`)] },
    /"indexes.tasks.0"/,
  ],
  [
    "too many indexes in all",
    Object.fromEntries(
      Array.from({ length: MAX_DOC_INDEXES + 1 }, (_, i) => [`c${i}`, ["f"]]),
    ),
    new RegExp(`at most ${MAX_DOC_INDEXES}`),
  ],
];

for (const [what, indexes, message] of BAD) {
  Deno.test(`indexes: ${what} is refused as invalid_manifest (400) naming the place`, () => {
    assert.throws(
      () => parseManifest(manifest({ indexes })),
      (err: unknown) => {
        assert.ok(err instanceof FaztError);
        assert.equal(err.code, "invalid_manifest");
        assert.equal(err.status, 400);
        assert.match(err.message, message);
        assert.match(err.message, /docs\/APP_FORMAT\.md/);
        return true;
      },
    );
  });
}

Deno.test("indexes: the schema accepts exactly what it normalizes", () => {
  assert.equal(DocIndexesSchema.safeParse({ t: ["a.b.c", ["x", "y", "z", "w"]] }).success, true);
  assert.equal(DocIndexesSchema.safeParse({ t: "a" }).success, false);
});
