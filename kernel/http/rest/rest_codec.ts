/**
 * The REST transport: maps `/_fazt/api/<path>` requests onto operations.
 * Each operation's method and path come from its definition; the codec
 * decodes path parameters, the query string and a JSON body (or a raw
 * upload) into the operation's input, runs it through the shared executor
 * and encodes the result. It holds no business logic.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import type { AnyOperation, OperationContext } from "../../ops/operation.ts";
import { credentialsError, execute } from "../../ops/executor.ts";
import { Upload } from "../../ops/upload.ts";
import { attachmentHeader, type Download, DOWNLOAD_CSP } from "../../ops/download.ts";
import { limitStream, uploadTooLarge } from "../../services/apps/upload_limit.ts";
import type { Principal } from "../../services/auth/scopes.ts";
import type { Services } from "../../ops/services.ts";
import { errorResponse, jsonResponse } from "../error_response.ts";
import { sessionSetCookie } from "../session_cookie.ts";
import { deviceSetCookie, readDeviceCookie } from "../device_cookie.ts";
import { readUpTo } from "../../core/bytes.ts";

/** Options for {@linkcode createRestCodec}. */
export interface RestCodecOptions {
  /** The operations to expose. */
  operations: readonly AnyOperation[];
  /** Kernel services handed to handlers. */
  services: Services;
  /** Resolves the caller from the request's credentials (the session cookie's name depends on `meta.secure`). */
  authenticate(req: Request, meta: RequestMeta): Principal;
  /** Largest JSON body accepted unless an operation sets its own. */
  maxJsonBytes: number;
  /** Largest upload accepted. */
  maxUploadBytes: number;
}

/** Facts about the request that the transport layer established. */
export interface RequestMeta {
  /** The client's IP address. */
  clientIp: string;
  /** True when the client reached fazt over HTTPS. */
  secure: boolean;
}

/** The REST transport. */
export interface RestCodec {
  /** Handles a request whose path below `/_fazt/api` is `path`. */
  handle(req: Request, path: string, query: URLSearchParams, meta: RequestMeta): Promise<Response>;
  /** Runs one operation as REST would, for routes outside `/_fazt/api`. */
  run(
    op: AnyOperation,
    req: Request,
    input: Record<string, unknown>,
    meta: RequestMeta,
  ): Promise<Response>;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** `Sec-Fetch-Site` values of requests a page of this very origin (or the user) made. */
const OWN_FETCH_SITES = new Set(["same-origin", "none"]);

/**
 * Cross-site request forgery guard. A state-changing request that names a
 * foreign `Origin` is refused; one authenticated by the session cookie must
 * prove it is same-origin (`Origin` or `Sec-Fetch-Site`), which browsers
 * always send on such requests and other sites cannot forge. A request a
 * browser marks as coming from another site, or from another host of the
 * same site (an app on a sibling subdomain), never acts with the session,
 * whatever its method.
 */
export function checkCsrf(req: Request, principal: Principal, secure: boolean): void {
  const fetchSite = req.headers.get("sec-fetch-site");
  if (principal.kind === "session" && fetchSite !== null && !OWN_FETCH_SITES.has(fetchSite)) {
    throw new FaztError(
      "forbidden",
      `Cross-site request refused: the browser says it came from another host (${fetchSite}), and the owner's session only works for the dashboard's own pages.`,
      { details: { reason: "csrf" } },
    );
  }
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.get("origin");
  const host = req.headers.get("host") ?? new URL(req.url).host;
  const expected = `${secure ? "https:" : "http:"}//${host}`;
  if (origin !== null && origin !== "null") {
    let actual: string;
    try {
      actual = new URL(origin).origin;
    } catch {
      actual = "";
    }
    if (actual !== expected) {
      throw new FaztError(
        "forbidden",
        `Cross-site request refused: the Origin ${origin} is not this server.`,
        { details: { reason: "csrf" } },
      );
    }
    return;
  }
  if (principal.kind !== "session") return;
  if (req.headers.get("sec-fetch-site") === "same-origin") return;
  throw new FaztError(
    "forbidden",
    "Cross-site request refused: a cookie-authenticated change must come from this server's own pages (Origin header missing). API clients should send a bearer token instead.",
    { details: { reason: "csrf" } },
  );
}

interface CompiledRoute {
  op: AnyOperation;
  segments: { literal?: string; param?: string }[];
}

function compile(op: AnyOperation): CompiledRoute {
  const segments = op.http.path.split("/").filter(Boolean).map((s) =>
    s.startsWith("{") && s.endsWith("}") ? { param: s.slice(1, -1) } : { literal: s }
  );
  return { op, segments };
}

function matchRoute(route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  if (route.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = route.segments[i];
    if (seg.literal !== undefined) {
      if (seg.literal !== parts[i]) return undefined;
    } else {
      try {
        params[seg.param!] = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
    }
  }
  return params;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a body as UTF-8 text, refusing more than `max` bytes without
 * buffering them, and bytes that are not UTF-8 (`invalid_json`).
 */
async function readText(req: Request, max: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new FaztError(
      "payload_too_large",
      `The request body is larger than the limit of ${max} bytes.`,
      { details: { limit: max } },
    );
  if (declared > max) throw tooLarge();
  if (!req.body) return "";
  const all = await readUpTo(req.body, max, tooLarge);
  try {
    return UTF8.decode(all);
  } catch {
    throw new FaztError("invalid_json", "The request body is not valid UTF-8 text.");
  }
}

/** Creates the REST codec. */
export function createRestCodec(options: RestCodecOptions): RestCodec {
  const routes = options.operations.map(compile);

  async function decodeBody(op: AnyOperation, req: Request): Promise<Record<string, unknown>> {
    const upload = op.http.upload;
    if (upload) {
      const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (!upload.contentTypes.includes(type)) {
        throw new FaztError(
          "unsupported_media_type",
          `Send the body as ${upload.contentTypes.join(" or ")} (got "${type || "none"}").`,
          { details: { expected: upload.contentTypes } },
        );
      }
      const length = req.headers.get("content-length");
      if (length !== null && Number(length) > options.maxUploadBytes) {
        throw uploadTooLarge(options.maxUploadBytes);
      }
      if (!req.body) {
        throw new FaztError(
          "invalid_input",
          "The request has no body; send the upload as the body.",
        );
      }
      return {
        [upload.field]: new Upload(
          limitStream(req.body, options.maxUploadBytes),
          length === null ? undefined : Number(length),
        ),
      };
    }
    if (op.http.method === "GET" || op.http.method === "DELETE") return {};
    const text = await readText(req, op.http.maxBodyBytes ?? options.maxJsonBytes);
    // No body at all gives no fields (the operation's schema decides whether
    // that is enough); any byte makes it a JSON body, so whitespace is invalid
    // JSON, never "no input" (it once removed an app's egress limit).
    if (text === "") return {};
    const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      throw new FaztError(
        "unsupported_media_type",
        `Send the body as application/json (got "${type || "none"}").`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      // V8 quotes part of the input in some messages; never echo the body (it may hold a secret).
      const reason = (err as Error).message.replace(/, .* is not valid JSON$/s, "");
      throw new FaztError("invalid_json", `The request body is not valid JSON: ${reason}.`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new FaztError("invalid_json", "The request body must be a JSON object.");
    }
    return body as Record<string, unknown>;
  }

  async function run(
    op: AnyOperation,
    req: Request,
    input: Record<string, unknown>,
    meta: RequestMeta,
    principal: Principal = options.authenticate(req, meta),
  ): Promise<Response> {
    const requestId = crypto.randomUUID();
    try {
      checkCsrf(req, principal, meta.secure);
      const ctx: OperationContext = {
        principal,
        services: options.services,
        requestId,
        clientIp: meta.clientIp,
        signal: op.http.stream ? req.signal : undefined,
        knownDevice: op.http.knownDevice ? readDeviceCookie(req, meta.secure) : undefined,
      };
      const output = await execute(op, input, ctx);
      if (op.http.stream) return eventStream(output as AsyncIterable<unknown>, requestId);
      if (op.http.download) {
        return downloadResponse(output as Download, requestId, op.http.download.inline);
      }
      const res = jsonResponse(
        withoutDevice(op, op.http.session === "set" ? withoutSession(output) : output),
        op.http.status ?? 200,
        requestId,
      );
      if (op.http.session === "set") {
        const session = (output as { session: { id: string; expiresAt: string } }).session;
        const maxAge = Math.max(0, Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000));
        res.headers.append("set-cookie", sessionSetCookie(session.id, maxAge, meta.secure));
      } else if (op.http.session === "clear") {
        res.headers.append("set-cookie", sessionSetCookie("", 0, meta.secure));
      }
      const device = op.http.knownDevice ? deviceSetCookie(output, meta.secure) : undefined;
      if (device) res.headers.append("set-cookie", device);
      return res;
    } catch (err) {
      if (req.body && !req.bodyUsed) await req.body.cancel().catch(() => {});
      return errorResponse(err, { requestId });
    }
  }

  return {
    run,
    async handle(req, path, query, meta) {
      const principal = options.authenticate(req, meta);
      const parts = routeParts(path);
      const allowed: string[] = [];
      for (const route of routes) {
        const params = matchRoute(route, parts);
        if (!params) continue;
        if (route.op.http.method !== req.method) {
          allowed.push(route.op.http.method);
          continue;
        }
        if (principal.kind === "anonymous" && route.op.access !== "public") {
          if (req.body) await req.body.cancel().catch(() => {});
          return run(route.op, req, {}, meta, principal);
        }
        let input: Record<string, unknown>;
        try {
          const fromQuery = route.op.http.upload || route.op.http.method === "GET" ||
            route.op.http.method === "DELETE";
          input = fromQuery
            ? { ...queryInput(query), ...await decodeBody(route.op, req) }
            : { ...await decodeBody(route.op, req) };
          if (!fromQuery && [...query.keys()].length > 0) {
            throw new FaztError(
              "invalid_input",
              `${route.op.name} takes its input as a JSON body, not in the query string (which ends up in logs).`,
            );
          }
        } catch (err) {
          if (req.body && !req.bodyUsed) await req.body.cancel().catch(() => {});
          return errorResponse(err);
        }
        for (const [k, v] of Object.entries(params)) {
          if (k in input && input[k] !== v) {
            return errorResponse(
              new FaztError("invalid_input", `"${k}" is given twice with different values.`),
            );
          }
          input[k] = v;
        }
        return run(route.op, req, input, meta, principal);
      }
      if (principal.kind === "anonymous") return errorResponse(credentialsError(principal));
      if (allowed.length > 0) {
        return errorResponse(
          new FaztError(
            "method_not_allowed",
            `${req.method} is not allowed here; use ${allowed.join(" or ")}.`,
            { headers: { allow: allowed.join(", ") } },
          ),
        );
      }
      return errorResponse(
        new FaztError(
          "not_found",
          `No API route matches ${req.method} /_fazt/api${path}. See /_fazt/api/openapi.json.`,
        ),
      );
    },
  };
}

/**
 * The segments of an API path (`/apps/x/files` → `apps`, `x`, `files`). An
 * empty segment (`/apps//files`, `/apps/`) is no route's, so it gives no
 * segments: an empty path parameter must not shift the others into another
 * route (`/apps//files` is not `/apps/files`, `/apps/` is not `/apps`).
 */
function routeParts(path: string): string[] {
  const parts = path.split("/").slice(1);
  return parts.includes("") ? [] : parts;
}

function queryInput(query: URLSearchParams): Record<string, unknown> {
  // No prototype: a `__proto__` parameter stays a key (and is refused) instead of vanishing.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

function withoutSession(output: unknown): unknown {
  const { session: _session, ...rest } = output as Record<string, unknown>;
  return rest;
}

/** The output without its `device` field, which an `http.knownDevice` operation sends as a cookie. */
function withoutDevice(op: AnyOperation, output: unknown): unknown {
  if (!op.http.knownDevice) return output;
  const { device: _device, ...rest } = output as Record<string, unknown>;
  return rest;
}

/**
 * Sends a download as the body: an attachment the browser saves (or shown
 * inline), under a CSP that keeps any script in it from running.
 */
function downloadResponse(download: Download, requestId: string, inline = false): Response {
  return new Response(download.stream, {
    headers: [
      ["content-type", download.contentType],
      ["content-disposition", attachmentHeader(download.filename, inline)],
      ["content-security-policy", DOWNLOAD_CSP],
      ["cache-control", "no-store"],
      ["x-content-type-options", "nosniff"],
      ["x-request-id", requestId],
    ],
  });
}

const HEARTBEAT_MS = 15_000;

/** Encodes an operation's stream of outputs as server-sent events. */
function eventStream(items: AsyncIterable<unknown>, requestId: string): Response {
  const enc = new TextEncoder();
  const iterator = items[Symbol.asyncIterator]();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(": connected\n\n"));
      heartbeat = setInterval(() => {
        try {
          controller.enqueue(enc.encode(": keep-alive\n\n"));
        } catch {
          clearInterval(heartbeat);
        }
      }, HEARTBEAT_MS);
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          clearInterval(heartbeat);
          controller.close();
        } else {
          controller.enqueue(enc.encode(`data: ${JSON.stringify(next.value)}\n\n`));
        }
      } catch (err) {
        clearInterval(heartbeat);
        controller.error(err);
      }
    },
    async cancel() {
      clearInterval(heartbeat);
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: [
      ["content-type", "text/event-stream; charset=utf-8"],
      ["cache-control", "no-store"],
      ["x-content-type-options", "nosniff"],
      ["x-request-id", requestId],
    ],
  });
}
