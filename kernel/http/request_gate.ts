/**
 * The first check every request from the network passes, before routing,
 * admission or any body handling: its method and its `Host` header must be
 * ones fazt can serve. It runs in the listeners (`server.ts`,
 * `tls_server.ts`), because Deno cannot even rebuild a `Request` with some
 * methods (`TRACE`, `TRACK` and `CONNECT` are forbidden by the Fetch
 * standard), and because the handler routes by `Host`: a request without a
 * usable one must never fall through to a default (an empty `Host` used to
 * count as the admin host).
 *
 * - Methods: fazt serves `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE`
 *   and `OPTIONS` (exactly, upper case: methods are case-sensitive).
 *   `TRACE`, `TRACK` and `CONNECT` (in any case) are known and never allowed:
 *   405 with `Allow`. Anything else (`FOO`, `get`, WebDAV's `PROPFIND`) is
 *   not implemented: 501.
 * - `Host`: required (also for HTTP/1.0, which Deno cannot tell apart), a
 *   host name of letters, digits, `-`, `_` and dots (at most 253 characters,
 *   labels of at most 63, an optional trailing dot) or a bracketed IPv6
 *   literal, optionally followed by one port from 1 to 65535. Empty, spaces,
 *   control or non-ASCII characters, `@`, several ports: 400.
 *
 * Refusals are the one JSON error shape and are not logged; the listener
 * treats a body sent with a refused request as one nobody reads (it must
 * still arrive in time, or the connection is cut).
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import { errorResponse } from "./error_response.ts";

/** The methods fazt serves (apps included). */
export const SERVED_METHODS: readonly string[] = Object.freeze([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

const SERVED = new Set(SERVED_METHODS);
const ALLOW = SERVED_METHODS.join(", ");

/** Methods that are understood and refused everywhere (they echo requests or tunnel). */
const REFUSED = new Set(["TRACE", "TRACK", "CONNECT"]);

const LABEL = "[A-Za-z0-9_-]{1,63}";
const NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const PORT = /^[0-9]{1,5}$/;
const MAX_NAME = 253;

/** Why `host` (a `Host` header value) is not one fazt can route, or `undefined` when it is. */
export function hostProblem(host: string | null): string | undefined {
  if (host === null) return "The request has no Host header.";
  if (host === "") return "The request's Host header is empty.";
  let name = host;
  let port: string | undefined;
  const close = host.lastIndexOf("]");
  const colon = host.indexOf(":", close + 1);
  if (colon !== -1) {
    name = host.slice(0, colon);
    port = host.slice(colon + 1);
  }
  const nameOk = name.startsWith("[")
    ? IPV6.test(name)
    : name.length <= MAX_NAME && NAME.test(name);
  const portOk = port === undefined || (PORT.test(port) && +port >= 1 && +port <= 65535);
  if (nameOk && portOk) return undefined;
  return "The request's Host header is not a valid host name (with an optional port).";
}

/**
 * The answer for a request fazt must not serve (an unsupported method or a
 * missing or malformed `Host`), or `undefined` to go on.
 */
export function refuseRequest(req: Request): Response | undefined {
  return refusal(req.method, req.headers.get("host"));
}

/**
 * {@linkcode refuseRequest} from a request's method and `Host` header alone,
 * for engines that hand over requests a `Request` cannot hold (`TRACE`).
 */
export function refusal(method: string, host: string | null): Response | undefined {
  let err: FaztError | undefined;
  if (!SERVED.has(method)) {
    err = REFUSED.has(method.toUpperCase())
      ? new FaztError("method_not_allowed", `${method} is not allowed; use ${ALLOW}.`, {
        headers: { allow: ALLOW },
      })
      : new FaztError("not_implemented", "fazt does not implement this method.", {
        details: { supported: SERVED_METHODS },
      });
  } else {
    const problem = hostProblem(host);
    if (problem !== undefined) {
      err = new FaztError(
        "bad_request",
        `${problem} Send the host name you are addressing, like "Host: example.com".`,
      );
    }
  }
  return err === undefined ? undefined : errorResponse(err);
}
