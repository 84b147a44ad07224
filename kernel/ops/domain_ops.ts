/**
 * Operations on custom domains: full names outside the primary domain
 * (`shop.example.org`) that serve an app, each shown with the certificate
 * that covers it when HTTPS is on. Aliases and `@` stay with the route
 * operations; each kind of name has one way in.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { FaztError } from "../core/errors.ts";
import type { DomainRecord } from "../services/routing/domain_service.ts";
import { MAX_DOMAIN_LENGTH } from "../services/routing/custom_domain.ts";
import type { Services } from "./services.ts";
import {
  CertificateState,
  certificateStatus,
  CertificateView,
  certificateView,
  HTTPS_OFF,
} from "./cert_view.ts";

const DomainView = z.object({
  domain: z.string().describe("The domain, lowercase ASCII (internationalized names as xn--)."),
  appId: z.string(),
  app: z.string().describe("The app's current name."),
  url: z.string(),
  createdAt: z.string(),
  certificate: CertificateView.nullable().describe(
    "The certificate that covers the domain; null before the first one, and while HTTPS is off.",
  ),
  state: CertificateState,
  status: z.string().describe("The certificate's status in a sentence."),
});

// One more character than the longest name: a trailing dot is accepted and dropped.
const domain = z.string().min(1).max(MAX_DOMAIN_LENGTH + 1).describe(
  "A full domain name outside the primary domain, such as shop.example.org.",
);

/** `domains.list` */
export const listDomains = defineOperation({
  name: "domains.list",
  summary: "List custom domains",
  description:
    "Lists the custom domains, each with the app it serves and, when HTTPS is on, its certificate (issuer, expiry, renewal, last error).",
  input: z.strictObject({}),
  output: z.array(DomainView),
  access: "apps:read",
  filtersByApp: true,
  hints: { readOnly: true },
  http: { method: "GET", path: "/domains" },
  cli: { words: ["domain", "list"], columns: ["domain", "app", "status"] },
  handler: (_input, { services, principal }) =>
    Promise.resolve(
      services.domains.list().filter((d) => !principal.apps || principal.apps.has(d.appId)).map((
        d,
      ) => view(d, services)),
    ),
});

/** `domains.add` */
export const addDomain = defineOperation({
  name: "domains.add",
  summary: "Serve an app on a custom domain",
  description:
    "Points a full domain name outside the primary domain (shop.example.org) at an app. Point the domain's DNS at this server first; with HTTPS on, its first request orders a certificate. For a subdomain of the primary domain, add an alias with `fazt route add`.",
  input: z.strictObject({ domain, app: z.string().min(1).max(100).describe("App name or ID.") }),
  output: DomainView,
  access: "apps:write",
  appField: "app",
  hints: { idempotent: false },
  http: { method: "POST", path: "/domains", status: 201 },
  cli: { words: ["domain", "add"], positionals: ["domain"] },
  handler: async ({ domain, app }, { services, principal }) => {
    if (principal.apps && !principal.scopes.has("admin")) {
      // As with routes: a token limited to some apps cannot claim a name for
      // its app (and, with HTTPS on, make fazt order certificates for it).
      throw new FaztError(
        "forbidden",
        "This token is limited to some apps and cannot add custom domains; use an unlimited token.",
        { details: { domain } },
      );
    }
    return view(await services.domains.add(domain, app), services);
  },
});

/** `domains.remove` */
export const removeDomain = defineOperation({
  name: "domains.remove",
  summary: "Remove a custom domain",
  description: "Stops serving an app on a custom domain. The app itself is untouched.",
  input: z.strictObject({ domain }),
  output: DomainView,
  access: "apps:write",
  hints: { destructive: true },
  http: { method: "DELETE", path: "/domains/{domain}" },
  cli: { words: ["domain", "rm"], positionals: ["domain"] },
  handler: async ({ domain }, { services }) =>
    view(await services.domains.remove(domain), services),
});

function view(d: DomainRecord, services: Services): z.input<typeof DomainView> {
  const info = services.tls?.infoFor(d.domain) ?? null;
  return {
    domain: d.domain,
    appId: d.appId,
    app: d.appName,
    url: services.system.hostUrl(d.domain),
    createdAt: new Date(d.createdAt).toISOString(),
    certificate: info && certificateView(info),
    ...(services.tls ? certificateStatus(info, Date.now()) : HTTPS_OFF),
  };
}

/** Every custom domain operation. */
export const DOMAIN_OPERATIONS = [listDomains, addDomain, removeDomain];
