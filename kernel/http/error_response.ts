/**
 * The one place where errors become HTTP responses:
 * status from the error code, body `{"error":{"code","message","details"}}`.
 *
 * @module
 */
import { FaztError, toFaztError } from "../core/errors.ts";

/** Options for {@linkcode errorResponse}. */
export interface ErrorResponseOptions {
  /** The request's ID, echoed in `x-request-id` and used in the log line. */
  requestId?: string;
  /** Where internal errors are logged (default: console.error). */
  log?: (line: string, err: unknown) => void;
}

/** Headers of every error response; an error's own headers cannot replace them. */
const FIXED: readonly (readonly [string, string])[] = [
  ["content-type", "application/json; charset=utf-8"],
  ["cache-control", "no-store"],
  ["x-content-type-options", "nosniff"],
];

/**
 * Turns anything thrown into the JSON error response. Headers go in as a
 * list, not a `Headers` object: guards refuse floods of requests with
 * errors (429, 503) and this is most of what a refusal costs.
 */
export function errorResponse(err: unknown, options: ErrorResponseOptions = {}): Response {
  const e = err instanceof FaztError ? err : toFaztError(err);
  if (e.code === "internal") {
    (options.log ?? ((line, cause) => console.error(line, cause)))(
      `[${options.requestId ?? "-"}] internal error:`,
      e.cause ?? e,
    );
  }
  const headers: [string, string][] = [...FIXED] as [string, string][];
  let challenged = false;
  for (const name in e.headers) {
    const key = name.toLowerCase();
    if (FIXED.some(([fixed]) => fixed === key) || (key === "x-request-id" && options.requestId)) {
      continue;
    }
    if (key === "www-authenticate") challenged = true;
    headers.push([key, e.headers[name]]);
  }
  if (options.requestId) headers.push(["x-request-id", options.requestId]);
  if (e.code === "unauthorized" && !challenged) {
    headers.push(["www-authenticate", 'Bearer realm="fazt"']);
  }
  return new Response(JSON.stringify(e.toJSON()), { status: e.status, headers });
}

/** A JSON success response. */
export function jsonResponse(body: unknown, status = 200, requestId?: string): Response {
  const headers: [string, string][] = [
    ["content-type", "application/json; charset=utf-8"],
    ["cache-control", "no-store"],
    ["x-content-type-options", "nosniff"],
  ];
  if (requestId) headers.push(["x-request-id", requestId]);
  return new Response(JSON.stringify(body), { status, headers });
}
