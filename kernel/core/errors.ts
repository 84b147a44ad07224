/**
 * The one error type of fazt. Every failure a user can act on is a
 * `FaztError` with a stable `code`; transports map the code to their own
 * shape (HTTP status + JSON, CLI exit code, MCP `isError`) through
 * {@linkcode ERROR_CODES}, so the mapping lives in exactly one place.
 *
 * @module
 */

/** What each error code means to every transport. */
export interface ErrorCodeInfo {
  /** HTTP status sent by the REST codec. */
  status: number;
  /** Process exit code used by the CLI (1 = failed, 2 = usage). */
  exit: 1 | 2;
}

/** Every stable error code, with its HTTP status and CLI exit code. */
export const ERROR_CODES = {
  bad_request: { status: 400, exit: 1 },
  invalid_input: { status: 400, exit: 2 },
  invalid_json: { status: 400, exit: 1 },
  invalid_archive: { status: 400, exit: 1 },
  invalid_manifest: { status: 400, exit: 1 },
  invalid_name: { status: 400, exit: 1 },
  reserved_name: { status: 400, exit: 1 },
  unauthorized: { status: 401, exit: 1 },
  forbidden: { status: 403, exit: 1 },
  not_found: { status: 404, exit: 1 },
  method_not_allowed: { status: 405, exit: 1 },
  conflict: { status: 409, exit: 1 },
  payload_too_large: { status: 413, exit: 1 },
  unsupported_media_type: { status: 415, exit: 1 },
  range_not_satisfiable: { status: 416, exit: 1 },
  rate_limited: { status: 429, exit: 1 },
  internal: { status: 500, exit: 1 },
  app_error: { status: 500, exit: 1 },
  not_implemented: { status: 501, exit: 1 },
  bad_gateway: { status: 502, exit: 1 },
  unavailable: { status: 503, exit: 1 },
  gateway_timeout: { status: 504, exit: 1 },
  insufficient_storage: { status: 507, exit: 1 },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options for {@linkcode FaztError}. */
export interface FaztErrorOptions {
  /** Safe, structured data shown to the caller (never secrets or internals). */
  details?: Record<string, unknown>;
  /** The underlying error, kept private: logged, never sent to clients. */
  cause?: unknown;
  /** Extra response headers a transport should send (e.g. `Retry-After`). */
  headers?: Record<string, string>;
}

/**
 * An error a user can act on. The message is a full sentence that says what
 * went wrong and, where possible, what to do next.
 *
 * @example
 * ```ts
 * throw new FaztError("not_found", 'No app is named "blog". Run `fazt app list` to see your apps.');
 * ```
 */
export class FaztError extends Error {
  /** The stable code clients can branch on. */
  readonly code: ErrorCode;
  /** Safe details for the caller. */
  readonly details: Record<string, unknown>;
  /** Extra headers for HTTP transports. */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: FaztErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "FaztError";
    this.code = code;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The JSON body every transport uses: `{"error":{"code","message","details"}}`. */
  toJSON(): {
    error: {
      code: ErrorCode;
      message: string;
      details: Record<string, unknown>;
    };
  } {
    return {
      error: { code: this.code, message: this.message, details: this.details },
    };
  }
}

/**
 * Turns anything thrown into a `FaztError`. Unknown errors become `internal`
 * with a generic message; their text stays in `cause` so it reaches the log
 * but never a client.
 */
export function toFaztError(err: unknown): FaztError {
  if (err instanceof FaztError) return err;
  return new FaztError(
    "internal",
    "Something went wrong inside fazt. The server log has the details.",
    {
      cause: err,
    },
  );
}
