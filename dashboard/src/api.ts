/**
 * The dashboard's only way to the server: the public REST API under
 * `/_fazt/api`, with the owner's session cookie. Errors carry the API's own
 * message (`{"error":{"code","message"}}`) so pages can show it as is.
 *
 * @module
 */

/** The REST API's base path. */
export const API_BASE = "/_fazt/api";

import type { Scope } from "../../kernel/auth/scopes.ts";
export { type Scope, SCOPES } from "../../kernel/auth/scopes.ts";

/** An app (`apps.list`). */
export interface AppView {
  id: string;
  name: string;
  url: string;
  title: string | null;
  description: string | null;
  version: number | null;
  files: number;
  bytes: number;
  hasLogo: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A version of an app. */
export interface VersionView {
  number: number;
  createdAt: string;
  files: number;
  bytes: number;
  live: boolean;
}

/** Traffic counters. */
export interface Traffic {
  requests: number;
  bytesOut: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
}

/** One app in full (`apps.get`). */
export interface AppDetail extends AppView {
  versions: VersionView[];
  traffic24h: Traffic;
}

/** An app's egress this calendar month (`apps.egress`). */
export interface EgressView {
  /** `YYYY-MM` (UTC). */
  month: string;
  servedBytes: number;
  fetchedBytes: number;
  /** The monthly limit, or null for none. */
  limitBytes: number | null;
}

/** What `apps.deploy` answers. */
export interface DeployOutput {
  app: AppView;
  version: VersionView;
  created: boolean;
}

/** A file of a version (`apps.files`). */
export interface FileView {
  path: string;
  size: number;
  contentType: string;
  hash: string;
  modifiedAt: string;
}

/** A file's content (`apps.read_file`). */
export interface FileContent {
  path: string;
  size: number;
  contentType: string;
  encoding: "utf-8" | "base64";
  content: string;
}

/** A log entry. */
export interface LogView {
  at: string;
  level: "debug" | "info" | "warn" | "error";
  source: "kernel" | "app";
  message: string;
  requestId: string | null;
}

/** A secret's name and times (never its value). */
export interface SecretView {
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** A document collection of an app (`data.docs_collections`). */
export interface CollectionView {
  name: string;
  count: number;
}

/** A route (alias or `@`). */
export interface RouteView {
  host: string;
  appId: string;
  app: string;
  url: string;
  createdAt: string;
}

/** An API token (never its secret). */
export interface TokenView {
  id: string;
  name: string;
  scopes: Scope[];
  apps: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A new token, with its secret shown once. */
export interface NewToken extends TokenView {
  token: string;
}

/** The caller (`auth.whoami`). */
export interface Whoami {
  kind: "token" | "session" | "anonymous";
  scopes: Scope[];
  apps: string[] | null;
  tokenId: string | null;
  owner: { id: string; email: string } | null;
  setupNeeded: boolean;
}

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

/** Builds an API path with encoded segments: `path("apps", name, "files")`. */
export function path(...segments: (string | number)[]): string {
  return "/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
}

/** Adds a query string (skipping undefined and empty values). */
export function withQuery(p: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${p}?${s}` : p;
}

/**
 * Calls the REST API. Same-origin fetches send `Origin` on state-changing
 * methods, which the API's CSRF check requires for cookie sessions.
 */
export async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API_BASE + p, {
      method,
      credentials: "same-origin",
      headers: body === undefined
        ? { accept: "application/json" }
        : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("Could not reach the server. Check your connection.", "network", 0);
  }
  const text = await res.text();
  if (!res.ok) {
    const err = errorFrom(res.status, res.statusText, text);
    if (res.status === 401 && !p.startsWith("/auth/")) unauthorized?.();
    throw err;
  }
  return (text ? JSON.parse(text) : null) as T;
}

/** A deploy's upload progress. */
export interface UploadProgress {
  /** Bytes sent. */
  loaded: number;
  /** Bytes to send. */
  total: number;
}

/**
 * Uploads a zip to `apps.deploy` with XMLHttpRequest, for upload progress.
 * `app` names the app (a new name creates it); without it the archive's
 * `app.json` names it.
 */
export function uploadZip(
  zip: Blob,
  app: string | undefined,
  onProgress: (p: UploadProgress) => void,
): Promise<DeployOutput> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", API_BASE + withQuery("/deploy", { app }));
    xhr.setRequestHeader("content-type", "application/zip");
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.onprogress = (e) => {
      onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : zip.size });
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(JSON.parse(xhr.responseText) as DeployOutput);
      } else {
        if (xhr.status === 401) unauthorized?.();
        reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
      }
    };
    xhr.onerror = () =>
      reject(new ApiError("The upload failed: the connection was lost.", "network", 0));
    xhr.onabort = () => reject(new ApiError("The upload was cancelled.", "aborted", 0));
    xhr.send(zip);
  });
}
