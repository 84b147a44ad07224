/**
 * The admin origin's service-worker guard: nothing on an admin host may
 * become a service worker, since one would control the dashboard's pages
 * (and see the owner's session). Browsers fetch a service worker's script
 * with `Service-Worker: script`; on an admin host such a request is
 * refused with 403 whatever its path or mount. App hosts are not checked:
 * an app's service worker is bound to the app's own origin.
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import type { HostMatch } from "../services/routing/route_table.ts";

const REFUSED = new FaztError(
  "forbidden",
  "Service workers cannot be installed on the admin host.",
);
Object.freeze(REFUSED.details);
Object.freeze(REFUSED.headers);

/**
 * The error refusing `req` on a host of kind `host`, or undefined to go on.
 * Costs one comparison on app hosts (the header is read on admin hosts only).
 */
export function serviceWorkerRefusal(
  req: Request,
  host: HostMatch["kind"],
): FaztError | undefined {
  return host === "admin" && req.headers.get("service-worker") === "script" ? REFUSED : undefined;
}
