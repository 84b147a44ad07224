/**
 * Extra pointers to apps besides their name: aliases (`<alias>.<domain>`)
 * and the root route `@` (the primary domain itself). Aliases share the
 * label namespace with app names, checked in the same transaction. Custom
 * domains live in the same table but have their own service
 * (`domain_service.ts`); this one refuses them with a pointer there.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { assertAppName } from "../../../apps/app_name.ts";
import { assertLabelFree, findApp } from "../apps/app_service.ts";
import { isIpHost, ROOT_ROUTE } from "./route_table.ts";
import { isCustomDomain } from "./custom_domain.ts";

/** A route row. */
export interface RouteRecord {
  /** `@` for the primary domain, otherwise a subdomain label. */
  host: string;
  /** The app it points at. */
  appId: string;
  /** That app's current name. */
  appName: string;
  /** Creation time (ms). */
  createdAt: number;
}

/** Route management. */
export interface RouteService {
  /** Every alias and the root route (custom domains are the domain service's). */
  list(): RouteRecord[];
  /** Points `host` at an app; `@` replaces the current root app. */
  add(host: string, appRef: string): Promise<RouteRecord>;
  /** Removes a route. */
  remove(host: string): Promise<RouteRecord>;
}

/** Options for {@linkcode createRouteService}. */
export interface RouteServiceOptions {
  /** The kernel database. */
  db: Database;
  /** Called after every committed change. */
  onChange: () => void;
  /**
   * The primary domain. When it is an IP literal the root route is refused:
   * IP hosts are always the admin origin, never an app's.
   */
  domain: string;
  /** Clock, for tests. */
  now?: () => number;
}

/** Route rows with their app's current name (aliases, `@` and custom domains alike). */
export const ROUTE_SELECT = `SELECT r.host, r.app_id, a.name AS app_name, r.created_at
  FROM routes r JOIN apps a ON a.id = r.app_id`;

/** One row of {@linkcode ROUTE_SELECT}. */
export interface RouteRow {
  /** The route host. */
  host: string;
  /** The app's ID. */
  app_id: string;
  /** The app's current name. */
  app_name: string;
  /** Creation time (ms). */
  created_at: number;
}

function toRecord(r: RouteRow): RouteRecord {
  return { host: r.host, appId: r.app_id, appName: r.app_name, createdAt: r.created_at };
}

/**
 * The error for a full name given where a label is expected: a name under
 * the primary domain is its label, anything else a custom domain.
 */
function fullName(host: string, domain: string, domainCommand: string): FaztError {
  const label = host.endsWith(`.${domain}`) ? host.slice(0, -domain.length - 1) : undefined;
  return new FaztError(
    "invalid_input",
    label !== undefined && !isCustomDomain(label)
      ? `Routes take the subdomain's label, not the full name: "${label}" rather than "${host}".`
      : `"${host}" is a full domain name, not a subdomain label: custom domains have their own commands (\`fazt domain ${domainCommand}\`).`,
    { details: { host } },
  );
}

/** Creates the route service. */
export function createRouteService(options: RouteServiceOptions): RouteService {
  const { db, onChange } = options;
  const now = options.now ?? Date.now;
  return {
    list: () =>
      (db.read.prepare(`${ROUTE_SELECT} WHERE instr(r.host, '.') = 0 ORDER BY r.host`)
        .all() as unknown as RouteRow[]).map(toRecord),
    async add(rawHost, appRef) {
      const host = rawHost.toLowerCase();
      if (isCustomDomain(host)) throw fullName(host, options.domain, `add ${host} --app <app>`);
      if (host === ROOT_ROUTE && isIpHost(options.domain)) {
        throw new FaztError(
          "invalid_input",
          `The root route needs a domain name: the primary domain ${options.domain} is an IP address, and IP addresses always serve the dashboard, never an app. Start fazt with --domain set to a name (for example ${options.domain}.sslip.io).`,
          { details: { host } },
        );
      }
      const record = await db.write((w) => {
        const app = findApp(w, appRef);
        if (!app) {
          throw new FaztError("not_found", `No app has the name or ID "${appRef}".`, {
            details: { app: appRef },
          });
        }
        if (host === ROOT_ROUTE) {
          w.prepare("DELETE FROM routes WHERE host = ?").run(ROOT_ROUTE);
        } else {
          assertAppName(host);
          assertLabelFree(w, host);
        }
        w.prepare("INSERT INTO routes (host, app_id, created_at) VALUES (?, ?, ?)").run(
          host,
          app.id,
          now(),
        );
        return toRecord(
          w.prepare(`${ROUTE_SELECT} WHERE r.host = ?`).get(host) as unknown as RouteRow,
        );
      });
      onChange();
      return record;
    },
    async remove(rawHost) {
      const host = rawHost.toLowerCase();
      if (isCustomDomain(host)) throw fullName(host, options.domain, `rm ${host}`);
      const record = await db.write((w) => {
        const row = w.prepare(`${ROUTE_SELECT} WHERE r.host = ?`).get(host) as unknown as
          | RouteRow
          | undefined;
        if (!row) {
          throw new FaztError("not_found", `No route "${host}" exists. Run \`fazt route list\`.`, {
            details: { host },
          });
        }
        w.prepare("DELETE FROM routes WHERE host = ?").run(host);
        return toRecord(row);
      });
      onChange();
      return record;
    },
  };
}
