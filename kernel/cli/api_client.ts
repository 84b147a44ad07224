/**
 * The CLI's client for the REST API: turns an operation and its input into
 * the HTTP request the REST codec expects, and the response back into the
 * output or a `FaztError`. Works over the network or against an in-process
 * kernel's handler (same requests, no socket). Streaming operations
 * (`http.stream`) answer with server-sent events, read by
 * {@linkcode ApiClient.stream}.
 *
 * @module
 */
import { ERROR_CODES, type ErrorCode, FaztError } from "../core/errors.ts";
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
  /**
   * Runs an operation and returns the successful response itself (for its
   * headers, e.g. `Set-Cookie`); an error response becomes a `FaztError`.
   */
  respond(op: AnyOperation, input: Record<string, unknown>): Promise<Response>;
  /**
   * Runs a streaming operation and yields each output as it arrives, until
   * the server ends the stream or `signal` aborts (which ends it quietly).
   */
  stream(
    op: AnyOperation,
    input: Record<string, unknown>,
    signal?: AbortSignal,
  ): AsyncIterable<unknown>;
}

/** Extra request settings for {@linkcode buildRequest}. */
export interface RequestExtras {
  /** Headers added to every request (e.g. a session cookie and `Origin`). */
  headers?: HeadersInit;
  /** Aborts the request (and, for streams, tells the server to stop). */
  signal?: AbortSignal;
}

/** Builds the REST request for an operation call. */
export function buildRequest(
  baseUrl: string,
  token: string | undefined,
  op: AnyOperation,
  input: Record<string, unknown>,
  extras: RequestExtras = {},
): Request {
  const rest = { ...input };
  const path = op.http.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  const url = new URL(`/_fazt/api${path}`, baseUrl);
  const headers = new Headers(extras.headers);
  headers.set("accept", op.http.stream ? "text/event-stream" : "application/json");
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
    signal: extras.signal,
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

/**
 * Parses a server-sent event stream into the JSON values of its `data`
 * fields (comment lines, starting with `:`, and other fields are skipped).
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<unknown> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data: string[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          if (data.length > 0) {
            const text = data.join("\n");
            data = [];
            yield parseEvent(text);
          }
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
      }
    }
    if (data.length > 0) yield parseEvent(data.join("\n"));
  } finally {
    // Not awaited: an in-process producer may only finish cancelling once
    // the caller has also aborted the request.
    reader.cancel().catch(() => {});
  }
}

function parseEvent(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FaztError(
      "internal",
      `The server sent an event that is not JSON: ${text.slice(0, 200)}. Is this a fazt server?`,
    );
  }
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true ||
    (err instanceof DOMException && err.name === "AbortError");
}

/** Creates a client for a server. */
export function createApiClient(
  baseUrl: string,
  token: string | undefined,
  send: FetchLike = fetch,
  headers?: HeadersInit,
): ApiClient {
  async function respond(
    op: AnyOperation,
    input: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await send(buildRequest(baseUrl, token, op, input, { headers, signal }));
    } catch (err) {
      if (err instanceof FaztError) throw err;
      throw new FaztError(
        "unavailable",
        `Cannot reach the fazt server at ${baseUrl} (${(err as Error).message}). Is it running?`,
        { cause: err },
      );
    }
    if (!res.ok) throw await readError(res);
    return res;
  }
  return {
    baseUrl,
    respond: (op, input) => respond(op, input),
    async call(op, input) {
      return await (await respond(op, input)).json();
    },
    async *stream(op, input, signal) {
      // The request gets its own controller so that stopping early (a
      // `break`, or `signal`) always tells the server the stream is over.
      const controller = new AbortController();
      const stop = () => controller.abort();
      signal?.addEventListener("abort", stop, { once: true });
      try {
        if (signal?.aborted) return;
        let res: Response;
        try {
          res = await respond(op, input, controller.signal);
        } catch (err) {
          if (isAbort(err, signal)) return;
          throw err;
        }
        if (!res.body) return;
        try {
          yield* readEvents(res.body);
        } catch (err) {
          if (isAbort(err, signal)) return;
          if (err instanceof FaztError) throw err;
          throw new FaztError(
            "unavailable",
            `The stream from ${baseUrl} broke off (${
              (err as Error).message
            }). Run the command again.`,
            { cause: err },
          );
        }
      } finally {
        signal?.removeEventListener("abort", stop);
        controller.abort();
      }
    },
  };
}
