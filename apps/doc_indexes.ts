/**
 * The `indexes` field of `app.json`: the document fields an app's
 * `fazt.docs` queries filter or sort on, per collection, so fazt keeps an
 * index on them. Each entry is a field path (`"status"`, `"address.city"`)
 * or a list of them for one compound index (`["owner", "dueAt"]`: equality
 * on `owner`, then a range or sort on `dueAt`):
 *
 * ```json
 * { "indexes": { "tasks": ["status", ["owner", "dueAt"]], "users": ["email"] } }
 * ```
 *
 * Names are checked against the document store's own patterns
 * (`doc_fields.ts`), so a declaration accepted here is always one the store
 * can build.
 *
 * @module
 */
import { z } from "zod";
import {
  COLLECTION_PATTERN,
  type DocIndexes,
  FIELD_PATH_PATTERN,
  MAX_FIELD_PATH_LENGTH,
} from "./doc_fields.ts";

export type { DocIndexes } from "./doc_fields.ts";

/** The most indexes one app may declare (each costs time on every write of its collection). */
export const MAX_DOC_INDEXES = 32;

/** The most fields one compound index may name. */
export const MAX_INDEX_FIELDS = 4;

const fieldPath = z.string().max(MAX_FIELD_PATH_LENGTH).regex(
  FIELD_PATH_PATTERN,
  'must be a field path: names of letters, digits, _ and $ (not starting with a digit), joined by dots, like "address.city"',
).refine((p) => p !== "_id", "_id is always indexed; leave it out");

const indexEntry = z.union([
  fieldPath,
  z.array(fieldPath).min(1, "lists no field").max(
    MAX_INDEX_FIELDS,
    `lists more than ${MAX_INDEX_FIELDS} fields; a compound index takes at most ${MAX_INDEX_FIELDS}`,
  ).refine((fields) => new Set(fields).size === fields.length, "names a field twice"),
], { error: 'must be a field path like "status", or a list of them like ["owner", "dueAt"]' });

/** The schema of the `indexes` field of `app.json`. */
export const DocIndexesSchema = z.record(
  z.string(),
  z.array(indexEntry, { error: 'must be a list of indexes, like ["status"]' }).max(MAX_DOC_INDEXES),
  { error: 'must be an object of collections, like {"tasks": ["status"]}' },
).superRefine((decl, ctx) => {
  let total = 0;
  for (const [collection, entries] of Object.entries(decl)) {
    if (!COLLECTION_PATTERN.test(collection)) {
      ctx.addIssue({
        code: "custom",
        path: [collection],
        message: "is not a collection name (1 to 64 letters, digits, _ or -)",
      });
    }
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      const key = (Array.isArray(entry) ? entry : [entry]).join(",");
      if (seen.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: [collection, i],
          message: `declares the index on ${key} twice`,
        });
      }
      seen.add(key);
    });
    total += entries.length;
  }
  if (total > MAX_DOC_INDEXES) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `declares ${total} indexes; an app may declare at most ${MAX_DOC_INDEXES}`,
    });
  }
}).describe(
  'Document fields to index, per collection: {"tasks": ["status", ["owner", "dueAt"]]}. ' +
    "A string is one field; a list is one compound index.",
);

/** A declaration in its normal form: every index as a list of fields. */
export function normalizeIndexes(
  decl: z.infer<typeof DocIndexesSchema> | undefined,
): DocIndexes {
  const out: DocIndexes = {};
  for (const [collection, entries] of Object.entries(decl ?? {})) {
    out[collection] = entries.map((e) => Array.isArray(e) ? [...e] : [e]);
  }
  return out;
}
