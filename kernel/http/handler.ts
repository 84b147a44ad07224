/**
 * The HTTP core: one `(Request) => Response` function that every listener
 * drives. It routes `/_fazt/*` to the kernel (health, REST API) and every
 * other request by `Host` to an app's static files, the primary domain's
 * welcome page, or a friendly 404.
 *
 * @module
 */
import type { LiveApp, RouteTable } from "../services/routing/route_table.ts";
import type { Runtime } from "../../runtime/mod.ts";
import { type LoadKind, type LoadShedder, shedResponse } from "../services/cockpit/load_shedder.ts";
import type { PriorityGate } from "../services/cockpit/priority_gate.ts";
import type { EgressMeter } from "../services/metering/egress_meter.ts";
import { type IpRateLimiter, rateLimitedResponse } from "../services/cockpit/ip_rate_limiter.ts";
import { normalizeHost } from "../services/routing/route_table.ts";
import { dropRefusedCookies } from "./app_cookies.ts";
import type { StaticServer } from "./static/static_serve.ts";
import { htmlResponse } from "./static/static_serve.ts";
import type { RestCodec } from "./rest/rest_codec.ts";
import type { TrafficMeter } from "../services/metering/traffic_meter.ts";
import type { AnyOperation } from "../ops/operation.ts";
import { errorResponse } from "./error_response.ts";
import { WATCH_SEND_FROM, watchSend } from "./send_watch.ts";
import { FaztError } from "../core/errors.ts";
import { notFoundPage, welcomePage } from "./pages.ts";
import type { RequestMeta } from "./rest/rest_codec.ts";
import { dashboardResponse, isDashboardPage } from "../../dashboard/serve.ts";
import { buildOpenApi, OPENAPI_PATH } from "./rest/openapi.ts";
import { MCP_PATH, type McpCodec, PROTECTED_RESOURCE_PATH } from "./mcp/mcp_codec.ts";

function openApiResponse(req: Request, json: string): Response {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return errorResponse(
      new FaztError("method_not_allowed", `${req.method} is not allowed here; use GET.`, {
        headers: { allow: "GET, HEAD" },
      }),
    );
  }
  return new Response(req.method === "HEAD" ? null : json, {
    headers: [
      ["content-type", "application/json; charset=utf-8"],
      ["cache-control", "no-cache"],
      ["x-content-type-options", "nosniff"],
    ],
  });
}

/** What the handler is wired to. */
export interface HttpHandlerOptions {
  /** The primary domain. */
  domain: string;
  /** fazt's version, for the welcome page. */
  version: string;
  /** Host → app routing. */
  routes: RouteTable;
  /** Static file serving. */
  statics: StaticServer;
  /** The REST transport. */
  rest: RestCodec;
  /** The MCP transport, at `/_fazt/mcp` (admin hosts only). */
  mcp?: McpCodec;
  /** The health operation, also served at `/_fazt/health`. */
  healthOp: AnyOperation;
  /** Every operation, described at `/_fazt/api/openapi.json`. */
  operations: readonly AnyOperation[];
  /** Traffic accounting. */
  traffic: TrafficMeter;
  /** Trust `X-Forwarded-For`/`X-Forwarded-Proto` (only behind a proxy you run). */
  trustProxy: boolean;
  /** Runs apps' `api/` code. */
  runtime: Pick<Runtime, "handle">;
  /** Admission budgets: user traffic is shed first, the cockpit last. */
  shedder: LoadShedder;
  /** CPU priority: user traffic takes turns so cockpit requests run first (absent: none). */
  gate?: Pick<PriorityGate, "run">;
  /** Per-app monthly egress, with limits. */
  meter: Pick<EgressMeter, "overLimit" | "limitError" | "served">;
  /** Per-client-IP rate limit of user traffic (absent: none). */
  ipLimiter?: IpRateLimiter;
  /** Writes a kernel note into an app's log (e.g. a cookie removed from its response). */
  appLog?: (appId: string, message: string, requestId: string) => void;
}

/** Connection facts from the listener (absent for in-process requests). */
export interface ConnInfo {
  /** The peer's address. */
  remoteAddr?: { hostname: string };
}

/** The kernel's HTTP entry point. */
export type HttpHandler = (req: Request, info?: ConnInfo) => Response | Promise<Response>;

/** The client's IP: the peer address, or behind a trusted proxy the last `X-Forwarded-For` hop. */
export function clientIp(req: Request, info: ConnInfo | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const hops = req.headers.get("x-forwarded-for")?.split(",").map((h) => h.trim()).filter(
      Boolean,
    );
    if (hops && hops.length > 0) return hops[hops.length - 1];
  }
  return info?.remoteAddr?.hostname ?? "local";
}

/** Splits an absolute request URL into its (still encoded) pathname and search. */
export function splitUrl(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return { pathname: "/", search: "" };
  const q = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  const end = hash === -1 ? url.length : hash;
  return q === -1 || q > end
    ? { pathname: url.slice(start, end), search: "" }
    : { pathname: url.slice(start, q), search: url.slice(q, end) };
}

/**
 * The request's host: the `Host` header, or for requests built in-process
 * (which have none) the host of the URL.
 */
export function requestHost(req: Request): string {
  const header = req.headers.get("host");
  if (header !== null) return header;
  const start = req.url.indexOf("//") + 2;
  const end = req.url.indexOf("/", start);
  return req.url.slice(start, end === -1 ? undefined : end);
}

/** Creates the HTTP handler. */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const { routes, statics, rest, traffic, domain } = options;
  const welcome = welcomePage({ version: options.version, domain });
  const openApiJson = JSON.stringify(
    buildOpenApi(options.operations, { version: options.version }),
  );

  function isAdminHost(rawHost: string): boolean {
    return routes.match(rawHost).kind === "admin";
  }

  /**
   * Where the dashboard went: a dashboard page asked for on the primary
   * domain while an app is routed there (an old bookmark) is sent to the
   * admin host, same scheme and port.
   */
  function adminRedirect(req: Request, pathname: string, search: string): Response | undefined {
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    if (!isDashboardPage(pathname) || normalizeHost(requestHost(req)) !== domain) return undefined;
    const host = requestHost(req);
    const port = host.startsWith("[") ? host.slice(host.indexOf("]") + 1) : (
      host.includes(":") ? host.slice(host.indexOf(":")) : ""
    );
    const scheme = meta(req, undefined).secure ? "https" : "http";
    return new Response(null, {
      status: 302,
      headers: {
        location: `${scheme}://${routes.adminHost()}${port}${pathname}${search}`,
        "cache-control": "no-store",
      },
    });
  }

  function meta(req: Request, info: ConnInfo | undefined): RequestMeta {
    const proto = options.trustProxy ? req.headers.get("x-forwarded-proto") : null;
    return {
      clientIp: clientIp(req, info, options.trustProxy),
      secure: proto ? proto === "https" : req.url.startsWith("https:"),
    };
  }

  function kernelRoute(
    req: Request,
    info: ConnInfo | undefined,
    pathname: string,
    search: string,
  ): Promise<Response> {
    if (pathname === "/_fazt/health") {
      return rest.run(options.healthOp, req, {}, meta(req, info));
    }
    if (isAdminHost(requestHost(req))) {
      if (pathname === `/_fazt/api${OPENAPI_PATH}`) {
        return Promise.resolve(openApiResponse(req, openApiJson));
      }
      if (pathname === MCP_PATH && options.mcp) return options.mcp.handle(req, meta(req, info));
      if (pathname.startsWith("/_fazt/api/")) {
        return rest.handle(
          req,
          pathname.slice("/_fazt/api".length),
          new URLSearchParams(search),
          meta(req, info),
        );
      }
      if (req.method === "GET" || req.method === "HEAD") {
        const page = dashboardResponse(pathname, req.headers.get("accept-encoding"));
        if (page) return Promise.resolve(page);
      }
    }
    const moved = adminRedirect(req, pathname, search);
    if (moved) return Promise.resolve(moved);
    return Promise.resolve(errorResponse(
      new FaztError(
        "not_found",
        `Nothing is served at ${pathname} on this host: the dashboard and the API are on the admin host (${routes.adminHost()}).`,
      ),
    ));
  }

  async function serveApi(req: Request, app: LiveApp): Promise<Response> {
    const requestId = crypto.randomUUID();
    if (options.meter.overLimit(app.id)) return overLimit(app);
    try {
      // Every body byte counts against the app's egress and in its traffic,
      // streamed ones too: bytes after the head are added to the recorded response.
      let bytes = 0;
      let recorded = false;
      const res = await options.runtime.handle(
        req,
        {
          appId: app.id,
          appName: app.name,
          versionId: app.versionId!,
        },
        requestId,
        (n) => {
          options.meter.served(app.id, n);
          if (recorded) traffic.addBytes(app.id, n);
          else bytes += n;
        },
      );
      traffic.record(app.id, res.status, bytes);
      recorded = true;
      for (const note of dropRefusedCookies(res.headers, normalizeHost(requestHost(req)))) {
        options.appLog?.(app.id, note, requestId);
      }
      return res;
    } catch (err) {
      const res = errorResponse(err, { requestId });
      traffic.record(app.id, res.status, 0);
      return res;
    }
  }

  function overLimit(app: LiveApp): Response {
    const res = errorResponse(options.meter.limitError(app.id));
    traffic.record(app.id, res.status, 0);
    return res;
  }

  function route(
    req: Request,
    info: ConnInfo | undefined,
    pathname: string,
    search: string,
  ): Response | Promise<Response> {
    // Nothing on the admin origin may become a service worker: one would
    // control the dashboard's pages (browsers fetch its script with this header).
    if (req.headers.get("service-worker") === "script" && isAdminHost(requestHost(req))) {
      return errorResponse(
        new FaztError("forbidden", "Service workers cannot be installed on the admin host."),
      );
    }
    if (pathname === "/_fazt" || pathname.startsWith("/_fazt/")) {
      return kernelRoute(req, info, pathname, search);
    }
    if (
      options.mcp &&
      (pathname === PROTECTED_RESOURCE_PATH || pathname === PROTECTED_RESOURCE_PATH + MCP_PATH) &&
      isAdminHost(requestHost(req))
    ) {
      return options.mcp.protectedResource(req, meta(req, info));
    }
    const match = routes.match(requestHost(req));
    if (
      match.kind === "app" && match.app.apiEntry !== null && match.app.versionId !== null &&
      (pathname === "/api" || pathname.startsWith("/api/"))
    ) {
      return serveApi(req, match.app);
    }
    if (match.kind === "app") {
      if (options.meter.overLimit(match.app.id)) return overLimit(match.app);
      const { res, bytes } = statics.serve(req, match.app, pathname, search);
      traffic.record(match.app.id, res.status, bytes);
      options.meter.served(match.app.id, bytes);
      return bytes >= WATCH_SEND_FROM ? watchSend(res) : res;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return errorResponse(
        new FaztError("method_not_allowed", `${req.method} is not allowed here; use GET.`, {
          headers: { allow: "GET, HEAD" },
        }),
      );
    }
    if (match.kind === "admin" && pathname === "/") return htmlResponse(200, welcome);
    return htmlResponse(
      404,
      match.kind === "admin"
        ? notFoundPage({ title: "Page not found", message: "Nothing is deployed at this address." })
        : notFoundPage({
          title: "No app here",
          message: "This server has no app at this address. Check the name for typos.",
        }),
    );
  }

  /** Admits a request into its budget (or sheds it) and routes it. */
  function admit(
    kind: LoadKind,
    req: Request,
    info: ConnInfo | undefined,
    pathname: string,
    search: string,
  ): Response | Promise<Response> {
    const release = options.shedder.enter(kind);
    if (!release) return shedResponse(kind);
    try {
      const res = route(req, info, pathname, search);
      if (res instanceof Promise) return res.finally(release);
      release();
      return res;
    } catch (err) {
      release();
      throw err;
    }
  }

  const shedUser = () => options.shedder.shed("user");

  return (req, info) => {
    const { pathname, search } = splitUrl(req.url);
    // The cockpit is `/_fazt*` on the admin host; on an app's host (where only
    // health answers) it is app traffic: rate-limited, taking turns, shed first.
    const kind = pathname.startsWith("/_fazt") && isAdminHost(requestHost(req))
      ? "cockpit"
      : "user";
    if (kind === "user" && options.ipLimiter?.enabled) {
      const ip = clientIp(req, info, options.trustProxy);
      const wait = options.ipLimiter.take(ip, info?.remoteAddr?.hostname);
      if (wait > 0) return rateLimitedResponse(wait);
    }
    return kind === "user" && options.gate
      ? options.gate.run(() => admit(kind, req, info, pathname, search), shedUser)
      : admit(kind, req, info, pathname, search);
  };
}
