/**
 * Operations on an app's own data, for the owner and agents: read and
 * change kv keys, find and delete documents, list, download and delete
 * blobs, and run read-only SQL. They go through
 * the same per-app stores the app's code uses (`services.appData`), so
 * every limit and check of those stores applies.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import type { Services } from "./services.ts";
import type { AppData } from "../services/appdata/app_data_service.ts";
import type { SqlValue } from "../services/appdata/sql_store.ts";
import { FaztError } from "../core/errors.ts";
import { jsonInput } from "./json_input.ts";
import { Download, downloadSchema } from "./download.ts";
import { queryInt } from "./number_input.ts";
import { MAX_TTL_SECONDS } from "../services/appdata/kv_store.ts";
import { MAX_FIND_OFFSET } from "../services/appdata/doc_store.ts";

const app = z.string().min(1).max(100).describe("App name or ID.");
const key = z.string().min(1).max(512).describe("The kv key.");

function dataOf(services: Services, ref: string): AppData {
  return services.appData.forApp(services.apps.resolve(ref).id);
}

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();

/** `data.kv_get` */
export const kvGet = defineOperation({
  name: "data.kv_get",
  summary: "Read a kv key of an app",
  description:
    "Returns the JSON value an app stored under a kv key, or null when the key is missing or expired.",
  input: z.strictObject({ app, key }),
  output: z.object({
    key: z.string(),
    value: z.unknown().describe("The stored JSON value, or null."),
  }),
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/data/kv/{key}" },
  cli: { words: ["data", "kv-get"], positionals: ["app", "key"] },
  handler: async ({ app, key }, { services }) => ({
    key,
    value: await dataOf(services, app).kv.get(key),
  }),
});

/** `data.kv_list` */
export const kvList = defineOperation({
  name: "data.kv_list",
  summary: "List an app's kv keys",
  description:
    "Lists an app's kv keys in key order, a page at a time (pass the returned cursor for the next page).",
  input: z.strictObject({
    app,
    prefix: z.string().max(512).optional().describe("Only keys starting with this."),
    limit: queryInt(1, 1000).optional().describe(
      "At most this many keys (default 100).",
    ),
    cursor: z.string().max(2048).optional().describe("The cursor of the previous page."),
  }),
  output: z.object({
    keys: z.array(z.object({
      key: z.string(),
      expiresAt: z.string().nullable().describe("ISO time the key expires, or null for never."),
    })),
    cursor: z.string().nullable().describe("Pass this for the next page; null when there is none."),
  }),
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/data/kv" },
  cli: { words: ["data", "kv-list"], positionals: ["app"] },
  handler: async ({ app, prefix, limit, cursor }, { services }) => {
    const page = await dataOf(services, app).kv.list({ prefix, limit, cursor });
    return {
      keys: page.keys.map((k) => ({ key: k.key, expiresAt: iso(k.expiresAt) })),
      cursor: page.cursor,
    };
  },
});

/** `data.kv_set` */
export const kvSet = defineOperation({
  name: "data.kv_set",
  summary: "Set a kv key of an app",
  description:
    "Stores a JSON value under a kv key of an app, optionally expiring after ttl seconds (an earlier expiry is cleared). From the CLI the value is stored as a string.",
  input: z.strictObject({
    app,
    key,
    value: z.unknown().refine((v) => v !== undefined, "give a value (any JSON)").describe(
      "The JSON value to store.",
    ),
    ttl: z.number().positive().max(MAX_TTL_SECONDS).optional().describe(
      "Seconds until the key expires (fractions allowed; at most 10 years).",
    ),
  }),
  output: z.object({
    key: z.string(),
    expiresAt: z.string().nullable().describe("ISO time the key expires, or null for never."),
  }),
  access: "data:write",
  appField: "app",
  hints: { idempotent: true },
  http: { method: "PUT", path: "/apps/{app}/data/kv/{key}" },
  cli: { words: ["data", "kv-set"], positionals: ["app", "key", "value"] },
  handler: async ({ app, key, value, ttl }, { services }) => {
    services.guards.disk.assertWritable("Saving app data");
    await dataOf(services, app).kv.set(key, value, { ttl });
    return { key, expiresAt: ttl === undefined ? null : iso(Date.now() + ttl * 1000) };
  },
});

/** `data.kv_delete` */
export const kvDelete = defineOperation({
  name: "data.kv_delete",
  summary: "Delete a kv key of an app",
  description: "Deletes a kv key of an app; `deleted` is false when it did not exist.",
  input: z.strictObject({ app, key }),
  output: z.object({ key: z.string(), deleted: z.boolean() }),
  access: "data:write",
  appField: "app",
  hints: { destructive: true, idempotent: true },
  http: { method: "DELETE", path: "/apps/{app}/data/kv/{key}" },
  cli: { words: ["data", "kv-delete"], positionals: ["app", "key"] },
  handler: async ({ app, key }, { services }) => ({
    key,
    deleted: await dataOf(services, app).kv.delete(key),
  }),
});

/** `data.docs_collections` */
export const docsCollections = defineOperation({
  name: "data.docs_collections",
  summary: "List an app's document collections",
  description:
    "Lists the document collections of an app that hold at least one document, with how many each holds, sorted by name.",
  input: z.strictObject({ app }),
  output: z.array(z.object({
    name: z.string().describe("The collection name."),
    count: z.number().int().describe("How many documents it holds."),
  })),
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/data/docs" },
  cli: { words: ["data", "docs-collections"], positionals: ["app"] },
  handler: async ({ app }, { services }) => await dataOf(services, app).docs.collections(),
});

/** `data.docs_find` */
export const docsFind = defineOperation({
  name: "data.docs_find",
  summary: "Find documents of an app",
  description:
    'Returns the documents of one of an app\'s collections that match a filter (Mongo-like: {"status": "open", "n": {"$gt": 2}}, $and, $or, $in, $contains, …), in insertion order unless sorted.',
  input: z.strictObject({
    app,
    collection: z.string().min(1).max(64).describe("The collection name."),
    filter: jsonInput(z.record(z.string(), z.unknown())).optional().describe(
      "A filter object; absent matches every document.",
    ),
    sort: jsonInput(z.record(z.string(), z.union([z.literal(1), z.literal(-1)]))).optional()
      .describe('Field → 1 (ascending) or -1 (descending), e.g. {"createdAt": -1}.'),
    limit: queryInt(1, 1000).optional().describe(
      "At most this many documents (default 1000).",
    ),
    offset: queryInt(0, MAX_FIND_OFFSET).optional().describe("Skip this many first."),
  }),
  output: z.array(z.record(z.string(), z.unknown()).describe("A document, with its _id.")),
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/data/docs/{collection}" },
  cli: { words: ["data", "docs-find"], positionals: ["app", "collection"] },
  handler: async ({ app, collection, filter, sort, limit, offset }, { services }) =>
    await dataOf(services, app).docs.find(collection, filter, { sort, limit, offset }),
});

/** `data.docs_delete` */
export const docsDelete = defineOperation({
  name: "data.docs_delete",
  summary: "Delete a document of an app",
  description:
    "Deletes one document, by its _id, from one of an app's collections; `deleted` is false when it did not exist.",
  input: z.strictObject({
    app,
    collection: z.string().min(1).max(64).describe("The collection name."),
    id: z.string().min(1).max(256).describe("The document's _id."),
  }),
  output: z.object({ collection: z.string(), id: z.string(), deleted: z.boolean() }),
  access: "data:write",
  appField: "app",
  hints: { destructive: true, idempotent: true },
  http: { method: "DELETE", path: "/apps/{app}/data/docs/{collection}/{id}" },
  cli: { words: ["data", "docs-delete"], positionals: ["app", "collection", "id"] },
  handler: async ({ app, collection, id }, { services }) => ({
    collection,
    id,
    deleted: await dataOf(services, app).docs.delete(collection, { _id: id }) > 0,
  }),
});

const blobPath = z.string().min(1).max(1024).describe(
  'The blob\'s path, e.g. "images/logo.png".',
);

/** `data.blobs_list` */
export const blobsList = defineOperation({
  name: "data.blobs_list",
  summary: "List an app's blobs",
  description:
    "Lists an app's blobs (fazt.blobs) in path order with their size and media type, a page at a time (pass the last path as after for the next page).",
  input: z.strictObject({
    app,
    prefix: z.string().max(1024).optional().describe(
      'Only paths starting with this (e.g. "avatars/").',
    ),
    limit: queryInt(1, 1000).optional().describe("At most this many blobs (default 100)."),
    after: z.string().max(1024).optional().describe("Only paths after this one."),
  }),
  output: z.array(z.object({
    path: z.string(),
    size: z.number().int().describe("Its size in bytes."),
    type: z.string().describe("Its media type."),
    updatedAt: z.string().describe("ISO time it was last written."),
  })),
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/data/blobs" },
  cli: { words: ["data", "blobs-list"], positionals: ["app"], columns: ["path", "size", "type"] },
  handler: async ({ app, prefix, limit, after }, { services }) =>
    (await dataOf(services, app).blobs.list({ prefix, limit, after })).map((b) => ({
      ...b,
      updatedAt: new Date(b.updatedAt).toISOString(),
    })),
});

/** The media type OpenAPI names for a blob download (each blob is sent with its own). */
const ANY_BLOB_TYPE = "application/octet-stream";

/** `data.blobs_get` */
export const blobsGet = defineOperation({
  name: "data.blobs_get",
  summary: "Download a blob of an app",
  description: "Sends one of an app's blobs as a file (an attachment, with its media type).",
  input: z.strictObject({ app, path: blobPath }),
  output: downloadSchema,
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/data/blob", download: { contentType: ANY_BLOB_TYPE } },
  cli: { words: ["data", "blobs-get"], positionals: ["app", "path"] },
  handler: async ({ app, path }, { services }) => {
    const blob = await dataOf(services, app).blobs.get(path);
    if (!blob) {
      throw new FaztError("not_found", `The app has no blob at "${path}".`, { details: { path } });
    }
    return new Download(
      ReadableStream.from([blob.bytes]),
      path.slice(path.lastIndexOf("/") + 1),
      blob.type,
    );
  },
});

/** `data.blobs_delete` */
export const blobsDelete = defineOperation({
  name: "data.blobs_delete",
  summary: "Delete a blob of an app",
  description: "Deletes one of an app's blobs; `deleted` is false when it did not exist.",
  input: z.strictObject({ app, path: blobPath }),
  output: z.object({ path: z.string(), deleted: z.boolean() }),
  access: "data:write",
  appField: "app",
  hints: { destructive: true, idempotent: true },
  http: { method: "DELETE", path: "/apps/{app}/data/blob" },
  cli: { words: ["data", "blobs-delete"], positionals: ["app", "path"] },
  handler: async ({ app, path }, { services }) => ({
    path,
    deleted: await dataOf(services, app).blobs.delete(path),
  }),
});

/** Statements `data.sql_query` runs: they can only read. */
const READ_VERBS = new Set(["SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"]);

/** The first keyword of a statement, after whitespace and comments. */
function firstWord(sql: string): string {
  const body = sql.replace(/^(\s|;|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, "");
  return (/^[A-Za-z]+/.exec(body)?.[0] ?? "").toUpperCase();
}

function jsonCell(value: SqlValue): unknown {
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return { base64: value.toBase64() };
  return value;
}

const sqlParam = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** `data.sql_query` */
export const sqlQuery = defineOperation({
  name: "data.sql_query",
  summary: "Query an app's SQL database (read-only)",
  description:
    'Runs one read-only statement (SELECT, WITH … SELECT, schema PRAGMAs) on an app\'s own SQL database and returns its rows (at most 10,000). Anything that would change data is refused. BLOBs come back as {"base64": …}.',
  input: z.strictObject({
    app,
    sql: z.string().min(1).max(100_000).describe("One SQL statement; use ? or :name parameters."),
    params: jsonInput(z.union([z.array(sqlParam), z.record(z.string(), sqlParam)])).optional()
      .describe("Values for ? (an array) or :name (an object) parameters."),
  }),
  output: z.array(z.record(z.string(), z.unknown()).describe("A row: column → value.")),
  access: "data:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "POST", path: "/apps/{app}/data/sql" },
  cli: { words: ["data", "sql-query"], positionals: ["app", "sql"] },
  handler: async ({ app, sql, params }, { services }) => {
    const verb = firstWord(sql);
    if (!READ_VERBS.has(verb)) {
      throw new FaztError(
        "forbidden",
        `data.sql_query only reads, and ${
          verb ? `a ${verb} statement` : "this statement"
        } would not. Run a SELECT (optionally starting with WITH); change data from the app's own code (fazt.sql.exec).`,
        { details: { reason: "read_only" } },
      );
    }
    const rows = await dataOf(services, app).sql.queryReadOnly(sql, params);
    return rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonCell(v)]))
    );
  },
});

/** Every app data operation. */
export const DATA_OPERATIONS = [
  kvGet,
  kvList,
  kvSet,
  kvDelete,
  docsCollections,
  docsFind,
  docsDelete,
  blobsList,
  blobsGet,
  blobsDelete,
  sqlQuery,
];
