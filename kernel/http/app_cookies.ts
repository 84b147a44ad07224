/**
 * Cookies an app's server code may set. An app answers on its own host;
 * a `Set-Cookie` with a `Domain` attribute would reach every sibling host
 * of that domain — other apps and the admin host — and a cookie named like
 * fazt's own could shadow the owner's session there. Such `Set-Cookie`
 * headers are removed from the app's response (the rest of the response is
 * untouched) and reported so the app's log can say why.
 *
 * @module
 */

/** Cookie names that belong to fazt (with or without a `__Host-`/`__Secure-` prefix). */
const FAZT_NAME = /^(?:__host-|__secure-)?fazt/i;

/**
 * Why an app may not set this cookie on `host` (its own normalized host
 * name), or null when it may.
 */
export function refusedCookie(setCookie: string, host: string): string | null {
  const [pair, ...attributes] = setCookie.split(";");
  const eq = pair.indexOf("=");
  const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
  if (FAZT_NAME.test(name)) return `the name "${name}" is reserved for fazt`;
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    if ((at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase() !== "domain") {
      continue;
    }
    const domain = attribute.slice(at + 1).trim().toLowerCase().replace(/^\./, "");
    if (domain !== host) {
      return `its Domain=${domain} would reach other hosts than the app's own (${host})`;
    }
  }
  return null;
}

/**
 * Removes the `Set-Cookie` headers an app may not send from `headers`
 * (which must be mutable); returns one line per removed cookie.
 */
export function dropRefusedCookies(headers: Headers, host: string): string[] {
  const cookies = headers.getSetCookie();
  if (cookies.length === 0) return [];
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const cookie of cookies) {
    const why = refusedCookie(cookie, host);
    if (why === null) kept.push(cookie);
    else dropped.push(`fazt removed a Set-Cookie from the app's response: ${why}.`);
  }
  if (dropped.length === 0) return [];
  headers.delete("set-cookie");
  for (const cookie of kept) headers.append("set-cookie", cookie);
  return dropped;
}
