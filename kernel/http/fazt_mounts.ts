/**
 * fazt's own HTTP mounts, as one table (see `mounts.ts` for the rules):
 *
 * | mount               | path                                      | host  | class   |
 * | ------------------- | ----------------------------------------- | ----- | ------- |
 * | health              | `/_fazt/health`                           | any   | cockpit |
 * | openapi             | `/_fazt/api/openapi.json` (GET)           | admin | cockpit |
 * | mcp                 | `/_fazt/mcp`                              | admin | cockpit |
 * | rest                | `/_fazt/api/…`                            | admin | cockpit |
 * | dashboard           | `/_fazt`, `/_fazt/…`                      | admin | cockpit |
 * | kernel-elsewhere    | `/_fazt`, `/_fazt/…`                      | any   | user    |
 * | protected-resource  | `/.well-known/oauth-protected-resource[/_fazt/mcp]` | admin | user |
 * | app-api             | `/api`, `/api/…`                          | app   | user    |
 * | app-files           | everything else                           | app   | user    |
 * | admin-home          | everything else (GET)                     | admin | user    |
 * | no-app              | everything else (GET)                     | any   | user    |
 *
 * `kernel-elsewhere` answers `/_fazt` paths on hosts that are not admin
 * hosts (on an admin host `dashboard` is more specific): a dashboard page
 * asked for on the primary domain while an app is routed there (an old
 * bookmark) is redirected to the admin host; anything else is a JSON 404
 * that says where the dashboard and API are.
 *
 * @module
 */
import type { LiveApp, RouteTable } from "../services/routing/route_table.ts";
import { normalizeHost } from "../services/routing/route_table.ts";
import type { AnyOperation } from "../ops/operation.ts";
import { FaztError } from "../core/errors.ts";
import { dashboardResponse, isDashboardPage } from "../../dashboard/serve.ts";
import type { Mount, MountRequest } from "./mounts.ts";
import type { RestCodec } from "./rest/rest_codec.ts";
import { buildOpenApi, OPENAPI_PATH } from "./rest/openapi.ts";
import { MCP_PATH, type McpCodec, PROTECTED_RESOURCE_PATH } from "./mcp/mcp_codec.ts";
import { errorResponse } from "./error_response.ts";
import { htmlResponse } from "./static/static_serve.ts";
import { notFoundPage, welcomePage } from "./pages.ts";
import { requestMeta } from "./request_info.ts";
import type { AppTraffic } from "./app_traffic.ts";

/** What fazt's mounts are wired to. */
export interface FaztMountsOptions {
  /** The primary domain. */
  domain: string;
  /** fazt's version, for the welcome page and the OpenAPI document. */
  version: string;
  /** Host → app routing (for the admin host's name). */
  routes: Pick<RouteTable, "adminHost">;
  /** The REST transport. */
  rest: RestCodec;
  /** The MCP transport, at `/_fazt/mcp` (admin hosts only); absent: no MCP mounts. */
  mcp?: McpCodec;
  /** The health operation, also served at `/_fazt/health`. */
  healthOp: AnyOperation;
  /** Every operation, described at `/_fazt/api/openapi.json`. */
  operations: readonly AnyOperation[];
  /** App hosts' answers (server code and files). */
  apps: AppTraffic;
  /** Trust `X-Forwarded-For`/`X-Forwarded-Proto` (only behind a proxy you run). */
  trustProxy: boolean;
}

/** GET (and HEAD, which goes with it). */
const GET: readonly string[] = Object.freeze(["GET", "HEAD"]);

/** fazt's mounts. */
export function faztMounts(options: FaztMountsOptions): Mount[] {
  const { rest, mcp, routes, domain, apps } = options;
  const meta = (r: MountRequest) => requestMeta(r.req, r.info, options.trustProxy);
  const openApiJson = JSON.stringify(
    buildOpenApi(options.operations, { version: options.version }),
  );
  const welcome = welcomePage({ version: options.version, domain });

  /**
   * Where the dashboard went: a dashboard page asked for on the primary
   * domain while an app is routed there (an old bookmark) is sent to the
   * admin host, same scheme and port.
   */
  function adminRedirect(r: MountRequest): Response | undefined {
    const { req, pathname, host } = r;
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    if (!isDashboardPage(pathname) || normalizeHost(host) !== domain) return undefined;
    const port = host.startsWith("[") ? host.slice(host.indexOf("]") + 1) : (
      host.includes(":") ? host.slice(host.indexOf(":")) : ""
    );
    const scheme = meta(r).secure ? "https" : "http";
    return new Response(null, {
      status: 302,
      headers: {
        location: `${scheme}://${routes.adminHost()}${port}${pathname}${r.search}`,
        "cache-control": "no-store",
      },
    });
  }

  function kernelNotFound(r: MountRequest): Response {
    return errorResponse(
      new FaztError(
        "not_found",
        `Nothing is served at ${r.pathname} on this host: the dashboard and the API are on the admin host (${routes.adminHost()}).`,
      ),
    );
  }

  const mcpMounts: Mount[] = mcp
    ? [
      {
        name: "mcp",
        path: { exact: MCP_PATH },
        host: "admin",
        class: "cockpit",
        handle: (r) => mcp.handle(r.req, meta(r)),
      },
      // RFC 9728 protected-resource metadata, at the root and for the MCP path.
      ...[PROTECTED_RESOURCE_PATH, PROTECTED_RESOURCE_PATH + MCP_PATH].map((exact): Mount => ({
        name: `protected-resource${exact.slice(PROTECTED_RESOURCE_PATH.length)}`,
        path: { exact },
        host: "admin",
        class: "user",
        handle: (r) => mcp.protectedResource(r.req, meta(r)),
      })),
    ]
    : [];

  return [
    {
      name: "health",
      path: { exact: "/_fazt/health" },
      host: "any",
      class: "cockpit",
      handle: (r) => rest.run(options.healthOp, r.req, {}, meta(r)),
    },
    {
      name: "openapi",
      path: { exact: `/_fazt/api${OPENAPI_PATH}` },
      host: "admin",
      class: "cockpit",
      methods: GET,
      handle: (r) =>
        new Response(r.req.method === "HEAD" ? null : openApiJson, {
          headers: [
            ["content-type", "application/json; charset=utf-8"],
            ["cache-control", "no-cache"],
            ["x-content-type-options", "nosniff"],
          ],
        }),
    },
    ...mcpMounts,
    {
      name: "rest",
      path: { prefix: "/_fazt/api/" },
      host: "admin",
      class: "cockpit",
      handle: (r) =>
        rest.handle(
          r.req,
          r.pathname.slice("/_fazt/api".length),
          new URLSearchParams(r.search),
          meta(r),
        ),
    },
    {
      name: "dashboard",
      path: { prefix: "/_fazt" },
      host: "admin",
      class: "cockpit",
      handle: (r) =>
        (r.req.method === "GET" || r.req.method === "HEAD"
          ? dashboardResponse(r.pathname, r.req.headers.get("accept-encoding"))
          : undefined) ?? kernelNotFound(r),
    },
    {
      name: "kernel-elsewhere",
      path: { prefix: "/_fazt" },
      host: "any",
      class: "user",
      handle: (r) => adminRedirect(r) ?? kernelNotFound(r),
    },
    {
      name: "app-api",
      path: { prefix: "/api" },
      host: "app",
      class: "user",
      handle: (r) => apps.api(r, appOf(r)),
    },
    {
      name: "app-files",
      path: { prefix: "/" },
      host: "app",
      class: "user",
      handle: (r) => apps.files(r, appOf(r)),
    },
    {
      name: "admin-home",
      path: { prefix: "/" },
      host: "admin",
      class: "user",
      methods: GET,
      handle: (r) =>
        r.pathname === "/" ? htmlResponse(200, welcome) : htmlResponse(
          404,
          notFoundPage({
            title: "Page not found",
            message: "Nothing is deployed at this address.",
          }),
        ),
    },
    {
      name: "no-app",
      path: { prefix: "/" },
      host: "any",
      class: "user",
      methods: GET,
      handle: () =>
        htmlResponse(
          404,
          notFoundPage({
            title: "No app here",
            message: "This server has no app at this address. Check the name for typos.",
          }),
        ),
    },
  ];
}

/** The app an `app` mount's request is for (its host rule guarantees one). */
function appOf(r: MountRequest): LiveApp {
  if (r.match.kind !== "app") throw new Error(`${r.host} is not an app host.`);
  return r.match.app;
}
