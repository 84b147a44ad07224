/**
 * An app's own SQL database (`sql.db`): one statement per call, bound
 * parameters, SQLite errors reported as `invalid_input` with SQLite's
 * message, and isolation enforced by the connection (see
 * `sql_connection.ts`). Statements run in the app's own SQL process
 * (`sql_process.ts`): one that runs longer than `sqlTimeoutMs` is stopped
 * (`gateway_timeout`), and a result past `maxSqlRows` or
 * `maxSqlResultBytes` is refused (`payload_too_large`) without being held
 * whole.
 *
 * @module
 */
import type { StoreContext } from "./context.ts";
import type { SqlExecResult, SqlParams, SqlRow } from "./sql/sql_connection.ts";

export type { SqlExecResult, SqlParams, SqlRow, SqlValue } from "./sql/sql_connection.ts";

/** An app's own SQL database. */
export interface SqlStore {
  /**
   * Runs one statement and returns its rows (at most the `maxSqlRows` and
   * `maxSqlResultBytes` limits; more is `payload_too_large`). Statements
   * that change data may return rows with `RETURNING`.
   */
  query(sql: string, params?: SqlParams): Promise<SqlRow[]>;
  /** Runs one statement that changes data or schema and reports what changed. */
  exec(sql: string, params?: SqlParams): Promise<SqlExecResult>;
  /**
   * Runs one read-only statement (`SELECT`, or `WITH ... SELECT`) on a
   * read-only connection; anything that would write is `forbidden`. For
   * admin and MCP tooling.
   */
  queryReadOnly(sql: string, params?: SqlParams): Promise<SqlRow[]>;
}

/** Makes the SQL store of one app. */
export function createSqlStore(ctx: StoreContext): SqlStore {
  return {
    async query(sql, params) {
      return await ctx.withSql((conn) => conn.all(sql, params, false));
    },
    async exec(sql, params) {
      return await ctx.withSql((conn) => conn.run(sql, params));
    },
    async queryReadOnly(sql, params) {
      return await ctx.withSql((conn) => conn.all(sql, params, true));
    },
  };
}
