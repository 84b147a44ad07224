/**
 * The dashboard's only way to the server: the public REST API under
 * `/_fazt/api`, called by operation name through the generated route table
 * (`gen/api.ts`), with the owner's session cookie. Errors carry the API's
 * own message (`{"error":{"code","message"}}`) so pages can show it as is.
 *
 * - {@linkcode call}: an operation with a JSON answer;
 * - {@linkcode upload}: an operation whose input includes a raw upload
 *   (a deploy's zip), with upload progress;
 * - {@linkcode follow}: an operation that answers with server-sent events
 *   (the log tail);
 * - {@linkcode downloadUrl}: where the browser saves an operation's file
 *   from (an app's export).
 *
 * @module
 */
import type { DownloadOp, Input, OpName, Output, StreamOp, UploadOp } from "./gen/api.ts";
import { requestFor } from "./lib/request.ts";

export type { Input, OpName, Output, Scope } from "./gen/api.ts";
export { SCOPES } from "./gen/api.ts";

/** The operations answered with one JSON value. */
export type JsonOp = Exclude<OpName, StreamOp | UploadOp | DownloadOp>;

/** The input argument: optional for operations that take nothing required. */
export type InputArg<N extends OpName> = Record<string, never> extends Input<N> ? [Input<N>?]
  : [Input<N>];

/** An error answered by the API (or the network). */
export class ApiError extends Error {
  /** The API's error code, e.g. `not_found`, or `network`. */
  readonly code: string;
  /** The HTTP status (0 for network failures). */
  readonly status: number;

  constructor(message: string, code: string, status: number) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

let unauthorized: (() => void) | undefined;

/** Sets what happens when the session is gone (a 401 from the API). */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

/** Turns an API answer's text into an `ApiError`. */
export function errorFrom(status: number, statusText: string, text: string): ApiError {
  let body: { error?: { code?: string; message?: string } } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const e = body?.error;
  return new ApiError(
    e?.message ?? `The server answered ${status} ${statusText}`.trim(),
    e?.code ?? `http_${status}`,
    status,
  );
}

/**
 * Calls an operation and answers its output. Same-origin fetches send
 * `Origin` on state-changing methods, which the API's CSRF check requires
 * for cookie sessions. A 401 outside `auth.*` means the session is gone.
 */
export async function call<N extends JsonOp>(op: N, ...[input]: InputArg<N>): Promise<Output<N>> {
  const req = requestFor(op, input);
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      credentials: "same-origin",
      headers: req.contentType
        ? { accept: "application/json", "content-type": req.contentType }
        : { accept: "application/json" },
      body: req.body,
    });
  } catch {
    throw new ApiError("Could not reach the server. Check your connection.", "network", 0);
  }
  const text = await res.text();
  if (!res.ok) {
    const err = errorFrom(res.status, res.statusText, text);
    if (res.status === 401 && !op.startsWith("auth.")) unauthorized?.();
    throw err;
  }
  return (text ? JSON.parse(text) : null) as Output<N>;
}

/** An upload's progress. */
export interface UploadProgress {
  /** Bytes sent. */
  loaded: number;
  /** Bytes to send. */
  total: number;
}

/**
 * Calls an operation whose input holds a raw upload (`apps.deploy`'s zip)
 * with XMLHttpRequest, which reports upload progress.
 */
export function upload<N extends UploadOp>(
  op: N,
  input: Input<N>,
  onProgress: (p: UploadProgress) => void,
): Promise<Output<N>> {
  const req = requestFor(op, input);
  const body = req.body as Blob;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.url);
    if (req.contentType) xhr.setRequestHeader("content-type", req.contentType);
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.onprogress = (e) => {
      onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : body.size });
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(JSON.parse(xhr.responseText) as Output<N>);
      } else {
        if (xhr.status === 401) unauthorized?.();
        reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
      }
    };
    xhr.onerror = () =>
      reject(new ApiError("The upload failed: the connection was lost.", "network", 0));
    xhr.onabort = () => reject(new ApiError("The upload was cancelled.", "aborted", 0));
    xhr.send(body);
  });
}

/** What {@linkcode follow} reports. */
export interface FollowHandlers<T> {
  /** The stream is (re)connected; it starts again from its backlog. */
  onOpen(): void;
  /** One event's value. */
  onMessage(value: T): void;
  /** The connection dropped: `closed` when the browser gives up, else it retries. */
  onError(closed: boolean): void;
}

/**
 * Follows an operation that answers with server-sent events (an
 * `EventSource`, which reconnects by itself); returns the function that
 * stops following.
 */
export function follow<N extends StreamOp>(
  op: N,
  input: Input<N>,
  handlers: FollowHandlers<Output<N>>,
): () => void {
  const es = new EventSource(requestFor(op, input).url);
  es.onopen = () => handlers.onOpen();
  es.onerror = () => handlers.onError(es.readyState === EventSource.CLOSED);
  es.onmessage = (e) => handlers.onMessage(JSON.parse(e.data) as Output<N>);
  return () => es.close();
}

/**
 * The URL of an operation that answers with a file (an app's `.fazt`
 * export): a plain link to it downloads the file with the session cookie.
 */
export function downloadUrl<N extends DownloadOp>(op: N, input: Input<N>): string {
  return requestFor(op, input).url;
}
