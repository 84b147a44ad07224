/**
 * The HTTP mounts table: which part of fazt answers a request. Each mount
 * is one entry of data — a path rule, a host rule, its cockpit class and
 * the methods it allows — and a handler; the dispatcher (`handler.ts`)
 * knows none of them by name. Adding a mount (an ACME challenge path, an
 * OAuth endpoint, a webhook) is adding an entry.
 *
 * - **Path**: `{ exact: "/_fazt/health" }`, or `{ prefix: "/api" }`, which
 *   matches `/api` and everything below it (`/api/x`) but not `/apix`; a
 *   prefix ending in `/` (`"/_fazt/api/"`) matches only below it. Paths are
 *   compared as sent (still percent-encoded).
 * - **Host**: `"admin"` (the admin origin: dashboard, API), `"app"` (a host
 *   routed to an app) or `"any"` (also hosts that name nothing), as the
 *   route table's `match(host).kind` says.
 * - **Class**: `"cockpit"` requests count against the owner's own
 *   admission budget and skip the per-IP rate limit and the priority gate;
 *   `"user"` requests are app traffic (limited, taking turns, shed first).
 *   The cockpit class holds **on admin hosts only**: on any other host
 *   every request is user traffic, so an app's visitors can never reach
 *   the owner's budget.
 * - **Methods**: when given, any other method gets 405 with `Allow`
 *   (rendered by the dispatcher); when absent the handler sees every method.
 *
 * Precedence does not depend on the order of the list: an exact path
 * before any prefix, a longer prefix before a shorter one, a mount for one
 * kind of host (`admin`, `app`) before an `any` mount with the same path.
 * Two mounts with the same path and host rule are refused when the table
 * is built. Finding a mount is a map lookup on the path's first segment and
 * a few string comparisons, whatever the size of the table.
 *
 * @module
 */
import type { HostMatch } from "../services/routing/route_table.ts";
import type { LoadKind } from "../services/cockpit/load_shedder.ts";
import type { ConnInfo } from "./request_info.ts";
import { SERVED_METHODS } from "./request_gate.ts";

/** Which hosts a mount answers on. */
export type HostRule = "admin" | "app" | "any";

/** Which paths a mount answers: one exact path, or a prefix (see the module doc). */
export type PathRule = { exact: string } | { prefix: string };

/** A request as a mount's handler sees it: routed, admitted, already classified. */
export interface MountRequest {
  /** The request. */
  readonly req: Request;
  /** Connection facts (absent in-process). */
  readonly info: ConnInfo | undefined;
  /** The path, still percent-encoded. */
  readonly pathname: string;
  /** The query string with its `?`, or `""`. */
  readonly search: string;
  /** The request's host as sent (`Host` header). */
  readonly host: string;
  /** What the host routes to. */
  readonly match: HostMatch;
}

/** One entry of the mounts table. */
export interface Mount {
  /** A short name, unique in the table (errors, tests). */
  readonly name: string;
  /** The paths it answers. */
  readonly path: PathRule;
  /** The hosts it answers on. */
  readonly host: HostRule;
  /** Its cockpit class (`cockpit` counts on admin hosts only). */
  readonly class: LoadKind;
  /** The methods it allows (others get 405); absent: all, the handler decides. */
  readonly methods?: readonly string[];
  /** Answers a request. May throw a `FaztError`: the dispatcher renders it. */
  handle(r: MountRequest): Response | Promise<Response>;
}

/** The compiled table. */
export interface MountTable {
  /** The mount answering `pathname` on a host of this kind, or undefined when none does. */
  find(pathname: string, host: HostMatch["kind"]): Mount | undefined;
}

interface Compiled {
  mount: Mount;
  /** The exact path, or null for a prefix. */
  exact: string | null;
  /** The prefix, or null for an exact path. */
  prefix: string | null;
  /** The prefix ends in `/` (or is `/`): no boundary check. */
  open: boolean;
  /** The host kind it needs, or null for any. */
  host: HostMatch["kind"] | null;
  /** Where it stands in the list (ties keep it). */
  at: number;
}

/** The first path segment: `/api/x` → `api`, `/` → `` (a map key, no regex). */
function firstSegment(pathname: string): string {
  const end = pathname.indexOf("/", 1);
  return end === -1 ? pathname.slice(1) : pathname.slice(1, end);
}

function matches(c: Compiled, pathname: string): boolean {
  if (c.exact !== null) return pathname === c.exact;
  const prefix = c.prefix!;
  return pathname.startsWith(prefix) &&
    (c.open || pathname.length === prefix.length || pathname.charCodeAt(prefix.length) === 47);
}

/** Exact before prefix, longer prefix first, one kind of host before `any`, then list order. */
function precedence(a: Compiled, b: Compiled): number {
  if ((a.exact === null) !== (b.exact === null)) return a.exact === null ? 1 : -1;
  if (a.prefix !== null && b.prefix !== null && a.prefix.length !== b.prefix.length) {
    return b.prefix.length - a.prefix.length;
  }
  if ((a.host === null) !== (b.host === null)) return a.host === null ? 1 : -1;
  return a.at - b.at;
}

function compile(mount: Mount, at: number): Compiled {
  const name = JSON.stringify(mount.name);
  const rule = "exact" in mount.path ? mount.path.exact : mount.path.prefix;
  if (typeof rule !== "string" || !rule.startsWith("/") || /[?#\s]/.test(rule)) {
    throw new TypeError(`Mount ${name} has an invalid path rule ${JSON.stringify(rule)}.`);
  }
  if (!["admin", "app", "any"].includes(mount.host)) {
    throw new TypeError(`Mount ${name} has an invalid host rule ${JSON.stringify(mount.host)}.`);
  }
  if (mount.class !== "cockpit" && mount.class !== "user") {
    throw new TypeError(`Mount ${name} has an invalid class ${JSON.stringify(mount.class)}.`);
  }
  if (
    mount.methods !== undefined &&
    (mount.methods.length === 0 || mount.methods.some((m) => !SERVED_METHODS.includes(m)))
  ) {
    throw new TypeError(
      `Mount ${name} allows methods fazt does not serve: ${JSON.stringify(mount.methods)}.`,
    );
  }
  const exact = "exact" in mount.path;
  return {
    mount,
    exact: exact ? rule : null,
    prefix: exact ? null : rule,
    open: !exact && rule.endsWith("/"),
    host: mount.host === "any" ? null : mount.host,
    at,
  };
}

/**
 * Builds the table; throws a `TypeError` (a programming mistake, found at
 * start) for a malformed entry, a duplicate name, or two mounts with the
 * same path and host rule.
 */
export function createMountTable(mounts: readonly Mount[]): MountTable {
  const compiled = mounts.map(compile);
  const seen = new Map<string, string>();
  const names = new Set<string>();
  for (const c of compiled) {
    if (names.has(c.mount.name)) {
      throw new TypeError(`Two mounts are named ${JSON.stringify(c.mount.name)}.`);
    }
    names.add(c.mount.name);
    const key = `${c.exact !== null ? "=" : "^"}${c.exact ?? c.prefix} ${c.mount.host}`;
    const other = seen.get(key);
    if (other !== undefined) {
      throw new TypeError(
        `Mounts ${JSON.stringify(other)} and ${
          JSON.stringify(c.mount.name)
        } have the same path and host rule.`,
      );
    }
    seen.set(key, c.mount.name);
  }
  compiled.sort(precedence);
  // Candidates by first path segment; a prefix of "/" is a candidate for every path.
  const everywhere = compiled.filter((c) => c.prefix === "/");
  const bySegment = new Map<string, Compiled[]>();
  for (const c of compiled) {
    if (c.prefix === "/") continue;
    const segment = firstSegment(c.exact ?? c.prefix!);
    if (!bySegment.has(segment)) bySegment.set(segment, []);
    bySegment.get(segment)!.push(c);
  }
  for (const [segment, list] of bySegment) {
    bySegment.set(segment, [...list, ...everywhere].sort(precedence));
  }

  return {
    find(pathname, host) {
      const list = bySegment.get(firstSegment(pathname)) ?? everywhere;
      for (let i = 0; i < list.length; i++) {
        const c = list[i];
        if ((c.host === null || c.host === host) && matches(c, pathname)) return c.mount;
      }
      return undefined;
    },
  };
}
