/**
 * The in-memory map from a request's `Host` to an app's live version, or to
 * the admin origin. It is rebuilt from the database after every committed
 * change (apps are few; a rebuild is one query), so the hot path never
 * touches SQLite to route.
 *
 * **The admin origin never serves app content.** The owner's dashboard,
 * session and API live only on admin hosts: `admin.<domain>` always, IP
 * literals and `localhost` (unless `localhost` is the domain) always, and the
 * primary domain itself while no app is routed at `@`. Routing `@` hands the
 * primary domain to that app, and the admin moves to `admin.<domain>`; an
 * app is never served on an admin host, so no app page shares an origin with
 * `/_fazt` (its scripts, service workers and cookies cannot reach the
 * owner's session). See docs/SECURITY.md.
 *
 * **Custom domains** (`shop.example.org`, full names outside the primary
 * domain, checked by `custom_domain.ts` before they are stored) match
 * exactly, and only after every admin rule: a custom domain is never an
 * admin host.
 *
 * @module
 */
import type { Connection } from "../../store/database.ts";
import { apiEntryOf } from "../../../apps/api_entry.ts";
import { isCustomDomain } from "./custom_domain.ts";

/** What a host routes to when it names an app. */
export interface LiveApp {
  /** The app's stable ID. */
  id: string;
  /** The app's current name. */
  name: string;
  /** The live version's ID, or null before the first deploy. */
  versionId: number | null;
  /** Single-page-app fallback, from the live version's manifest. */
  spa: boolean;
  /** The live version's server entry (`api/main.js`, …), or null for static-only apps. */
  apiEntry: string | null;
}

/** The result of routing a host. */
export type HostMatch =
  | { kind: "app"; app: LiveApp }
  /** An admin host: the dashboard, the owner's session and the API; never an app. */
  | { kind: "admin" }
  | { kind: "unknown" };

/** Host → app routing. */
export interface RouteTable {
  /** Reloads every route from the database. */
  reload(): void;
  /** Routes a `Host` header value (port and case ignored). */
  match(host: string): HostMatch;
  /** The app with this ID, if it exists. */
  byId(id: string): LiveApp | undefined;
  /** True when some app's live version has server code (`api/main.*`). */
  hasApiApps(): boolean;
  /**
   * The canonical admin host name: the primary domain while no app is
   * routed at `@`, else `admin.<domain>` (IP-literal hosts are admin too).
   */
  adminHost(): string;
}

/** The special route host that means the primary domain itself. */
export const ROOT_ROUTE = "@";

/** The subdomain label of the admin host that is always there (`admin.<domain>`). */
export const ADMIN_LABEL = "admin";

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Lowercases a Host header and strips its port and trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  if (colon !== -1) h = h.slice(0, colon);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/** True for IPv4 and bracketed IPv6 literals (normalized hosts). */
export function isIpHost(host: string): boolean {
  return host.startsWith("[") || IPV4.test(host);
}

/** Creates the route table for a primary domain. */
export function createRouteTable(db: Connection, domain: string): RouteTable {
  const suffix = `.${domain}`;
  let labels = new Map<string, LiveApp>();
  let domains = new Map<string, LiveApp>();
  let ids = new Map<string, LiveApp>();
  let root: LiveApp | undefined;
  const cache = new Map<string, HostMatch>();

  function reload(): void {
    const rows = db.prepare(
      `SELECT a.id, a.name, a.live_version_id AS version_id, v.manifest,
         (SELECT group_concat(f.path) FROM version_files f
          WHERE f.version_id = a.live_version_id AND f.path LIKE 'api/main.%') AS entries
       FROM apps a LEFT JOIN versions v ON v.id = a.live_version_id`,
    ).all() as {
      id: string;
      name: string;
      version_id: number | null;
      manifest: string | null;
      entries: string | null;
    }[];
    const nextIds = new Map<string, LiveApp>();
    const nextLabels = new Map<string, LiveApp>();
    for (const r of rows) {
      const manifest = r.manifest ? JSON.parse(r.manifest) : {};
      const app: LiveApp = {
        id: r.id,
        name: r.name,
        versionId: r.version_id,
        spa: manifest.spa === true,
        apiEntry: r.entries ? apiEntryOf(r.entries.split(",")) : null,
      };
      nextIds.set(r.id, app);
      nextLabels.set(r.name, app);
    }
    const routes = db.prepare("SELECT host, app_id FROM routes").all() as {
      host: string;
      app_id: string;
    }[];
    let nextRoot: LiveApp | undefined;
    const nextDomains = new Map<string, LiveApp>();
    for (const r of routes) {
      const app = nextIds.get(r.app_id);
      if (!app) continue;
      if (r.host === ROOT_ROUTE) nextRoot = app;
      else if (isCustomDomain(r.host)) nextDomains.set(r.host, app);
      else nextLabels.set(r.host, app);
    }
    ids = nextIds;
    labels = nextLabels;
    domains = nextDomains;
    root = nextRoot;
    cache.clear();
  }

  const adminAlways = `${ADMIN_LABEL}${suffix}`;

  function compute(host: string): HostMatch {
    if (isIpHost(host)) return { kind: "admin" };
    if (host === domain) return root ? { kind: "app", app: root } : { kind: "admin" };
    if (host === adminAlways || host === "localhost") return { kind: "admin" };
    if (host.endsWith(suffix)) {
      const label = host.slice(0, -suffix.length);
      const app = labels.get(label);
      return app ? { kind: "app", app } : { kind: "unknown" };
    }
    const app = domains.get(host);
    return app ? { kind: "app", app } : { kind: "unknown" };
  }

  function match(rawHost: string): HostMatch {
    let hit = cache.get(rawHost);
    if (hit === undefined) {
      hit = compute(normalizeHost(rawHost));
      if (cache.size > 4096) cache.clear();
      cache.set(rawHost, hit);
    }
    return hit;
  }

  reload();
  return {
    reload,
    match,
    byId: (id) => ids.get(id),
    hasApiApps: () => [...ids.values()].some((a) => a.apiEntry !== null && a.versionId !== null),
    adminHost: () => root ? adminAlways : domain,
  };
}
