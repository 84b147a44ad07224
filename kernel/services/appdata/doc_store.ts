/**
 * An app's document store: named collections of JSON objects, each with a
 * string `_id`, queried with Mongo-like filters (see `doc_filter.ts`) and
 * changed with `$set` / `$unset` / `$inc`. Every call is atomic.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import type { StoreWriter } from "./app_store.ts";
import { type StoreContext } from "./context.ts";
import { describe, utf8Length } from "../../core/text.ts";
import {
  compileFilter,
  compileSort,
  type DocFilter,
  type DocSort,
  fieldSegments,
  type SqlFragment,
} from "./doc_filter.ts";
import { encodeJson, isPlainObject, type JsonObject, jsonProblem } from "./json_value.ts";
import { COLLECTION_PATTERN } from "../../../apps/doc_fields.ts";

export type { DocFilter, DocSort } from "./doc_filter.ts";

/** A stored document: a JSON object with its `_id`. */
export type Doc = JsonObject & { _id: string };

export { COLLECTION_PATTERN } from "../../../apps/doc_fields.ts";

/** The longest `_id`, in UTF-8 bytes. */
export const MAX_ID_BYTES = 256;

/** Options for {@linkcode DocStore.find}. */
export interface FindOptions {
  /** Field → 1 (ascending) or -1 (descending); ties keep insertion order. */
  sort?: DocSort;
  /** At most this many documents (default and maximum: the `maxFindLimit` limit, 1000). */
  limit?: number;
  /** Skip this many matching documents first. */
  offset?: number;
}

/** A change for {@linkcode DocStore.update}. Paths may be dotted (`"a.b"`). */
export interface DocUpdate {
  /** Sets fields (creating missing parent objects). */
  $set?: Record<string, unknown>;
  /** Removes fields: an object whose keys are the paths, or an array of paths. */
  $unset?: Record<string, unknown> | string[];
  /** Adds numbers to fields (a missing field counts as 0). */
  $inc?: Record<string, number>;
}

/** What {@linkcode DocStore.update} did. */
export interface UpdateResult {
  /** Documents the filter matched. */
  matched: number;
  /** Documents that actually changed. */
  modified: number;
}

/** An app's document store. */
export interface DocStore {
  /**
   * Inserts one document or several (all or none); returns their `_id`s in
   * order. A missing `_id` is generated (`crypto.randomUUID()`); an `_id`
   * already in the collection is a `conflict`.
   */
  insert(collection: string, docs: Record<string, unknown> | Record<string, unknown>[]): Promise<
    string[]
  >;
  /** Matching documents, in insertion order unless sorted. */
  find(collection: string, filter?: DocFilter, opts?: FindOptions): Promise<Doc[]>;
  /** The first matching document, or `null`. */
  findOne(collection: string, filter?: DocFilter, opts?: Pick<FindOptions, "sort">): Promise<
    Doc | null
  >;
  /** Applies `change` to every matching document. */
  update(collection: string, filter: DocFilter, change: DocUpdate): Promise<UpdateResult>;
  /** Deletes every matching document (`{}` deletes all); returns how many. */
  delete(collection: string, filter: DocFilter): Promise<number>;
  /** How many documents match. */
  count(collection: string, filter?: DocFilter): Promise<number>;
  /** Every collection holding at least one document, with its size, sorted by name. */
  collections(): Promise<{ name: string; count: number }[]>;
}

function checkCollection(name: unknown): string {
  if (typeof name !== "string" || !COLLECTION_PATTERN.test(name)) {
    throw new FaztError(
      "invalid_input",
      `${describe(name)} is not a valid collection name. Use 1 to 64 letters, digits, _ or -.`,
    );
  }
  return name;
}

/** The largest `find` offset (also the bound of the `data.docs_find` operation). */
export const MAX_FIND_OFFSET = 1_000_000_000;

function checkOffset(offset: unknown): number {
  if (offset === undefined) return 0;
  if (
    typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0 ||
    offset > MAX_FIND_OFFSET
  ) {
    throw new FaztError(
      "invalid_input",
      `The offset must be a whole number from 0 to ${MAX_FIND_OFFSET} (got ${describe(offset)}).`,
    );
  }
  return offset;
}

function checkLimit(limit: unknown, max: number): number {
  if (limit === undefined) return max;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new FaztError(
      "invalid_input",
      `The limit must be a whole number from 1 to ${max} (got ${describe(limit)}). ` +
        "Page through more documents with offset.",
    );
  }
  return limit;
}

/** A validated update: paths split into segments, values checked. */
interface Change {
  set: [string, string[], unknown][];
  unset: [string, string[]][];
  inc: [string, string[], number][];
}

function checkPathForUpdate(path: unknown, seen: string[]): string[] {
  const segments = fieldSegments(path);
  const name = path as string;
  if (segments[0] === "_id") {
    throw new FaztError("invalid_input", "The _id of a document cannot be changed.");
  }
  for (const other of seen) {
    if (other === name || other.startsWith(name + ".") || name.startsWith(other + ".")) {
      throw new FaztError(
        "invalid_input",
        `The update changes "${other}" and "${name}", which overlap. Change each field once.`,
      );
    }
  }
  seen.push(name);
  return segments;
}

function parseChange(change: unknown): Change {
  if (!isPlainObject(change)) {
    throw new FaztError(
      "invalid_input",
      `The update must be an object like {"$set": {"done": true}} (got ${describe(change)}).`,
    );
  }
  const out: Change = { set: [], unset: [], inc: [] };
  const seen: string[] = [];
  let any = false;
  for (const [op, arg] of Object.entries(change)) {
    if (arg === undefined) continue;
    if (op !== "$set" && op !== "$unset" && op !== "$inc") {
      throw new FaztError(
        "invalid_input",
        op.startsWith("$")
          ? `${JSON.stringify(op)} is not an update operator. Use $set, $unset or $inc.`
          : `Updates use operators, not whole fields: write {"$set": {${
            JSON.stringify(op)
          }: ...}} to set "${op}".`,
      );
    }
    if (op === "$unset" && Array.isArray(arg)) {
      for (const path of arg as unknown[]) {
        const segments = checkPathForUpdate(path, seen);
        out.unset.push([path as string, segments]);
        any = true;
      }
      continue;
    }
    if (!isPlainObject(arg)) {
      throw new FaztError(
        "invalid_input",
        `${op} takes an object of field paths (got ${describe(arg)}).`,
      );
    }
    for (const [path, value] of Object.entries(arg)) {
      if (value === undefined) continue;
      const segments = checkPathForUpdate(path, seen);
      any = true;
      if (op === "$set") {
        const problem = jsonProblem(value, `$set.${path}`);
        if (problem) {
          throw new FaztError("invalid_input", `The update is not plain JSON: ${problem}.`);
        }
        out.set.push([path, segments, value]);
      } else if (op === "$unset") {
        out.unset.push([path, segments]);
      } else {
        if (typeof value !== "number" || !Number.isFinite(value)) {
          throw new FaztError(
            "invalid_input",
            `$inc on "${path}" adds a finite number (got ${describe(value)}).`,
          );
        }
        out.inc.push([path, segments, value]);
      }
    }
  }
  if (!any) {
    throw new FaztError("invalid_input", "The update changes nothing. Give $set, $unset or $inc.");
  }
  return out;
}

/** The object holding the last segment, created on the way when `create`; `null` if absent. */
function parentOf(
  doc: Record<string, unknown>,
  segments: string[],
  create: boolean,
  path: string,
  id: string,
): Record<string, unknown> | null {
  let node = doc;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (next === undefined) {
      if (!create) return null;
      const made: Record<string, unknown> = {};
      node[segment] = made;
      node = made;
    } else if (isPlainObject(next)) {
      node = next;
    } else {
      if (!create) return null;
      throw new FaztError(
        "invalid_input",
        `Cannot change "${path}" in document ${JSON.stringify(id)}: "${segment}" there is ${
          describe(next)
        }, not an object.`,
      );
    }
  }
  return node;
}

function applyChange(doc: Record<string, unknown>, change: Change, id: string): void {
  for (const [path, segments, value] of change.set) {
    parentOf(doc, segments, true, path, id)![segments.at(-1)!] = value;
  }
  for (const [path, segments] of change.unset) {
    const parent = parentOf(doc, segments, false, path, id);
    if (parent) delete parent[segments.at(-1)!];
  }
  for (const [path, segments, by] of change.inc) {
    const parent = parentOf(doc, segments, true, path, id)!;
    const key = segments.at(-1)!;
    const current = Object.hasOwn(parent, key) ? parent[key] : 0;
    if (typeof current !== "number") {
      throw new FaztError(
        "invalid_input",
        `$inc cannot add to "${path}" in document ${JSON.stringify(id)}: it holds ${
          describe(current)
        }, not a number.`,
      );
    }
    const next = current + by;
    if (!Number.isFinite(next)) {
      throw new FaztError("invalid_input", `$inc on "${path}" leaves the range of numbers.`);
    }
    parent[key] = next;
  }
}

/**
 * The condition of a query on one collection. The (validated) name is
 * written into the SQL, not bound: a collection's declared indexes are
 * partial (`WHERE collection = 'tasks'`), and SQLite uses a partial index
 * only for a query whose condition names the same literal.
 */
function where(collection: string, filter: SqlFragment): SqlFragment {
  // Checked here too: the name is written into the SQL.
  return {
    sql: `collection = '${checkCollection(collection)}' AND ${filter.sql}`,
    params: filter.params,
  };
}

/**
 * The query a `find` runs, without its `LIMIT ? OFFSET ?` values (exported
 * so tests can check its plan).
 */
export function findQuery(collection: string, filter: SqlFragment, sort: SqlFragment): SqlFragment {
  const w = where(collection, filter);
  return {
    sql: `SELECT body FROM docs WHERE ${w.sql} ORDER BY ${sort.sql} LIMIT ? OFFSET ?`,
    params: [...w.params, ...sort.params],
  };
}

const EXISTS = "SELECT 1 FROM docs WHERE collection = ? AND id = ?";
const INSERT = `INSERT INTO docs (collection, id, body, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?)`;
const SAVE = "UPDATE docs SET body = ?, updated_at = ? WHERE seq = ?";

function selectBodies(
  db: StoreWriter,
  w: SqlFragment,
): { seq: number; id: string; body: string }[] {
  return db.prepare(`SELECT seq, id, body FROM docs WHERE ${w.sql} ORDER BY seq`)
    .all(...w.params) as { seq: number; id: string; body: string }[];
}

/** Makes the document store of one app. */
export function createDocStore(ctx: StoreContext): DocStore {
  const { limits, now } = ctx;
  const filterOf = (filter: unknown) => compileFilter(filter, limits.maxFilterConditions);

  const store: DocStore = {
    async insert(collection, docs) {
      const c = checkCollection(collection);
      const list = Array.isArray(docs) ? docs : [docs];
      if (list.length > limits.maxInsertBatch) {
        throw new FaztError(
          "payload_too_large",
          `One insert takes at most ${limits.maxInsertBatch} documents (got ${list.length}). Insert them in batches.`,
          { details: { count: list.length, limit: limits.maxInsertBatch } },
        );
      }
      const rows = list.map((doc, i) => {
        const which = Array.isArray(docs) ? `Document ${i}` : "The document";
        if (!isPlainObject(doc)) {
          throw new FaztError(
            "invalid_input",
            `${which} must be a JSON object (got ${describe(doc)}).`,
          );
        }
        const id = doc._id === undefined ? crypto.randomUUID() : doc._id;
        if (
          typeof id !== "string" || id === "" || !id.isWellFormed() ||
          utf8Length(id) > MAX_ID_BYTES
        ) {
          throw new FaztError(
            "invalid_input",
            `${which} has _id ${describe(id)}; an _id must be a non-empty string of at most ` +
              `${MAX_ID_BYTES} bytes. Leave it out to have one generated.`,
          );
        }
        const { _id: _given, ...fields } = doc;
        const body = encodeJson(
          { _id: id, ...fields },
          `${which.toLowerCase()} (_id ${JSON.stringify(id)})`,
          limits.maxDocBytes,
        );
        return { id, body };
      });
      const seen = new Set<string>();
      for (const { id } of rows) {
        if (seen.has(id)) {
          throw new FaztError(
            "conflict",
            `The documents to insert share the _id ${JSON.stringify(id)}; each _id must be unique.`,
          );
        }
        seen.add(id);
      }
      return await ctx.withStore((db) =>
        db.write((w) => {
          const exists = w.prepare(EXISTS);
          const insert = w.prepare(INSERT);
          const at = now();
          for (const { id, body } of rows) {
            if (exists.get(c, id)) {
              throw new FaztError(
                "conflict",
                `The collection "${c}" already has a document with _id ${JSON.stringify(id)}. ` +
                  "Use update() to change it, or leave _id out to get a new one.",
              );
            }
            insert.run(c, id, body, at, at);
          }
          return rows.map((r) => r.id);
        })
      );
    },

    async find(collection, filter, opts = {}) {
      const c = checkCollection(collection);
      const q = findQuery(c, filterOf(filter), compileSort(opts.sort));
      const limit = checkLimit(opts.limit, limits.maxFindLimit);
      const offset = checkOffset(opts.offset);
      return await ctx.withStore((db) =>
        db.read(q.sql).all(...q.params, limit, offset).map((r) =>
          JSON.parse(r.body as string) as Doc
        )
      );
    },

    async findOne(collection, filter, opts = {}) {
      const found = await store.find(collection, filter, { sort: opts.sort, limit: 1 });
      return found[0] ?? null;
    },

    async update(collection, filter, change) {
      const c = checkCollection(collection);
      const w = where(c, filterOf(filter));
      const parsed = parseChange(change);
      return await ctx.withStore((db) =>
        db.write((conn) => {
          const save = conn.prepare(SAVE);
          const at = now();
          let matched = 0;
          let modified = 0;
          for (const row of selectBodies(conn, w)) {
            matched++;
            const doc = JSON.parse(row.body) as Record<string, unknown>;
            applyChange(doc, parsed, row.id);
            const body = encodeJson(
              doc,
              `document ${JSON.stringify(row.id)} after the update`,
              limits.maxDocBytes,
            );
            if (body === row.body) continue;
            save.run(body, at, row.seq);
            modified++;
          }
          return { matched, modified };
        })
      );
    },

    async delete(collection, filter) {
      const c = checkCollection(collection);
      if (filter === undefined) {
        throw new FaztError(
          "invalid_input",
          "delete() needs a filter; pass {} to delete every document of the collection.",
        );
      }
      const w = where(c, filterOf(filter));
      return await ctx.withStore((db) =>
        db.write((conn) =>
          Number(conn.prepare(`DELETE FROM docs WHERE ${w.sql}`).run(...w.params).changes)
        )
      );
    },

    async count(collection, filter) {
      const c = checkCollection(collection);
      const w = where(c, filterOf(filter));
      return await ctx.withStore((db) =>
        (db.read(`SELECT count(*) AS n FROM docs WHERE ${w.sql}`).get(...w.params) as {
          n: number;
        }).n
      );
    },

    async collections() {
      return await ctx.withStore((db) =>
        db.read(
          "SELECT collection AS name, count(*) AS count FROM docs GROUP BY collection ORDER BY collection",
        ).all().map((r) => ({ name: r.name as string, count: Number(r.count) }))
      );
    },
  };
  return store;
}
