/**
 * Facts the HTTP layer reads off a request before routing it: its path and
 * query (split without building a `URL`), its host, the client's address
 * and whether it came over HTTPS. Cheap string work: every request asks.
 *
 * @module
 */
import type { RequestMeta } from "./rest/rest_codec.ts";

/** Connection facts from the listener (absent for in-process requests). */
export interface ConnInfo {
  /** The peer's address. */
  remoteAddr?: { hostname: string };
}

/** The client's IP: the peer address, or behind a trusted proxy the last `X-Forwarded-For` hop. */
export function clientIp(req: Request, info: ConnInfo | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const hops = req.headers.get("x-forwarded-for")?.split(",").map((h) => h.trim()).filter(
      Boolean,
    );
    if (hops && hops.length > 0) return hops[hops.length - 1];
  }
  return info?.remoteAddr?.hostname ?? "local";
}

/** Splits an absolute request URL into its (still encoded) pathname and search. */
export function splitUrl(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return { pathname: "/", search: "" };
  const q = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  const end = hash === -1 ? url.length : hash;
  return q === -1 || q > end
    ? { pathname: url.slice(start, end), search: "" }
    : { pathname: url.slice(start, q), search: url.slice(q, end) };
}

/**
 * The request's host: the `Host` header, or for requests built in-process
 * (which have none) the host of the URL.
 */
export function requestHost(req: Request): string {
  const header = req.headers.get("host");
  if (header !== null) return header;
  const start = req.url.indexOf("//") + 2;
  const end = req.url.indexOf("/", start);
  return req.url.slice(start, end === -1 ? undefined : end);
}

/**
 * What the REST and MCP codecs learn about a request's transport: the
 * client's IP and whether it came over HTTPS (behind a trusted proxy, as
 * its `X-Forwarded-Proto` says).
 */
export function requestMeta(
  req: Request,
  info: ConnInfo | undefined,
  trustProxy: boolean,
): RequestMeta {
  const proto = trustProxy ? req.headers.get("x-forwarded-proto") : null;
  return {
    clientIp: clientIp(req, info, trustProxy),
    secure: proto ? proto === "https" : req.url.startsWith("https:"),
  };
}
