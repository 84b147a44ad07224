/**
 * Serves the dashboard from memory: the same page for every dashboard
 * path (the page routes on the client), and the fingerprinted script and
 * stylesheet under `/_fazt/assets/` (cached for a year, immutable). The
 * kernel calls {@linkcode dashboardResponse} for GET and HEAD requests on
 * admin hosts only.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { assets } from "./dist/assets.ts";

/**
 * The page's Content-Security-Policy: only this server's own script,
 * styles and API; images from the page itself (`data:` previews of app
 * files); no inline script, no eval, no framing.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Paths the page answers (exactly, or with sub-paths for `/_fazt/apps`). */
const PAGES = new Set([
  "/_fazt",
  "/_fazt/",
  "/_fazt/login",
  "/_fazt/setup",
  "/_fazt/apps",
  "/_fazt/domains",
  "/_fazt/tokens",
  "/_fazt/system",
  "/_fazt/agents",
  "/_fazt/account",
  "/_fazt/backups",
]);

const encoder = new TextEncoder();

interface Asset {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  gzip?: Uint8Array<ArrayBuffer>;
}

const ASSETS = new Map<string, Asset>([
  [assets.jsPath, {
    type: "text/javascript; charset=utf-8",
    body: encoder.encode(assets.js),
  }],
  [assets.cssPath, {
    type: "text/css; charset=utf-8",
    body: encoder.encode(assets.css),
  }],
]);

const PAGE_BODY = encoder.encode(assets.html);

/** True for a path the dashboard page answers. */
export function isDashboardPage(pathname: string): boolean {
  return PAGES.has(pathname) || pathname.startsWith("/_fazt/apps/");
}

function pageResponse(): Response {
  return new Response(PAGE_BODY, {
    headers: [
      ["content-type", "text/html; charset=utf-8"],
      ["cache-control", "no-store"],
      ["x-content-type-options", "nosniff"],
      ["content-security-policy", DASHBOARD_CSP],
      ["x-frame-options", "DENY"],
      ["referrer-policy", "no-referrer"],
    ],
  });
}

function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (name.trim() !== "gzip" && name.trim() !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function assetResponse(asset: Asset, acceptEncoding: string | null | undefined): Response {
  const gzip = acceptsGzip(acceptEncoding);
  if (gzip) asset.gzip ??= new Uint8Array(gzipSync(asset.body, { level: 9 }));
  const body = gzip ? asset.gzip! : asset.body;
  const headers: [string, string][] = [
    ["content-type", asset.type],
    ["cache-control", "public, max-age=31536000, immutable"],
    ["x-content-type-options", "nosniff"],
    ["vary", "accept-encoding"],
  ];
  if (gzip) headers.push(["content-encoding", "gzip"]);
  return new Response(body, { headers });
}

/**
 * The dashboard's answer for `pathname`, or `undefined` when the path is
 * not the dashboard's. `acceptEncoding` (the request's `Accept-Encoding`)
 * lets the script and stylesheet go out gzipped.
 */
export function dashboardResponse(
  pathname: string,
  acceptEncoding?: string | null,
): Response | undefined {
  if (isDashboardPage(pathname)) return pageResponse();
  const asset = ASSETS.get(pathname);
  return asset ? assetResponse(asset, acceptEncoding) : undefined;
}
