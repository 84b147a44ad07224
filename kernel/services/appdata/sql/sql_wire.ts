/**
 * The protocol between the kernel and an app's SQL process: one JSON object
 * per line on the child's stdin (kernel → child) and stdout (child →
 * kernel). The kernel sends one request at a time.
 *
 * SQL values are JSON but for three kinds, sent as tagged objects (a plain
 * SQL value is never an object, so a tag cannot be confused with data):
 * bytes as `{"$bytes": "<base64>"}`, bigint parameters as
 * `{"$bigint": "<decimal>"}`, and the numbers JSON cannot hold (±Infinity,
 * -0) as `{"$num": "Infinity" | "-Infinity" | "-0"}`. Results never hold
 * bigints: an integer beyond 2^53 is an error, as it was in-process.
 *
 * @module
 */
import { ERROR_CODES, type ErrorCode, FaztError } from "../../../core/errors.ts";
import type { BindArgs, SqlExecResult, SqlRow } from "./sql_connection.ts";

/** What the child needs to open the app's database. */
export interface SqlInit {
  t: "init";
  busyTimeoutMs: number;
  maxSqlBytes: number;
  maxRows: number;
  maxResultBytes: number;
  /** SQLite's hard heap limit in bytes (see `AppSqlOptions.heapLimitBytes`); absent: none. */
  heapLimitBytes?: number;
}

/** A statement's parameters on the wire. */
export type WireParams =
  | { positional: unknown[] }
  | { named: [string, unknown][] };

/** Kernel → child. */
export type SqlRequest =
  | SqlInit
  | { t: "all"; id: number; sql: string; params: WireParams; readOnly: boolean }
  | { t: "run"; id: number; sql: string; params: WireParams };

/** An error as the child reports it. */
export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Child → kernel. */
export type SqlAnswer =
  | { t: "ready" }
  | { t: "fatal"; message: string }
  | { t: "rows"; id: number; rows: Record<string, unknown>[] }
  | { t: "result"; id: number; result: SqlExecResult }
  | { t: "error"; id: number; error: WireError };

/** Encodes one value that JSON cannot carry as is; others pass unchanged. */
export function encodeValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: value.toBase64() };
  if (typeof value === "bigint") return { $bigint: value.toString() };
  if (typeof value === "number") {
    if (value === Infinity) return { $num: "Infinity" };
    if (value === -Infinity) return { $num: "-Infinity" };
    if (Object.is(value, -0)) return { $num: "-0" };
  }
  return value;
}

/** Decodes a value made by {@linkcode encodeValue}. */
export function decodeValue(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const tagged = value as { $bytes?: unknown; $bigint?: unknown; $num?: unknown };
  if (typeof tagged.$bytes === "string") return Uint8Array.fromBase64(tagged.$bytes);
  if (typeof tagged.$bigint === "string") return BigInt(tagged.$bigint);
  switch (tagged.$num) {
    case "Infinity":
      return Infinity;
    case "-Infinity":
      return -Infinity;
    case "-0":
      return -0;
  }
  throw new Error("Unknown value on the SQL process wire.");
}

/** Validated parameters, ready to send. */
export function encodeParams(args: BindArgs): WireParams {
  if ("named" in args) {
    return { named: Object.entries(args.named).map(([k, v]) => [k, encodeValue(v)]) };
  }
  return { positional: args.positional.map(encodeValue) };
}

/**
 * Parameters as the child binds them: an array, or an object without a
 * prototype (so a parameter named `__proto__` is just a name).
 */
export function decodeParams(params: WireParams): unknown[] | Record<string, unknown> {
  if ("named" in params) {
    const named: Record<string, unknown> = Object.create(null);
    for (const [name, value] of params.named) named[name] = decodeValue(value);
    return named;
  }
  return params.positional.map(decodeValue);
}

/** JSON text of result rows, values encoded. */
export function stringifyRows(rows: readonly SqlRow[]): string {
  return JSON.stringify(rows, function (this: unknown, _key, value) {
    // Rows are objects of values; only values can need a tag.
    return Array.isArray(this) ? value : encodeValue(value);
  });
}

/** Result rows from the wire, in place: plain objects with decoded values. */
export function decodeRows(rows: Record<string, unknown>[]): SqlRow[] {
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      // An own "__proto__" property (from JSON.parse) is assigned as data.
      if (typeof value === "object" && value !== null) row[name] = decodeValue(value);
    }
  }
  return rows as SqlRow[];
}

/** An error for the wire. */
export function encodeError(err: unknown): WireError {
  if (err instanceof FaztError) {
    return { code: err.code, message: err.message, details: err.details };
  }
  return {
    code: "internal",
    message: "The app's SQL process failed unexpectedly.",
    details: {},
  };
}

/** A `FaztError` from the wire (codes it does not know become `internal`). */
export function decodeError(error: WireError): FaztError {
  const code: ErrorCode = Object.hasOwn(ERROR_CODES, error.code)
    ? error.code as ErrorCode
    : "internal";
  return new FaztError(code, String(error.message), { details: error.details ?? {} });
}
