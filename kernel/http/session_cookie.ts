/**
 * The owner's session cookie: its name, attributes and reading. Over HTTPS
 * it is `__Host-fazt_session` (`Secure`, `Path=/`, no `Domain`), a name
 * browsers only accept from the exact host over a secure connection, so no
 * app on a sibling subdomain can set or shadow it; over plain HTTP (local
 * use) it is `fazt_session` with `Path=/_fazt`. Both are `HttpOnly` and
 * `SameSite=Strict`: the dashboard page is static, and its own API calls
 * are same-site, so nothing needs the cookie on a cross-site request.
 *
 * @module
 */

/** The cookie's name over plain HTTP. */
export const SESSION_COOKIE = "fazt_session";

/** The cookie's name over HTTPS. */
export const SECURE_SESSION_COOKIE = "__Host-fazt_session";

/** The cookie's name for a connection that is (or is not) HTTPS. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/**
 * Every value of the session cookie in a request, in the order sent. A
 * browser may send several cookies of one name (one tossed by another host
 * with a wider `Domain`), so each is tried rather than only the first.
 */
export function sessionCookies(req: Request, secure: boolean): string[] {
  const header = req.headers.get("cookie");
  if (!header) return [];
  const name = sessionCookieName(secure);
  const values: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** The `Set-Cookie` value that sets (or, with an empty value and 0, clears) the session. */
export function sessionSetCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const scope = secure ? "Path=/; Secure" : "Path=/_fazt";
  return `${
    sessionCookieName(secure)
  }=${value}; ${scope}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}
