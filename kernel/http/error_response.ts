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

/** Turns anything thrown into the JSON error response. */
export function errorResponse(err: unknown, options: ErrorResponseOptions = {}): Response {
  const e = err instanceof FaztError ? err : toFaztError(err);
  if (e.code === "internal") {
    (options.log ?? ((line, cause) => console.error(line, cause)))(
      `[${options.requestId ?? "-"}] internal error:`,
      e.cause ?? e,
    );
  }
  const headers = new Headers(e.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("cache-control", "no-store");
  headers.set("x-content-type-options", "nosniff");
  if (options.requestId) headers.set("x-request-id", options.requestId);
  if (e.code === "unauthorized" && !headers.has("www-authenticate")) {
    headers.set("www-authenticate", 'Bearer realm="fazt"');
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
