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
 * Results are bounded while SQLite steps, not after: a query stops at one
 * row past `maxRows` or once its rows pass `maxResultBytes`, so a huge
 * result is refused without ever being held whole. This connection runs in
 * the app's own SQL process (`sql_process_main.ts`), never in the kernel.
 *
 * @module
 */
import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import { FaztError } from "../../../core/errors.ts";
import { describe, utf8Length } from "../../../core/text.ts";
import { isPlainObject } from "../json_value.ts";
import { formatBytes } from "../../../core/format.ts";

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
  /** Largest result of one query, in bytes ({@linkcode resultSize}). */
  maxResultBytes: number;
  /**
   * SQLite's hard heap limit for this process, in bytes (`PRAGMA
   * hard_heap_limit`; the soft limit is half of it): an allocation past it
   * fails the statement with "out of memory". Unset: no limit.
   */
  heapLimitBytes?: number;
}

/** An app's `sql.db`: one read-write and one lazily opened read-only connection. */
export interface AppSqlConnection {
  /** Runs one statement and returns its rows (on the read-only connection when `readOnly`). */
  all(sql: string, params: SqlParams | undefined, readOnly: boolean): SqlRow[];
  /** Runs one statement and reports its changes. */
  run(sql: string, params: SqlParams | undefined): SqlExecResult;
  /** Opens the read-only connection now rather than on the first read-only query. */
  openReadOnly(): void;
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

/** Actions a statement that only reads may need. */
const READ_ACTIONS: ReadonlySet<number> = new Set([
  AUTH.SELECT,
  AUTH.READ,
  AUTH.FUNCTION,
  AUTH.RECURSIVE,
  AUTH.PRAGMA,
]);

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
export type BindArgs = { named: Record<string, SQLInputValue> } | { positional: SQLInputValue[] };

/**
 * Validates statement parameters (null, finite numbers, bigints, strings,
 * booleans as 1/0, `Uint8Array`), refusing anything else with
 * `invalid_input`.
 */
export function bindParams(params: SqlParams | undefined): BindArgs {
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
 * Checks what can be checked of a statement without SQLite: it is a string,
 * within `maxSqlBytes` and valid Unicode.
 */
export function checkSqlText(sql: unknown, maxSqlBytes: number): string {
  if (typeof sql !== "string") {
    throw new FaztError("invalid_input", `The SQL must be a string (got ${describe(sql)}).`);
  }
  const size = utf8Length(sql);
  if (size > maxSqlBytes) {
    throw new FaztError(
      "payload_too_large",
      `The SQL statement is ${size} bytes; the limit is ${maxSqlBytes}. Pass data as parameters.`,
      { details: { size, limit: maxSqlBytes } },
    );
  }
  if (!sql.isWellFormed()) {
    throw new FaztError(
      "invalid_input",
      "The SQL is not valid Unicode (it has a lone surrogate).",
    );
  }
  return sql;
}

/**
 * What one value adds to a result's size: its UTF-8 bytes for text, its
 * length for bytes, 8 for a number or null.
 */
function valueSize(value: unknown): number {
  if (typeof value === "string") return utf8Length(value);
  if (value instanceof Uint8Array) return value.byteLength;
  return 8;
}

/**
 * The size of a result as the result limit counts it: each row's column
 * names and values ({@linkcode valueSize}).
 */
export function resultSize(rows: readonly Record<string, unknown>[]): number {
  let bytes = 0;
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) bytes += utf8Length(name) + valueSize(value);
  }
  return bytes;
}

function tooManyRows(rows: string, limit: number): FaztError {
  return new FaztError(
    "payload_too_large",
    `The query returned ${rows} rows; the limit is ${limit}. ` +
      "Add a LIMIT and page with OFFSET or a WHERE on the last key.",
    { details: { limit } },
  );
}

function tooManyBytes(limit: number): FaztError {
  return new FaztError(
    "payload_too_large",
    `The query's result is larger than ${formatBytes(limit)}, the limit for one call. ` +
      "Select fewer columns or rows (add a LIMIT and page), or read large values in parts " +
      "with substr().",
    { details: { limitBytes: limit } },
  );
}

/**
 * A statement's text without its terminating semicolon, closed so that more
 * text may follow it: a trailing `--` comment is ended by the newline the
 * caller adds, an unterminated block comment is closed here. `text` is one
 * statement SQLite has already accepted, so quotes and brackets are balanced.
 */
function statementText(text: string): string {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      for (;;) {
        const end = text.indexOf(close, j);
        if (end === -1) return text; // unbalanced: cannot happen for a prepared statement
        if (close !== "]" && text[end + 1] === close) {
          j = end + 2; // doubled quote
          continue;
        }
        i = end + 1;
        break;
      }
    } else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i + 2);
      if (end === -1) return text;
      i = end + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) return text + "*/";
      i = end + 2;
    } else if (c === ";") {
      return text.slice(0, i);
    } else {
      i++;
    }
  }
  return text;
}

/** A statement a query may start with to be stepped with a bound (not `all()` at once). */
const QUERY_START = /^(?:select|with|values)\b/i;

/**
 * All rows of `stmt`. `all()`, not `iterate()`: this Deno's `iterate()`
 * ends quietly when a step fails (a constraint, an authorizer denial at run
 * time), which would turn errors into empty results.
 */
function allRows(stmt: StatementSync, args: BindArgs): Record<string, SQLOutputValue>[] {
  return "named" in args ? stmt.all(args.named) : stmt.all(...args.positional);
}

/** Copies a row from `node:sqlite` (null prototype) into a plain object. */
function plainRow(names: readonly string[], values: readonly SQLOutputValue[]): SqlRow {
  const row: SqlRow = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name === "__proto__") {
      Object.defineProperty(row, name, {
        value: values[i],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else row[name] = values[i];
  }
  return row;
}

/** SQLite's result code for a failed allocation. */
const SQLITE_NOMEM = 7;

/**
 * Sets SQLite's process-wide heap limits (hard at `bytes`, soft at half,
 * so SQLite frees cache first) on a throwaway in-memory connection, before
 * any app connection exists: app SQL itself may never set a pragma.
 */
function setHeapLimit(bytes: number): void {
  const n = Math.max(1, Math.floor(bytes));
  const db = new DatabaseSync(":memory:");
  try {
    db.exec(`PRAGMA hard_heap_limit = ${n}`);
    db.exec(`PRAGMA soft_heap_limit = ${Math.floor(n / 2)}`);
  } finally {
    db.close();
  }
}

/** Opens one connection to `path` with every lock in place for `mode`. */
function connect(path: string, mode: Mode, busyTimeoutMs: number): {
  db: DatabaseSync;
  takeDenial(): Denial | null;
  /** Whether every action authorized since the last `takeDenial()` only reads. */
  onlyReads(): boolean;
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
  let reads = true;
  h.setAuthorizer((action, arg1, arg2) => {
    if (!READ_ACTIONS.has(action)) reads = false;
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
      reads = true;
      return d;
    },
    onlyReads: () => reads,
  };
}

/** Opens (creating if needed) an app's `sql.db` with every isolation lock in place. */
export function openAppSql(path: string, options: AppSqlOptions): AppSqlConnection {
  const heap = options.heapLimitBytes;
  if (heap !== undefined) setHeapLimit(heap);
  const main = connect(path, "app", options.busyTimeoutMs);
  let readOnly: ReturnType<typeof connect> | null = null;

  const toError = (conn: ReturnType<typeof connect>, err: unknown): FaztError => {
    const denial = conn.takeDenial();
    if (err instanceof FaztError) return err;
    if (denial) return denialError(denial);
    if (heap !== undefined && (err as { errcode?: unknown }).errcode === SQLITE_NOMEM) {
      return new FaztError(
        "payload_too_large",
        `The SQL statement needed more than the ${
          formatBytes(heap)
        } of memory this app's SQL may use (a quarter of its memory cap) and was stopped. ` +
          "Work on fewer or smaller rows (add a LIMIT or a WHERE), or ask the owner to raise the app's memory cap.",
        { details: { sqliteHeapBytes: heap } },
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return new FaztError("invalid_input", `SQL error: ${message}`, {
      details: { sqlite: message },
    });
  };

  const prepare = (conn: ReturnType<typeof connect>, sql: string): StatementSync => {
    checkSqlText(sql, options.maxSqlBytes);
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

  /** Marks the end of a stepped query's rows; secret, so no row of the app's can equal it. */
  const endMark = `fazt-end-${crypto.randomUUID()}`;

  /**
   * The rows of a query that only reads, stepped one by one and stopped one
   * row past `maxRows` or once past `maxResultBytes`. `iterate()` is the
   * only way to step, but it ends quietly when a step fails, so the query
   * runs as `SELECT * FROM (query) UNION ALL SELECT <end mark>`: SQLite
   * returns a compound's parts in order, so the end mark arrives only when
   * the query ran to its end. Without it the query failed, and it runs
   * once more with `all()` to report why. Column names come from the
   * query itself (the wrapper would rename duplicates). Returns `null` when
   * the query cannot be wrapped (the caller then uses `all()`).
   */
  function steppedRows(
    conn: ReturnType<typeof connect>,
    stmt: StatementSync,
    args: BindArgs,
  ): SqlRow[] | null {
    const names = stmt.columns().map((c) => c.name);
    if (names.length === 0) return null;
    const text = `SELECT * FROM (\n${
      statementText(stmt.sourceSQL)
    }\n) UNION ALL SELECT '${endMark}'${", NULL".repeat(names.length - 1)}`;
    let wrapped: StatementSync;
    try {
      conn.takeDenial();
      wrapped = conn.db.prepare(text);
    } catch {
      conn.takeDenial();
      return null;
    }
    if (
      wrapped.sourceSQL !== text || wrapped.columns().length !== names.length || !conn.onlyReads()
    ) {
      return null;
    }
    const arrays = wrapped as StatementSync & { setReturnArrays?(on: boolean): void };
    if (typeof arrays.setReturnArrays !== "function") return null;
    arrays.setReturnArrays(true);
    const namesSize = names.reduce((sum, name) => sum + utf8Length(name), 0);
    const rows: SqlRow[] = [];
    let bytes = 0;
    const steps = "named" in args
      ? wrapped.iterate(args.named)
      : wrapped.iterate(...args.positional);
    // Leaving the loop early (break or throw) resets the statement.
    for (const step of steps) {
      const values = step as unknown as SQLOutputValue[];
      if (values[0] === endMark) return rows;
      if (rows.length === options.maxRows) {
        throw tooManyRows(`at least ${rows.length + 1}`, options.maxRows);
      }
      bytes += namesSize;
      for (const value of values) bytes += valueSize(value);
      if (bytes > options.maxResultBytes) throw tooManyBytes(options.maxResultBytes);
      rows.push(plainRow(names, values));
    }
    // The query failed part-way: run it again to get SQLite's error.
    rows.length = 0;
    const all = allRows(stmt, args);
    if (all.length > options.maxRows) throw tooManyRows(String(all.length), options.maxRows);
    if (resultSize(all) > options.maxResultBytes) throw tooManyBytes(options.maxResultBytes);
    return all.map((row) => ({ ...row }));
  }

  return {
    all(sql, params, ro) {
      let conn = main;
      if (ro) readOnly = conn = readOnly ?? connect(path, "readOnly", options.busyTimeoutMs);
      const args = bindParams(params);
      try {
        const stmt = prepare(conn, sql);
        const bounded = QUERY_START.test(stmt.sourceSQL) && conn.onlyReads()
          ? steppedRows(conn, stmt, args)
          : null;
        if (bounded) return bounded;
        const rows = allRows(stmt, args);
        if (rows.length > options.maxRows) throw tooManyRows(String(rows.length), options.maxRows);
        if (resultSize(rows) > options.maxResultBytes) throw tooManyBytes(options.maxResultBytes);
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

    openReadOnly() {
      readOnly ??= connect(path, "readOnly", options.busyTimeoutMs);
    },

    close() {
      readOnly?.db.close();
      main.db.close();
    },
  };
}
