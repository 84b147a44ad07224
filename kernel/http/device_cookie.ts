/**
 * The known-device cookie's encoding (the device itself is in
 * `known_devices.ts`). It is sent only to the login endpoint: `Path` is the
 * login route, `SameSite=Strict`, `HttpOnly`, no `Domain` (this host only),
 * and over HTTPS it is `Secure` with the `__Secure-` prefix, which browsers
 * refuse from plain-HTTP responses. The REST codec reads and sets it only
 * for operations that declare `http.knownDevice`.
 *
 * @module
 */

/** The cookie's name over plain HTTP. */
export const DEVICE_COOKIE = "fazt_device";

/** The cookie's name over HTTPS. */
export const SECURE_DEVICE_COOKIE = `__Secure-${DEVICE_COOKIE}`;

/** The only path the cookie is sent to: the login route. */
export const DEVICE_COOKIE_PATH = "/_fazt/api/auth/login";

/** The device cookie's name for a request over HTTPS (`secure`) or plain HTTP. */
export function deviceCookieName(secure: boolean): string {
  return secure ? SECURE_DEVICE_COOKIE : DEVICE_COOKIE;
}

/** Reads the device cookie from a request (the name that fits its scheme). */
export function readDeviceCookie(req: Request, secure: boolean): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  const name = deviceCookieName(secure);
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `Set-Cookie` value that stores `value` on the client for `maxAgeSeconds`. */
export function deviceCookieHeader(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${
    deviceCookieName(secure)
  }=${value}; Path=${DEVICE_COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${
    secure ? "; Secure" : ""
  }`;
}

/**
 * The `Set-Cookie` value for an operation output's `device` field
 * (`{ secret, expiresAt }`, an ISO date), or undefined when it has none.
 */
export function deviceSetCookie(output: unknown, secure: boolean): string | undefined {
  const device = (output as { device?: { secret: string; expiresAt: string } }).device;
  if (!device) return undefined;
  const maxAge = Math.max(0, Math.floor((Date.parse(device.expiresAt) - Date.now()) / 1000));
  return deviceCookieHeader(device.secret, maxAge, secure);
}
