/**
 * The hardened SQLite connection behind an app's own SQL (`sql.db`).
 *
 * An app may run any single statement on its own database, but nothing that
 * reaches past it: `ATTACH`/`DETACH` (and so `VACUUM INTO`, which SQLite
 * authorizes as an attach) are denied, the attach limit is 0 as a second
 * lock, extension loading is off and `load_extension()` is denied, defensive
 * mode stops schema corruption tricks, and `PRAGMA` is limited to read-only
 * introspection (plus `user_version`, the app's own schema counter). Plain
 * `VACUUM` is refused too, as SQLite runs it through an internal attach.
 * Transactions are refused: every call is one statement, atomic by itself,
 * and a transaction left open between calls would leak into other requests.
 *
 * The checks use SQLite's authorizer (`DatabaseSync#setAuthorizer`, present
 * in this Deno's `node:sqlite` though missing from its type definitions), so
 * they see the compiled statement, including trigger bodies and
 * `pragma_*` table-valued functions, rather than guessing from the text.
 * Read-only queries run on a second connection opened read-only, with
 * `query_only` on and an authorizer that allows only reads.
 *
 * @module
 */
import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import { FaztError } from "../errors.ts";
import { describe, utf8Length } from "./context.ts";
import { isPlainObject } from "./json_value.ts";

/** A value SQL returns: `null`, a number, text or bytes. */
export type SqlValue = SQLOutputValue;

/** One result row, column name → value. */
export type SqlRow = Record<string, SqlValue>;

/** Statement parameters: positional (`?`) or named (`:name`, `$name`, `@name`). */
export type SqlParams = readonly unknown[] | Record<string, unknown>;

/** What {@linkcode AppSqlConnection.run} reports. */
export interface SqlExecResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
  /** The rowid of the last inserted row. */
  lastInsertRowid: number;
}

/** Options for {@linkcode openAppSql}. */
export interface AppSqlOptions {
  /** How long to wait for a lock held by another connection, in ms. */
  busyTimeoutMs: number;
  /** Longest statement, in UTF-8 bytes. */
  maxSqlBytes: number;
  /** Most rows a query returns. */
  maxRows: number;
}

/** An app's `sql.db`: one read-write and one lazily opened read-only connection. */
export interface AppSqlConnection {
  /** Runs one statement and returns its rows (on the read-only connection when `readOnly`). */
  all(sql: string, params: SqlParams | undefined, readOnly: boolean): SqlRow[];
  /** Runs one statement and reports its changes. */
  run(sql: string, params: SqlParams | undefined): SqlExecResult;
  /** Closes both connections. */
  close(): void;
}

/** SQLite authorizer action codes and results (stable C API values). */
const AUTH = {
  OK: 0,
  DENY: 1,
  PRAGMA: 19,
  READ: 20,
  SELECT: 21,
  TRANSACTION: 22,
  ATTACH: 24,
  DETACH: 25,
  FUNCTION: 31,
  SAVEPOINT: 32,
  RECURSIVE: 33,
} as const;

/** Pragmas that only describe the schema, allowed with any argument. */
const INTROSPECTION_PRAGMAS = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "collation_list",
  "function_list",
  "module_list",
  "pragma_list",
]);

/** Pragmas that may be read (never set). */
const READABLE_PRAGMAS = new Set([
  "user_version",
  "schema_version",
  "data_version",
  "page_count",
  "page_size",
  "freelist_count",
  "encoding",
  "foreign_keys",
  "journal_mode",
]);

/** Functions that touch files or the process; denied everywhere. */
const DENIED_FUNCTIONS = new Set([
  "load_extension",
  "fts3_tokenizer",
  "readfile",
  "writefile",
  "edit",
  "fsdir",
]);

type Mode = "app" | "readOnly";

/** Why a statement was refused. */
interface Denial {
  kind: "attach" | "vacuum" | "pragma" | "function" | "transaction" | "readOnly";
  name: string;
}

type Authorizer = (
  action: number,
  arg1: string | null,
  arg2: string | null,
  dbName: string | null,
  trigger: string | null,
) => number;

/** What this Deno's `node:sqlite` has beyond its type definitions. */
interface Hardening {
  limits: { attach: number };
  enableDefensive(active: boolean): void;
  setAuthorizer(callback: Authorizer | null): void;
}

function hardening(db: DatabaseSync): Hardening {
  const h = db as unknown as Partial<Hardening>;
  if (
    typeof h.setAuthorizer !== "function" || typeof h.enableDefensive !== "function" ||
    typeof h.limits !== "object" || h.limits === null
  ) {
    db.close();
    throw new Error(
      "This runtime's node:sqlite lacks setAuthorizer/enableDefensive/limits, which app SQL " +
        "isolation needs; refusing to open app SQL without them.",
    );
  }
  return h as Hardening;
}

function pragmaAllowed(name: string, arg: string | null, mode: Mode): boolean {
  if (INTROSPECTION_PRAGMAS.has(name)) return true;
  if (READABLE_PRAGMAS.has(name) && arg === null) return true;
  return mode === "app" && name === "user_version";
}

/** Decides one authorizer request; returns the denial, or `null` to allow. */
function decide(
  mode: Mode,
  action: number,
  arg1: string | null,
  arg2: string | null,
): Denial | null {
  switch (action) {
    case AUTH.ATTACH:
    case AUTH.DETACH:
      if (mode === "readOnly") return { kind: "readOnly", name: "ATTACH" };
      // VACUUM attaches a temporary database (an empty file name) to rebuild into.
      if (action === AUTH.ATTACH && arg1 === "") return { kind: "vacuum", name: "VACUUM" };
      return { kind: "attach", name: action === AUTH.ATTACH ? "ATTACH" : "DETACH" };
    case AUTH.PRAGMA: {
      const name = (arg1 ?? "").toLowerCase();
      return pragmaAllowed(name, arg2, mode) ? null : { kind: "pragma", name };
    }
    case AUTH.FUNCTION: {
      const name = (arg2 ?? "").toLowerCase();
      return DENIED_FUNCTIONS.has(name) ? { kind: "function", name } : null;
    }
    case AUTH.TRANSACTION:
    case AUTH.SAVEPOINT:
      if (mode === "readOnly") return { kind: "readOnly", name: "TRANSACTION" };
      return { kind: "transaction", name: (arg1 ?? "").toUpperCase() };
    case AUTH.SELECT:
    case AUTH.READ:
    case AUTH.RECURSIVE:
      return null;
    default:
      return mode === "readOnly" ? { kind: "readOnly", name: String(action) } : null;
  }
}

function denialError(d: Denial): FaztError {
  switch (d.kind) {
    case "attach":
      return new FaztError(
        "forbidden",
        `${d.name} is not allowed in app SQL (nor VACUUM INTO): an app's SQL reaches only its own database.`,
      );
    case "vacuum":
      return new FaztError(
        "forbidden",
        "VACUUM is not available in app SQL: it works through an attached database, which app SQL may not use.",
      );
    case "pragma":
      return new FaztError(
        "forbidden",
        `PRAGMA ${d.name} is not allowed in app SQL. Allowed: schema introspection ` +
          `(${[...INTROSPECTION_PRAGMAS].slice(0, 6).join(", ")}, …), reading ` +
          `${[...READABLE_PRAGMAS].join(", ")}, and setting user_version.`,
        { details: { pragma: d.name } },
      );
    case "function":
      return new FaztError(
        "forbidden",
        `The SQL function ${d.name}() is not allowed in app SQL.`,
        { details: { function: d.name } },
      );
    case "transaction":
      return new FaztError(
        "forbidden",
        "Transactions (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) are not available in app SQL: each call " +
          "runs one statement, which is atomic by itself. Combine changes into one statement " +
          "(e.g. INSERT ... SELECT, UPSERT, or a trigger).",
      );
    case "readOnly":
      return new FaztError(
        "forbidden",
        "A read-only query may only read: run a SELECT (optionally starting with WITH). " +
          "Use exec() for statements that change data or schema.",
      );
  }
}

/** Index just past the whitespace, comments and semicolons starting at `from`. */
function skipInsignificant(sql: string, from: number): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === ";") {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i + 2);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else {
      break;
    }
  }
  return i;
}

function bindValue(value: unknown, where: string): SQLInputValue {
  if (value === null || typeof value === "string" || typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
  } else if (typeof value === "boolean") {
    return value ? 1 : 0;
  } else if (value instanceof Uint8Array) {
    return value;
  }
  throw new FaztError(
    "invalid_input",
    `SQL parameter ${where} is ${describe(value)}; parameters may be null, finite numbers, ` +
      "bigints, strings, booleans (stored as 1/0) or Uint8Array. Pass JSON as JSON.stringify(value).",
  );
}

/** Bound parameters: named ones, or positional ones. */
type BindArgs = { named: Record<string, SQLInputValue> } | { positional: SQLInputValue[] };

function bindParams(params: SqlParams | undefined): BindArgs {
  if (params === undefined) return { positional: [] };
  if (Array.isArray(params)) {
    return { positional: params.map((v, i) => bindValue(v, String(i + 1))) };
  }
  if (isPlainObject(params)) {
    const named: Record<string, SQLInputValue> = {};
    for (const [name, value] of Object.entries(params)) named[name] = bindValue(value, name);
    return { named };
  }
  throw new FaztError(
    "invalid_input",
    `SQL parameters are an array (for ?) or an object (for :name) (got ${describe(params)}).`,
  );
}

/**
 * All rows of `stmt`. `all()`, not `iterate()`: this Deno's `iterate()`
 * ends quietly when a step fails (a constraint, an authorizer denial at run
 * time), which would turn errors into empty results.
 */
function allRows(stmt: StatementSync, args: BindArgs): Record<string, SQLOutputValue>[] {
  return "named" in args ? stmt.all(args.named) : stmt.all(...args.positional);
}

/** Opens one connection to `path` with every lock in place for `mode`. */
function connect(path: string, mode: Mode, busyTimeoutMs: number): {
  db: DatabaseSync;
  takeDenial(): Denial | null;
} {
  const readOnly = mode === "readOnly";
  const db = new DatabaseSync(path, {
    readOnly,
    allowExtension: false,
    enableForeignKeyConstraints: true,
    timeout: busyTimeoutMs,
  });
  const h = hardening(db);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    if (!readOnly) {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
    }
    db.exec("PRAGMA trusted_schema = OFF");
    if (readOnly) db.exec("PRAGMA query_only = ON");
    h.enableDefensive(true);
    h.limits.attach = 0;
  } catch (err) {
    db.close();
    throw err;
  }
  let denial: Denial | null = null;
  h.setAuthorizer((action, arg1, arg2) => {
    const d = decide(mode, action, arg1, arg2);
    if (d === null) return AUTH.OK;
    denial ??= d;
    return AUTH.DENY;
  });
  return {
    db,
    takeDenial() {
      const d = denial;
      denial = null;
      return d;
    },
  };
}

/** Opens (creating if needed) an app's `sql.db` with every isolation lock in place. */
export function openAppSql(path: string, options: AppSqlOptions): AppSqlConnection {
  const main = connect(path, "app", options.busyTimeoutMs);
  let readOnly: ReturnType<typeof connect> | null = null;

  const toError = (conn: ReturnType<typeof connect>, err: unknown): FaztError => {
    const denial = conn.takeDenial();
    if (err instanceof FaztError) return err;
    if (denial) return denialError(denial);
    const message = err instanceof Error ? err.message : String(err);
    return new FaztError("invalid_input", `SQL error: ${message}`, {
      details: { sqlite: message },
    });
  };

  const prepare = (conn: ReturnType<typeof connect>, sql: string): StatementSync => {
    if (typeof sql !== "string") {
      throw new FaztError("invalid_input", `The SQL must be a string (got ${describe(sql)}).`);
    }
    const size = utf8Length(sql);
    if (size > options.maxSqlBytes) {
      throw new FaztError(
        "payload_too_large",
        `The SQL statement is ${size} bytes; the limit is ${options.maxSqlBytes}. Pass data as parameters.`,
        { details: { size, limit: options.maxSqlBytes } },
      );
    }
    if (!sql.isWellFormed()) {
      throw new FaztError(
        "invalid_input",
        "The SQL is not valid Unicode (it has a lone surrogate).",
      );
    }
    // Never hand SQLite a statement-less string: node:sqlite then returns a
    // statement without a handle, and reading its sourceSQL crashes Deno.
    const body = sql.slice(skipInsignificant(sql, 0));
    if (body === "") throw new FaztError("invalid_input", "The SQL is empty. Give one statement.");
    conn.takeDenial();
    const stmt = conn.db.prepare(body);
    const first = stmt.sourceSQL;
    if (!body.startsWith(first) || skipInsignificant(body, first.length) !== body.length) {
      throw new FaztError(
        "invalid_input",
        "Give one SQL statement per call; this text holds more than one. Run them one by one.",
      );
    }
    return stmt;
  };

  return {
    all(sql, params, ro) {
      let conn = main;
      if (ro) readOnly = conn = readOnly ?? connect(path, "readOnly", options.busyTimeoutMs);
      const args = bindParams(params);
      try {
        const stmt = prepare(conn, sql);
        const rows = allRows(stmt, args);
        if (rows.length > options.maxRows) {
          throw new FaztError(
            "payload_too_large",
            `The query returned ${rows.length} rows; the limit is ${options.maxRows}. ` +
              "Add a LIMIT and page with OFFSET or a WHERE on the last key.",
            { details: { rows: rows.length, limit: options.maxRows } },
          );
        }
        return rows.map((row) => ({ ...row }));
      } catch (err) {
        throw toError(conn, err);
      }
    },

    run(sql, params) {
      const args = bindParams(params);
      try {
        const stmt = prepare(main, sql);
        const result = "named" in args ? stmt.run(args.named) : stmt.run(...args.positional);
        return {
          changes: Number(result.changes),
          lastInsertRowid: Number(result.lastInsertRowid),
        };
      } catch (err) {
        throw toError(main, err);
      }
    },

    close() {
      readOnly?.db.close();
      main.db.close();
    },
  };
}
