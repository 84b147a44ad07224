/**
 * Keeps the indexes of an app's `docs` table equal to what its `app.json`
 * declares (`apps/doc_indexes.ts`). Each declared index is a partial
 * expression index over the collection's documents only:
 *
 * ```sql
 * CREATE INDEX "docs_ix:tasks:owner,dueAt" ON docs (
 *   collection, json_extract(body, '$."owner"'), json_extract(body, '$."dueAt"')
 * ) WHERE collection = 'tasks'
 * ```
 *
 * The expressions are the ones the filter compiler writes
 * (`doc_filter.ts`), and the document store names the collection as the
 * same literal, so SQLite's planner matches them; rows of other
 * collections are not in the index, so writes to them pay nothing. The
 * leading `collection` column is constant within the index but lets the
 * planner, which has no statistics, count one more equality for it than
 * for the `(collection, id)` key; without it a range (`$gt`) alone loses
 * to that key and scans the whole collection. Entries end with the row's
 * `seq`, so a sort on the indexed fields keeps insertion order for ties
 * without a sort step.
 *
 * Syncing creates the declared indexes that are missing and drops the ones
 * fazt made that are no longer declared (names starting `docs_ix:`); it
 * runs inside one of the store's write transactions.
 *
 * @module
 */
import { COLLECTION_PATTERN, type DocIndexes } from "../../../apps/doc_fields.ts";
import { FaztError } from "../../core/errors.ts";
import type { StoreWriter } from "./app_store.ts";
import { fieldExpression } from "./doc_filter.ts";

/** The prefix of every index name fazt makes on `docs`. */
export const DOC_INDEX_PREFIX = "docs_ix:";

/** The name of the index on `fields` of `collection`. */
export function docIndexName(collection: string, fields: readonly string[]): string {
  return `${DOC_INDEX_PREFIX}${collection}:${fields.join(",")}`;
}

/**
 * The `CREATE INDEX` statement of one declared index. The collection and
 * the fields are checked again here (`invalid_input`), as they are written
 * into the SQL: neither can hold a quote.
 */
export function docIndexSql(collection: string, fields: readonly string[]): string {
  if (!COLLECTION_PATTERN.test(collection)) {
    throw new FaztError("invalid_input", `${JSON.stringify(collection)} is not a collection name.`);
  }
  return `CREATE INDEX "${docIndexName(collection, fields)}" ON docs (collection, ${
    fields.map(fieldExpression).join(", ")
  }) WHERE collection = '${collection}'`;
}

/** What one sync changed. */
export interface IndexSyncResult {
  /** Names of the indexes created. */
  created: string[];
  /** Names of the indexes dropped. */
  dropped: string[];
}

/** Makes the `docs` indexes of one store match `declared`, inside the caller's transaction. */
export function syncDocIndexes(w: StoreWriter, declared: DocIndexes): IndexSyncResult {
  const wanted = new Map<string, string>();
  for (const [collection, indexes] of Object.entries(declared)) {
    for (const fields of indexes) {
      wanted.set(docIndexName(collection, fields), docIndexSql(collection, fields));
    }
  }
  const existing = w.prepare(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'docs' AND substr(name, 1, ?) = ?",
  ).all(DOC_INDEX_PREFIX.length, DOC_INDEX_PREFIX) as { name: string; sql: string }[];
  const result: IndexSyncResult = { created: [], dropped: [] };
  const have = new Set<string>();
  for (const { name, sql } of existing) {
    // Kept only when it is built exactly as this fazt builds it.
    if (wanted.get(name) === sql) {
      have.add(name);
      continue;
    }
    // The name comes from the schema and was made by docIndexName: it holds no double quote.
    w.exec(`DROP INDEX "${name}"`);
    result.dropped.push(name);
  }
  for (const [name, sql] of wanted) {
    if (have.has(name)) continue;
    w.exec(sql);
    result.created.push(name);
  }
  return result;
}
