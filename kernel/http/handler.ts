/**
 * The HTTP core: one `(Request) => Response` function that every listener
 * drives (after the listener's request gate, `request_gate.ts`). Each
 * request goes through the same steps, none of which knows any mount:
 *
 * 1. **Classify**: the route table says what the host is (admin, app,
 *    unknown); the mounts table (`mounts.ts`) finds the mount for the path
 *    on that host, and with it the request's class: `cockpit` (a cockpit
 *    mount on an admin host) or `user` (everything else).
 * 2. **User traffic only**: the per-IP rate limit (429), then the priority
 *    gate (its turn on a busy thread; 503 when its queue is full).
 * 3. **Admission** into the class's budget of the load shedder (503 when
 *    full or under memory pressure).
 * 4. **Dispatch**: the admin origin's service-worker guard, the mount's
 *    methods (405), then the mount's handler.
 *
 * Guards return or throw `FaztError`s; they become responses here, through
 * `errorResponse` (`error_response.ts`), the one place for that.
 *
 * @module
 */
import type { RouteTable } from "../services/routing/route_table.ts";
import { type LoadKind, type LoadShedder, shedError } from "../services/cockpit/load_shedder.ts";
import type { PriorityGate } from "../services/cockpit/priority_gate.ts";
import { type IpRateLimiter, rateLimitedError } from "../services/cockpit/ip_rate_limiter.ts";
import { FaztError } from "../core/errors.ts";
import { errorResponse } from "./error_response.ts";
import { createMountTable, type Mount, type MountRequest } from "./mounts.ts";
import { clientIp, type ConnInfo, requestHost, splitUrl } from "./request_info.ts";
import { serviceWorkerRefusal } from "./service_worker_guard.ts";

/** What the handler is wired to. */
export interface HttpHandlerOptions {
  /** Host → app routing. */
  routes: Pick<RouteTable, "match">;
  /** The mounts table's entries (fazt's own: `faztMounts()` in `fazt_mounts.ts`). */
  mounts: readonly Mount[];
  /** Trust `X-Forwarded-For` for the client's IP (only behind a proxy you run). */
  trustProxy: boolean;
  /** Admission budgets: user traffic is shed first, the cockpit last. */
  shedder: LoadShedder;
  /** CPU priority: user traffic takes turns so cockpit requests run first (absent: none). */
  gate?: Pick<PriorityGate, "run">;
  /** Per-client-IP rate limit of user traffic (absent: none). */
  ipLimiter?: IpRateLimiter;
}

/** The kernel's HTTP entry point. */
export type HttpHandler = (req: Request, info?: ConnInfo) => Response | Promise<Response>;

/** Answers a path no mount claims (only a table without catch-all mounts has such paths). */
const UNMOUNTED: Mount = {
  name: "unmounted",
  path: { prefix: "/" },
  host: "any",
  class: "user",
  handle: (r) =>
    errorResponse(new FaztError("not_found", `Nothing is served at ${r.pathname} on this host.`)),
};

/** The 405 for a method a mount does not allow (GET implies HEAD in the message). */
function methodNotAllowed(method: string, allowed: readonly string[]): FaztError {
  const named = allowed.includes("GET") ? allowed.filter((m) => m !== "HEAD") : allowed;
  return new FaztError(
    "method_not_allowed",
    `${method} is not allowed here; use ${named.join(" or ")}.`,
    { headers: { allow: allowed.join(", ") } },
  );
}

/** Creates the HTTP handler. */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const { routes, shedder, gate, ipLimiter, trustProxy } = options;
  const table = createMountTable(options.mounts);

  /** Step 4: the guards every mount passes, then the mount. */
  function dispatch(mount: Mount, r: MountRequest): Response | Promise<Response> {
    const refused = serviceWorkerRefusal(r.req, r.match.kind);
    if (refused) return errorResponse(refused);
    if (mount.methods !== undefined && !mount.methods.includes(r.req.method)) {
      return errorResponse(methodNotAllowed(r.req.method, mount.methods));
    }
    return mount.handle(r);
  }

  /** Step 3: admits the request into its budget (or sheds it) and dispatches it. */
  function admit(kind: LoadKind, mount: Mount, r: MountRequest): Response | Promise<Response> {
    const release = shedder.enter(kind);
    if (!release) return errorResponse(shedError(kind));
    let res: Response | Promise<Response>;
    try {
      res = dispatch(mount, r);
    } catch (err) {
      release();
      return errorResponse(err);
    }
    if (!(res instanceof Promise)) {
      release();
      return res;
    }
    return res.then((done) => {
      release();
      return done;
    }, (err) => {
      release();
      return errorResponse(err);
    });
  }

  return (req, info) => {
    // Step 1.
    const { pathname, search } = splitUrl(req.url);
    const host = requestHost(req);
    const match = routes.match(host);
    const mount = table.find(pathname, match.kind) ?? UNMOUNTED;
    const r: MountRequest = { req, info, pathname, search, host, match };
    if (mount.class === "cockpit" && match.kind === "admin") return admit("cockpit", mount, r);
    // Step 2.
    if (ipLimiter?.enabled) {
      const wait = ipLimiter.take(clientIp(req, info, trustProxy), info?.remoteAddr?.hostname);
      if (wait > 0) return errorResponse(rateLimitedError(wait));
    }
    if (!gate) return admit("user", mount, r);
    return gate.run(() => admit("user", mount, r)) ?? errorResponse(shedder.shed("user"));
  };
}
