/**
 * `fazt.docs`: the app's collections of JSON documents, queried with
 * Mongo-like filters (`kernel/services/appdata/doc_store.ts`).
 *
 * @module
 */
import { z } from "zod";
import { MAX_FIND_OFFSET } from "../services/appdata/doc_store.ts";
import {
  arg,
  type CapabilityGroup,
  dataOf,
  defineCapability,
  given,
  jsonValue,
} from "./capability.ts";

const collection = arg(
  "collection",
  z.string(),
  "The collection's name: 1 to 64 letters, digits, _ or -.",
);

const filterSchema = z.record(z.string(), jsonValue).meta({
  id: "DocFilter",
  description:
    'Which documents: field → value (equality, dotted paths allowed) or field → {$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $contains}, combined with $and / $or lists; {} matches every document. Example: {"status": "open", "n": {"$gt": 2}}.',
});

/** A filter argument; left out (or null) it matches every document. */
const filter = arg("filter", filterSchema.nullish());

/** A filter argument that must be given (`{}` for every document). */
const requiredFilter = arg(
  "filter",
  filterSchema,
  "Which documents; pass {} to mean every document of the collection.",
);

/** A field of a document: any JSON value (`fazt.d.ts` types it loosely, see there). */
const field = z.unknown().meta({ id: "DocField" });

const doc = z.object({ _id: z.string().describe("The document's ID.") }).catchall(field)
  .meta({ id: "Doc", description: "A stored document: a JSON object with its `_id`." });

const newDoc = z.object({
  _id: z.string().optional().describe("Its ID (a string); generated when left out."),
}).catchall(field).meta({ id: "NewDoc", description: "A document to insert: a JSON object." });

const direction = z.union([z.literal(1), z.literal(-1)], {
  error: "sort by 1 (ascending) or -1 (descending)",
});

const sort = z.record(z.string(), direction).describe(
  'Field → 1 (ascending) or -1 (descending), e.g. {"createdAt": -1}; ties keep insertion order.',
);

const findOptions = z.object({
  sort: sort.optional(),
  limit: z.number().int().min(1).optional().describe(
    "At most this many documents (default and most: 1000).",
  ),
  offset: z.number().int().min(0).max(MAX_FIND_OFFSET).optional().describe(
    "Skip this many matching documents first.",
  ),
}).meta({ id: "FindOptions" });

const update = z.strictObject({
  $set: z.record(z.string(), jsonValue).optional().describe(
    "Sets fields (dotted paths create missing parent objects).",
  ),
  $unset: z.union([z.record(z.string(), jsonValue), z.array(z.string())]).optional().describe(
    "Removes fields: an object whose keys are the paths, or a list of paths.",
  ),
  $inc: z.record(z.string(), z.number()).optional().describe(
    "Adds numbers to fields (a missing field counts as 0).",
  ),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `updates use the operators $set, $unset and $inc (got ${
        issue.keys.map((k) => JSON.stringify(k)).join(", ")
      }); write {"$set": {"field": value}} to set a field`
      : undefined,
}).meta({ id: "DocUpdate", description: 'A change; paths may be dotted (`"a.b"`).' });

/** `fazt.docs.insert` */
export const docsInsert = defineCapability({
  name: "docs.insert",
  summary:
    "Inserts one document or several (all or none) and returns their `_id`s in order. An `_id` already in the collection is a `conflict`.",
  args: z.tuple([
    collection,
    arg(
      "docs",
      z.union([newDoc, z.array(newDoc)], {
        error: "expected a document (a JSON object) or a list of documents",
      }),
      "A document or a list of documents (at most 1000).",
    ),
  ]),
  result: z.array(z.string()),
  permission: "data",
  writes: true,
  handler: (ctx, collection, docs) => dataOf(ctx).docs.insert(collection, docs),
});

/** `fazt.docs.find` */
export const docsFind = defineCapability({
  name: "docs.find",
  summary: "The documents that match `filter`, in insertion order unless sorted.",
  args: z.tuple([collection, filter, arg("options", findOptions.nullish())]),
  result: z.array(doc),
  permission: "data",
  writes: false,
  handler: (ctx, collection, filter, options) =>
    dataOf(ctx).docs.find(collection, given(filter), given(options)),
});

/** `fazt.docs.findOne` */
export const docsFindOne = defineCapability({
  name: "docs.findOne",
  summary: "The first document that matches `filter`, or null.",
  args: z.tuple([collection, filter]),
  result: doc.nullable(),
  permission: "data",
  writes: false,
  handler: (ctx, collection, filter) => dataOf(ctx).docs.findOne(collection, given(filter)),
});

/** `fazt.docs.update` */
export const docsUpdate = defineCapability({
  name: "docs.update",
  summary:
    "Applies `change` to every document that matches `filter`; says how many matched and how many changed.",
  args: z.tuple([collection, requiredFilter, arg("change", update)]),
  result: z.object({
    matched: z.number().int().describe("Documents the filter matched."),
    modified: z.number().int().describe("Documents that actually changed."),
  }).meta({ id: "UpdateResult" }),
  permission: "data",
  writes: true,
  handler: (ctx, collection, filter, change) => dataOf(ctx).docs.update(collection, filter, change),
});

/** `fazt.docs.delete` */
export const docsDelete = defineCapability({
  name: "docs.delete",
  summary: "Deletes every document that matches `filter` and returns how many it deleted.",
  args: z.tuple([collection, requiredFilter]),
  result: z.number().int(),
  permission: "data",
  writes: true,
  handler: (ctx, collection, filter) => dataOf(ctx).docs.delete(collection, filter),
});

/** `fazt.docs.count` */
export const docsCount = defineCapability({
  name: "docs.count",
  summary: "How many documents match `filter`.",
  args: z.tuple([collection, filter]),
  result: z.number().int(),
  permission: "data",
  writes: false,
  handler: (ctx, collection, filter) => dataOf(ctx).docs.count(collection, given(filter)),
});

/** The `fazt.docs` group. */
export const DOCS: CapabilityGroup = {
  name: "docs",
  summary:
    "Collections of JSON documents, each with a string `_id`, queried with Mongo-like filters. Every call is atomic.",
  capabilities: [docsInsert, docsFind, docsFindOne, docsUpdate, docsDelete, docsCount],
};
