/**
 * Operations on routes: extra pointers to apps (aliases, and `@` for the
 * primary domain's root app).
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { FaztError } from "../core/errors.ts";
import type { RouteRecord } from "../services/routing/route_service.ts";

const RouteView = z.object({
  host: z.string().describe("`@` for the primary domain, otherwise a subdomain label."),
  appId: z.string(),
  app: z.string().describe("The app's current name."),
  url: z.string(),
  createdAt: z.string(),
});

const host = z.string().min(1).max(63).describe(
  "`@` for the primary domain itself, or a subdomain label.",
);

/** `routes.list` */
export const listRoutes = defineOperation({
  name: "routes.list",
  summary: "List routes",
  description: "Lists aliases and the root route, with the app each points at.",
  input: z.strictObject({}),
  output: z.array(RouteView),
  access: "apps:read",
  filtersByApp: true,
  hints: { readOnly: true },
  http: { method: "GET", path: "/routes" },
  cli: { words: ["route", "list"], columns: ["host", "app", "url"] },
  handler: (_input, { services, principal }) =>
    Promise.resolve(
      services.routes.list().filter((r) => !principal.apps || principal.apps.has(r.appId)).map((
        r,
      ) => view(r, services.system)),
    ),
});

/** `routes.add` */
export const addRoute = defineOperation({
  name: "routes.add",
  summary: "Point a host at an app",
  description:
    "Adds an alias subdomain for an app, or with host `@` serves the app on the primary domain itself.",
  input: z.strictObject({ host, app: z.string().min(1).max(100).describe("App name or ID.") }),
  output: RouteView,
  access: "apps:write",
  appField: "app",
  hints: { idempotent: false },
  http: { method: "POST", path: "/routes", status: 201 },
  cli: { words: ["route", "add"], positionals: ["host", "app"] },
  handler: async ({ host, app }, { services, principal }) => {
    if (principal.apps && !principal.scopes.has("admin")) {
      // A token limited to some apps may only re-point hosts that are already
      // its own: claiming the root (the primary domain) or a free name would
      // put its app where the owner did not.
      const current = services.routes.list().find((r) => r.host === host.toLowerCase());
      if (host === "@" || !current || !principal.apps.has(current.appId)) {
        throw new FaztError(
          "forbidden",
          host === "@"
            ? "This token is limited to some apps and cannot route the primary domain (@); use an unlimited token."
            : `This token is limited to some apps and may only re-point hosts that already point at one of them; "${host}" does not.`,
          { details: { host } },
        );
      }
    }
    return view(await services.routes.add(host, app), services.system);
  },
});

/** `routes.remove` */
export const removeRoute = defineOperation({
  name: "routes.remove",
  summary: "Remove a route",
  description: "Removes an alias or the root route. The app itself is untouched.",
  input: z.strictObject({ host }),
  output: RouteView,
  access: "apps:write",
  hints: { destructive: true },
  http: { method: "DELETE", path: "/routes/{host}" },
  cli: { words: ["route", "rm"], positionals: ["host"] },
  handler: async ({ host }, { services }) =>
    view(await services.routes.remove(host), services.system),
});

function view(
  r: RouteRecord,
  system: { appUrl(n: string): string; rootUrl: string },
): z.input<typeof RouteView> {
  return {
    host: r.host,
    appId: r.appId,
    app: r.appName,
    url: r.host === "@" ? system.rootUrl : system.appUrl(r.host),
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/** Every route operation. */
export const ROUTE_OPERATIONS = [listRoutes, addRoute, removeRoute];
