/**
 * The CLI's client for the REST API: turns an operation and its input into
 * the HTTP request the REST codec expects, and the response back into the
 * output or a `FaztError`. Works over the network or against an in-process
 * kernel's handler (same requests, no socket).
 *
 * @module
 */
import { ERROR_CODES, type ErrorCode, FaztError } from "../errors.ts";
import type { AnyOperation } from "../ops/operation.ts";
import { Upload } from "../ops/upload.ts";

/** Sends a request somewhere: `fetch`, or a kernel's handler. */
export type FetchLike = (req: Request) => Promise<Response> | Response;

/** A client bound to one server and credential. */
export interface ApiClient {
  /** The server's base URL. */
  readonly baseUrl: string;
  /** Runs an operation remotely and returns its output. */
  call(op: AnyOperation, input: Record<string, unknown>): Promise<unknown>;
}

/** Builds the REST request for an operation call. */
export function buildRequest(
  baseUrl: string,
  token: string | undefined,
  op: AnyOperation,
  input: Record<string, unknown>,
): Request {
  const rest = { ...input };
  const path = op.http.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  const url = new URL(`/_fazt/api${path}`, baseUrl);
  const headers = new Headers({ accept: "application/json" });
  if (token) headers.set("authorization", `Bearer ${token}`);
  let body: BodyInit | undefined;
  const upload = op.http.upload;
  if (upload) {
    const file = rest[upload.field];
    delete rest[upload.field];
    if (!(file instanceof Upload)) {
      throw new Error(`${op.name} needs an Upload in ${upload.field}.`);
    }
    body = file.stream;
    headers.set("content-type", upload.contentTypes[0]);
    if (file.size !== undefined) headers.set("content-length", String(file.size));
  }
  const inQuery = upload || op.http.method === "GET" || op.http.method === "DELETE";
  const fields = Object.entries(rest).filter(([, v]) => v !== undefined);
  if (inQuery) {
    for (const [k, v] of fields) {
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
    }
  } else if (fields.length > 0) {
    body = JSON.stringify(Object.fromEntries(fields));
    headers.set("content-type", "application/json");
  }
  return new Request(url, {
    method: op.http.method,
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Reads an error response into a `FaztError`. */
export async function readError(res: Response): Promise<FaztError> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text);
    const code: ErrorCode = error.code in ERROR_CODES ? error.code : "internal";
    return new FaztError(code, String(error.message), { details: error.details ?? {} });
  } catch {
    return new FaztError(
      res.status === 401 ? "unauthorized" : "internal",
      `The server answered ${res.status} ${res.statusText}${
        text ? `: ${text.slice(0, 200)}` : ""
      }.`,
    );
  }
}

/** Creates a client for a server. */
export function createApiClient(
  baseUrl: string,
  token: string | undefined,
  send: FetchLike = fetch,
): ApiClient {
  return {
    baseUrl,
    async call(op, input) {
      let res: Response;
      try {
        res = await send(buildRequest(baseUrl, token, op, input));
      } catch (err) {
        if (err instanceof FaztError) throw err;
        throw new FaztError(
          "unavailable",
          `Cannot reach the fazt server at ${baseUrl} (${(err as Error).message}). Is it running?`,
          { cause: err },
        );
      }
      if (!res.ok) throw await readError(res);
      return await res.json();
    },
  };
}
