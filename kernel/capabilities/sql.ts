/**
 * `fazt.sql`: the app's own SQLite database, one statement per call with
 * bound parameters, run in the app's own SQL process
 * (`kernel/services/appdata/sql_store.ts`).
 *
 * @module
 */
import { z } from "zod";
import { arg, bytes, type CapabilityGroup, dataOf, defineCapability, given } from "./capability.ts";

const statement = arg("sql", z.string(), "One SQL statement (at most 100 KiB).");

const value = z.union([z.null(), z.number(), z.string(), z.boolean(), bytes], {
  error: "expected null, a number, a string, a boolean or bytes",
}).meta({
  id: "SqlValue",
  description: "A SQL value: null, a number, text, bytes (a BLOB), or a boolean (stored as 1/0).",
});

const params = arg(
  "params",
  z.union([z.array(value), z.record(z.string(), value)], {
    error: "expected a list of parameters (for ?) or an object of them (for :name)",
  }).meta({ id: "SqlParams" }).nullish(),
  "Values for the statement's `?` (a list) or `:name` (an object) placeholders.",
);

const row = z.record(z.string(), value).meta({
  id: "SqlRow",
  description: "One result row: column name → value.",
});

/** `fazt.sql.query` */
export const sqlQuery = defineCapability({
  name: "sql.query",
  summary:
    "Runs one statement and returns its rows (at most 10,000 rows and 8 MiB; more is `payload_too_large`). Statements that change data may return rows with RETURNING.",
  args: z.tuple([statement, params]),
  result: z.array(row),
  permission: "data",
  writes: false,
  // Rows never hold bigints: the SQL process refuses integers beyond 2^53 (sql_wire.ts).
  handler: async (ctx, sql, params) =>
    await dataOf(ctx).sql.query(sql, given(params)) as z.input<typeof row>[],
});

/** `fazt.sql.exec` */
export const sqlExec = defineCapability({
  name: "sql.exec",
  summary: "Runs one statement that changes data or schema and reports what changed.",
  args: z.tuple([statement, params]),
  result: z.object({
    changes: z.number().int().describe("Rows inserted, updated or deleted."),
    lastInsertRowid: z.number().int().describe("The rowid of the last inserted row."),
  }).meta({ id: "SqlExecResult" }),
  permission: "data",
  writes: true,
  handler: (ctx, sql, params) => dataOf(ctx).sql.exec(sql, given(params)),
});

/** The `fazt.sql` group. */
export const SQL: CapabilityGroup = {
  name: "sql",
  summary:
    "The app's own SQLite database (ATTACH and extensions are refused). Statements run in the app's own process and stop after 5 s.",
  capabilities: [sqlQuery, sqlExec],
};
