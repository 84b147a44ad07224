/**
 * Where an operation's input goes in an HTTP request to the REST API, as
 * the generated route table (`gen/api.ts`) says: path fields URL-encoded
 * into the path, the others in the query string or as a JSON body, an
 * upload as the raw body. No I/O: `api.ts` sends what this builds.
 *
 * @module
 */
import { type Input, type OpName, ROUTES } from "../gen/api.ts";

/** The REST API's base path. */
export const API_BASE = "/_fazt/api";

/** An HTTP request for an operation, as its route says. */
export interface ApiRequest {
  /** The method. */
  method: string;
  /** The URL path with its query string, under the site (starting with `/_fazt/api`). */
  url: string;
  /** The JSON text of the body fields, or the upload, or nothing. */
  body?: string | Blob;
  /** The body's content type. */
  contentType?: string;
}

/**
 * The request for operation `op` with `input`: `{field}`s of the path
 * filled in (URL-encoded), the other fields in the query string (skipping
 * undefined and empty values; lists repeat the key; objects as JSON text)
 * or as a JSON body (sent only when it has a field), and an upload as the
 * raw body.
 */
export function requestFor<N extends OpName>(op: N, input: Input<N> | undefined): ApiRequest {
  const route = ROUTES[op];
  const fields: Record<string, unknown> = { ...input };
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = fields[name];
    delete fields[name];
    if (value === undefined || value === "") throw new Error(`${op} needs ${name}`);
    return encodeURIComponent(String(value));
  });
  let body: string | Blob | undefined;
  let contentType: string | undefined;
  if (route.upload) {
    body = fields[route.upload.field] as Blob;
    contentType = route.upload.types[0];
    delete fields[route.upload.field];
  }
  const query = new URLSearchParams();
  if (route.rest === "query") {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || v === "") continue;
      if (route.json?.includes(k)) query.append(k, JSON.stringify(v));
      else if (Array.isArray(v)) { for (const item of v) query.append(k, String(item)); }
      else query.append(k, String(v));
    }
  } else if (route.rest === "body") {
    const json = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    if (Object.keys(json).length > 0) {
      body = JSON.stringify(json);
      contentType = "application/json";
    }
  }
  const q = query.toString();
  return { method: route.method, url: API_BASE + path + (q ? `?${q}` : ""), body, contentType };
}
