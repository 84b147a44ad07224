/**
 * What the plain-HTTP port (80) answers while fazt serves HTTPS: the ACME
 * HTTP-01 challenges the TLS service is waiting on, and for everything else
 * a redirect to the same host and path over HTTPS. It is driven by the
 * plain listener (`listen()` in `server.ts`), so every protection of that
 * listener (the request gate included) holds on this port too.
 *
 * - `GET`/`HEAD /.well-known/acme-challenge/<token>`: the token's key
 *   authorization as `text/plain` (RFC 8555 §8.3); a token that is not
 *   base64url or that no order waits on gets 404 in fazt's error shape.
 * - Anything else: `301` (GET, HEAD) or `308` (other methods, which must
 *   keep their method and body) to `https://<host>[:<httpsPort>]<path>?<query>`,
 *   the host from `Host` (lowercase, port and trailing dot dropped), the
 *   port left out when it is 443.
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import { errorResponse } from "./error_response.ts";
import type { HttpHandler } from "./handler.ts";
import { hostProblem } from "./request_gate.ts";
import { requestHost, splitUrl } from "./request_info.ts";
import { normalizeHost } from "../services/routing/route_table.ts";

/** Where HTTP-01 challenges are fetched (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** An ACME token: base64url (RFC 8555 §8.1), with a bound on its length. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** What the plain-HTTP port's handler is wired to. */
export interface PlainPortOptions {
  /** The key authorization for an HTTP-01 token while an order waits on it, else null (`TlsService.challengeAnswer`). */
  challengeAnswer(token: string): string | null;
  /** The HTTPS listener's port, which redirects point at. */
  httpsPort: number;
}

/** Creates the handler for the plain-HTTP port while HTTPS is on. */
export function createPlainPortHandler(options: PlainPortOptions): HttpHandler {
  const port = options.httpsPort === 443 ? "" : `:${options.httpsPort}`;
  return (req) => {
    const host = requestHost(req);
    const problem = hostProblem(host);
    if (problem !== undefined) {
      return errorResponse(
        new FaztError(
          "bad_request",
          `${problem} Send the host name you are addressing, like "Host: example.com".`,
        ),
      );
    }
    const { pathname, search } = splitUrl(req.url);
    const read = req.method === "GET" || req.method === "HEAD";
    if (read && pathname.startsWith(ACME_CHALLENGE_PREFIX)) {
      const token = pathname.slice(ACME_CHALLENGE_PREFIX.length);
      const answer = TOKEN.test(token) ? options.challengeAnswer(token) : null;
      if (answer === null) {
        return errorResponse(
          new FaztError("not_found", "No certificate order is waiting for this ACME challenge."),
        );
      }
      return new Response(answer, {
        headers: [
          ["content-type", "text/plain; charset=utf-8"],
          ["cache-control", "no-store"],
        ],
      });
    }
    return new Response(null, {
      status: read ? 301 : 308,
      headers: [["location", `https://${normalizeHost(host)}${port}${pathname}${search}`]],
    });
  };
}
