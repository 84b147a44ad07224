/**
 * The MCP transport: Model Context Protocol over Streamable HTTP at
 * `/_fazt/mcp`, as the REST codec is for `/_fazt/api`. Tools and resources
 * are generated from the operation registry (`mcp_tools.ts`,
 * `mcp_resources.ts`) and every call runs through the shared executor; this
 * module only guards the door and speaks the protocol.
 *
 * - **Stateless**: no session IDs; each POST gets a fresh SDK server and
 *   transport (both cheap once the SDK is loaded), answering with JSON.
 *   GET and DELETE answer 405 (no server-initiated stream, no sessions).
 * - **Auth**: `Authorization: Bearer <API token>` only (no cookies, so no
 *   cross-site requests); without a valid one, 401 with
 *   `WWW-Authenticate: Bearer resource_metadata=…` pointing at the RFC 9728
 *   document served by {@linkcode McpCodec.protectedResource}.
 * - **DNS rebinding**: a browser `Origin` other than this server is 403; the
 *   HTTP handler already limits the `Host` to admin hosts.
 *
 * @module
 */
import type { AnyOperation, OperationContext } from "../../ops/operation.ts";
import type { Services } from "../../ops/services.ts";
import { type Principal, SCOPES } from "../../services/auth/scopes.ts";
import { FaztError } from "../../core/errors.ts";
import { errorResponse } from "../error_response.ts";
import type { RequestMeta } from "../rest/rest_codec.ts";
import { buildTools, callTool, errorResult, mayUse, type McpTool } from "./mcp_tools.ts";
import { createResourceReader, RESOURCE_TEMPLATES, ResourceError } from "./mcp_resources.ts";

/** The path of the MCP endpoint. */
export const MCP_PATH = "/_fazt/mcp";

/** Where the protected-resource metadata (RFC 9728) is served. */
export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";

/** The largest MCP request body (a deploy's files travel inside it). */
export const MCP_MAX_BODY_BYTES = 16 * 1024 * 1024;

const INSTRUCTIONS =
  "fazt hosts apps: each app is a folder of static files plus optional server code in api/ " +
  "(served at https://<app>.<domain>/api). Tools map one-to-one to fazt's API operations. " +
  "Deploy with apps_deploy_files (path → {text} or {base64}; the files replace the whole app), " +
  "inspect with apps_list, apps_get, apps_files and apps_read_file, debug with logs_query, and " +
  "look at an app's data with data_kv_get, data_kv_list, data_docs_find and data_sql_query (read-only).";

/** Options for {@linkcode createMcpCodec}. */
export interface McpCodecOptions {
  /** The operations to expose as tools. */
  operations: readonly AnyOperation[];
  /** Kernel services handed to handlers. */
  services: Services;
  /** Resolves the caller from a request carrying `Authorization: Bearer …`. */
  authenticate(req: Request): Principal;
  /** fazt's version, for the server info. */
  version: string;
  /** Largest request body (default {@linkcode MCP_MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
}

/** The MCP transport. */
export interface McpCodec {
  /** Handles a request to {@linkcode MCP_PATH}. */
  handle(req: Request, meta: RequestMeta): Promise<Response>;
  /** The RFC 9728 protected-resource metadata document. */
  protectedResource(req: Request, meta: RequestMeta): Response;
}

type Sdk = typeof import("./mcp_sdk.ts");

let sdk: Promise<Sdk> | undefined;

/** Loads the SDK once (a few hundred ms the first time). */
export function loadMcpSdk(): Promise<Sdk> {
  sdk ??= import("./mcp_sdk.ts");
  return sdk;
}

/** The server's own origin as a browser would name it. */
function originOf(req: Request, meta: RequestMeta): string {
  const host = req.headers.get("host") ?? new URL(req.url).host;
  return `${meta.secure ? "https:" : "http:"}//${host}`;
}

/** Creates the MCP codec. */
export function createMcpCodec(options: McpCodecOptions): McpCodec {
  const tools: McpTool[] = buildTools(options.operations);
  const byName = new Map(tools.map((t) => [t.tool.name, t]));
  const resources = createResourceReader(options.operations);
  const maxBody = options.maxBodyBytes ?? MCP_MAX_BODY_BYTES;

  function unauthorized(req: Request, meta: RequestMeta, invalid: boolean): Response {
    const metadata = `${originOf(req, meta)}${PROTECTED_RESOURCE_PATH}`;
    return errorResponse(
      new FaztError(
        "unauthorized",
        invalid
          ? "The bearer token is not valid (unknown, revoked or expired). Create a token with `fazt token create`."
          : "This needs an API token: send `Authorization: Bearer <token>` (create one with `fazt token create --name agent --scope apps:read ...`).",
        {
          headers: {
            "www-authenticate": `Bearer ${
              invalid ? 'error="invalid_token", ' : ""
            }resource_metadata="${metadata}"`,
          },
        },
      ),
    );
  }

  async function serve(
    req: Request,
    principal: Principal,
    meta: RequestMeta,
  ): Promise<Response> {
    const m = await loadMcpSdk();
    const context = (): OperationContext => ({
      principal,
      services: options.services,
      requestId: crypto.randomUUID(),
      clientIp: meta.clientIp,
      signal: req.signal,
    });
    const server = new m.Server(
      { name: "fazt", title: "fazt", version: options.version },
      {
        capabilities: { tools: { listChanged: false }, resources: { listChanged: false } },
        instructions: INSTRUCTIONS,
        jsonSchemaValidator: m.jsonSchemaValidator,
      },
    );
    server.setRequestHandler(m.ListToolsRequestSchema, () => ({
      tools: tools.filter((t) => mayUse(principal, t.op)).map((t) => t.tool),
    }));
    server.setRequestHandler(m.CallToolRequestSchema, (request) => {
      const ctx = context();
      const t = byName.get(request.params.name);
      if (!t) {
        return errorResult(
          new FaztError(
            "not_found",
            `No tool is named "${request.params.name}". tools/list shows the tools this token may use.`,
          ),
          ctx.requestId,
        );
      }
      return callTool(t, request.params.arguments, ctx);
    });
    server.setRequestHandler(m.ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: [...RESOURCE_TEMPLATES],
    }));
    const rpcError = (err: unknown): never => {
      if (err instanceof ResourceError && err.data.code === "internal") {
        console.error("mcp: internal error:", err.cause ?? err);
      }
      throw err;
    };
    server.setRequestHandler(
      m.ListResourcesRequestSchema,
      (request) => resources.list(context(), request.params?.cursor).catch(rpcError),
    );
    server.setRequestHandler(
      m.ReadResourceRequestSchema,
      (request) => resources.read(request.params.uri, context()).catch(rpcError),
    );
    const transport = new m.WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: maxBody,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(req);
    } finally {
      await server.close();
    }
  }

  return {
    async handle(req, meta) {
      const origin = req.headers.get("origin");
      if (origin !== null) {
        let actual = "";
        try {
          actual = new URL(origin).origin;
        } catch { /* "null" or garbage: refused below */ }
        if (actual !== originOf(req, meta)) {
          if (req.body) await req.body.cancel().catch(() => {});
          return errorResponse(
            new FaztError(
              "forbidden",
              `Cross-site request refused: the Origin ${origin} is not this server.`,
              { details: { reason: "origin" } },
            ),
          );
        }
      }
      if (req.method !== "POST") {
        if (req.body) await req.body.cancel().catch(() => {});
        return errorResponse(
          new FaztError(
            "method_not_allowed",
            `${req.method} is not allowed here: this MCP server is stateless (no sessions, no server-sent stream); send JSON-RPC with POST.`,
            { headers: { allow: "POST" } },
          ),
        );
      }
      const header = req.headers.get("authorization");
      if (header === null || !/^bearer /i.test(header)) {
        if (req.body) await req.body.cancel().catch(() => {});
        return unauthorized(req, meta, false);
      }
      const principal = options.authenticate(req);
      if (principal.kind !== "token") {
        if (req.body) await req.body.cancel().catch(() => {});
        return unauthorized(req, meta, true);
      }
      return await serve(req, principal, meta);
    },

    protectedResource(req, meta) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return errorResponse(
          new FaztError("method_not_allowed", `${req.method} is not allowed here; use GET.`, {
            headers: { allow: "GET, HEAD" },
          }),
        );
      }
      const body = JSON.stringify({
        resource: `${originOf(req, meta)}${MCP_PATH}`,
        bearer_methods_supported: ["header"],
        scopes_supported: SCOPES,
        resource_name: "fazt",
      });
      return new Response(req.method === "HEAD" ? null : body, {
        headers: [
          ["content-type", "application/json; charset=utf-8"],
          ["cache-control", "no-cache"],
          ["access-control-allow-origin", "*"],
          ["x-content-type-options", "nosniff"],
        ],
      });
    },
  };
}
