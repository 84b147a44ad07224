/**
 * Custom domains: full DNS names outside the primary domain
 * (`shop.example.org`) that point at an app. Each is a row of the routes
 * table like an alias, so it points at the app's stable ID: a rename keeps
 * it and deleting the app removes it (the foreign key cascades). Names are
 * checked by `custom_domain.ts` and stored in their canonical form, which
 * the route table matches exactly.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { findApp } from "../apps/app_service.ts";
import { ROUTE_SELECT, type RouteRow } from "./route_service.ts";
import { canonicalDomain, checkCustomDomain, isCustomDomain } from "./custom_domain.ts";

/** A custom domain and the app it points at. */
export interface DomainRecord {
  /** The domain, lowercase ASCII without a trailing dot. */
  domain: string;
  /** The app's stable ID. */
  appId: string;
  /** That app's current name. */
  appName: string;
  /** Creation time (ms). */
  createdAt: number;
}

/** Custom domain management. */
export interface DomainService {
  /** Every custom domain, by name. */
  list(): DomainRecord[];
  /** Points a new custom domain at an app; `conflict` when the domain is taken. */
  add(domain: string, appRef: string): Promise<DomainRecord>;
  /** Removes a custom domain; the app itself is untouched. */
  remove(domain: string): Promise<DomainRecord>;
}

/** Options for {@linkcode createDomainService}. */
export interface DomainServiceOptions {
  /** The kernel database. */
  db: Database;
  /** Called after every committed change (the route table reloads). */
  onChange: () => void;
  /** The primary domain: names under it are aliases, not custom domains. */
  domain: string;
  /** Clock, for tests. */
  now?: () => number;
}

function toRecord(r: RouteRow): DomainRecord {
  return { domain: r.host, appId: r.app_id, appName: r.app_name, createdAt: r.created_at };
}

/** Creates the custom domain service. */
export function createDomainService(options: DomainServiceOptions): DomainService {
  const { db, onChange } = options;
  const now = options.now ?? Date.now;
  return {
    list: () =>
      (db.read.prepare(`${ROUTE_SELECT} WHERE instr(r.host, '.') > 0 ORDER BY r.host`)
        .all() as unknown as RouteRow[]).map(toRecord),
    async add(rawDomain, appRef) {
      const domain = checkCustomDomain(rawDomain, options.domain);
      const record = await db.write((w) => {
        const app = findApp(w, appRef);
        if (!app) {
          throw new FaztError(
            "not_found",
            `No app has the name or ID "${appRef}". Run \`fazt app list\` to see your apps.`,
            { details: { app: appRef } },
          );
        }
        const taken = w.prepare(`${ROUTE_SELECT} WHERE r.host = ?`).get(domain) as unknown as
          | RouteRow
          | undefined;
        if (taken) {
          throw new FaztError(
            "conflict",
            `The domain "${domain}" already points at the app "${taken.app_name}". Remove it first with \`fazt domain rm ${domain}\`.`,
            { details: { domain, app: taken.app_name } },
          );
        }
        w.prepare("INSERT INTO routes (host, app_id, created_at) VALUES (?, ?, ?)").run(
          domain,
          app.id,
          now(),
        );
        return toRecord(
          w.prepare(`${ROUTE_SELECT} WHERE r.host = ?`).get(domain) as unknown as RouteRow,
        );
      });
      onChange();
      return record;
    },
    async remove(rawDomain) {
      const domain = canonicalDomain(rawDomain);
      const record = await db.write((w) => {
        const row = isCustomDomain(domain)
          ? w.prepare(`${ROUTE_SELECT} WHERE r.host = ?`).get(domain) as unknown as
            | RouteRow
            | undefined
          : undefined;
        if (!row) {
          throw new FaztError(
            "not_found",
            `No custom domain "${domain}" exists. Run \`fazt domain list\` to see them${
              isCustomDomain(domain) ? "" : " (aliases and @ are removed with `fazt route rm`)"
            }.`,
            { details: { domain } },
          );
        }
        w.prepare("DELETE FROM routes WHERE host = ?").run(domain);
        return toRecord(row);
      });
      onChange();
      return record;
    },
  };
}
