/**
 * Serving an app's files from its live version: URL → file policy (with
 * the SPA fallback), conditional requests (If-Match and
 * If-Unmodified-Since → 412; If-None-Match and If-Modified-Since → 304,
 * against the ETag and Last-Modified), single byte ranges, stored
 * br/gzip encodings, cache policy and HEAD. Hot files come from the memory
 * cache; large ones stream from SQLite in chunks.
 *
 * @module
 */
import type { LiveApp } from "../../services/routing/route_table.ts";
import type { FileIndexCache, FileMeta, VersionIndex } from "../../services/vfs/file_index.ts";
import type { ContentCache } from "../../services/vfs/content_cache.ts";
import type { Encoding } from "../../services/vfs/content_store.ts";
import { type ResolvedPath, resolvePath } from "./path_resolver.ts";
import { parseRange } from "./range.ts";
import {
  httpDate,
  ifMatchAllows,
  ifNoneMatchHits,
  ifRangeAllows,
  notModifiedSince,
  unmodifiedSince,
} from "./conditional.ts";
import { negotiateEncoding } from "./encoding.ts";
import { cacheControlFor } from "./cache_policy.ts";
import { notFoundPage } from "../pages.ts";

/** Options for {@linkcode createStaticServer}. */
export interface StaticServerOptions {
  /** Streams bytes `start`..`end` (inclusive) of a stored file, for files too large to cache. */
  stream(hash: string, start: number, end: number): ReadableStream<Uint8Array>;
  /** A stored encoding of a file too large to cache: its size and a stream of its bytes. */
  streamEncoded(
    hash: string,
    encoding: Encoding,
  ): { size: number; body: ReadableStream<Uint8Array> } | undefined;
  /** Version indexes. */
  indexes: FileIndexCache;
  /** The content LRU. */
  content: ContentCache;
  /** Bodies larger than this stream from SQLite instead of the cache. */
  maxCachedBytes: number;
}

/** A response and the body bytes it sends (for traffic accounting). */
export interface Served {
  /** The response. */
  res: Response;
  /** Body bytes sent (0 for HEAD and bodiless responses). */
  bytes: number;
}

/** Serves static files of live apps. */
export interface StaticServer {
  /** Answers a GET or HEAD for `pathname` (still percent-encoded) of an app. */
  serve(req: Request, app: LiveApp, pathname: string, search: string): Served;
}

interface Prepared {
  etag: string;
  lastModified: string;
  cacheControl: string;
  headers: [string, string][];
  fullHeaders: [string, string][];
}

const MAX_MEMO = 2048;
const NOSNIFF: [string, string] = ["x-content-type-options", "nosniff"];
const HTML = "text/html; charset=utf-8";

/** Creates the static server. */
export function createStaticServer(options: StaticServerOptions): StaticServer {
  const { indexes, content, maxCachedBytes } = options;
  const prepared = new WeakMap<FileMeta, Prepared>();

  function prepare(meta: FileMeta): Prepared {
    let p = prepared.get(meta);
    if (!p) {
      const etag = `"${meta.hash.slice(0, 32)}"`;
      const lastModified = httpDate(meta.modifiedAt);
      const cacheControl = cacheControlFor(meta.path, meta.contentType);
      const headers: [string, string][] = [
        ["content-type", meta.contentType],
        ["etag", etag],
        ["last-modified", lastModified],
        ["cache-control", cacheControl],
        ["accept-ranges", "bytes"],
        NOSNIFF,
      ];
      if (meta.encodings.length > 0) headers.push(["vary", "Accept-Encoding"]);
      const fullHeaders = [...headers, ["content-length", String(meta.size)]] as [string, string][];
      p = { etag, lastModified, cacheControl, headers, fullHeaders };
      prepared.set(meta, p);
    }
    return p;
  }

  function resolve(index: VersionIndex, pathname: string, spa: boolean): ResolvedPath {
    const key = spa ? `s${pathname}` : pathname;
    let hit = index.memo.get(key) as unknown as ResolvedPath | undefined;
    if (!hit) {
      hit = resolvePath(pathname, (p) => index.files.has(p), { spa });
      if (index.memo.size >= MAX_MEMO) index.memo.clear();
      index.memo.set(key, hit);
    }
    return hit;
  }

  function body(meta: FileMeta, start: number, end: number): BodyInit {
    if (meta.size <= maxCachedBytes) {
      const bytes = content.get(meta.hash, "identity");
      if (!bytes) throw new Error(`File ${meta.path} (${meta.hash}) is missing from the store.`);
      return start === 0 && end === meta.size - 1 ? bytes : bytes.subarray(start, end + 1);
    }
    return options.stream(meta.hash, start, end);
  }

  function serveFile(req: Request, meta: FileMeta, status: number): Served {
    const p = prepare(meta);
    const h = req.headers;
    if (status === 200) {
      // RFC 9110 §13.2.2: If-Match (else If-Unmodified-Since) first, as nginx does.
      const im = h.get("if-match");
      if (
        im !== null
          ? !(ifMatchAllows(im, p.etag) ||
            meta.encodings.some((e) => ifMatchAllows(im, variantEtag(p.etag, e))))
          : !unmodifiedSince(h.get("if-unmodified-since"), meta.modifiedAt)
      ) {
        return {
          res: new Response(null, {
            status: 412,
            headers: [["etag", p.etag], ["last-modified", p.lastModified], NOSNIFF],
          }),
          bytes: 0,
        };
      }
      const inm = h.get("if-none-match");
      if (
        inm !== null
          ? ifNoneMatchHits(inm, p.etag) ||
            (meta.encodings.length > 0 &&
              meta.encodings.some((e) => ifNoneMatchHits(inm, variantEtag(p.etag, e))))
          : notModifiedSince(h.get("if-modified-since"), meta.modifiedAt)
      ) {
        return {
          res: new Response(null, { status: 304, headers: notModifiedHeaders(p, inm, meta) }),
          bytes: 0,
        };
      }
      const rangeHeader = h.get("range");
      if (rangeHeader !== null && req.method === "GET") {
        const range = parseRange(rangeHeader, meta.size);
        if (range === "unsatisfiable") {
          return {
            res: new Response(null, {
              status: 416,
              headers: [...p.headers, ["content-range", `bytes */${meta.size}`]],
            }),
            bytes: 0,
          };
        }
        if (range && ifRangeAllows(h.get("if-range"), p.etag, meta.modifiedAt)) {
          const length = range.end - range.start + 1;
          return {
            res: new Response(body(meta, range.start, range.end), {
              status: 206,
              headers: [
                ...p.headers,
                ["content-range", `bytes ${range.start}-${range.end}/${meta.size}`],
                ["content-length", String(length)],
              ],
            }),
            bytes: length,
          };
        }
      }
    }
    const head = req.method === "HEAD";
    if (meta.encodings.length > 0) {
      const enc = negotiateEncoding(h.get("accept-encoding"), meta.encodings);
      if (enc) {
        const encodedHeaders = (length: number): [string, string][] => [
          ...p.headers.map(([k, v]): [string, string] =>
            k === "etag" ? [k, variantEtag(p.etag, enc)] : [k, v]
          ),
          ["content-encoding", enc],
          ["content-length", String(length)],
        ];
        if (meta.size > maxCachedBytes) {
          // Large files' encodings stream like their identity bytes. Ranges are
          // answered from the identity encoding only (above), as nginx's
          // gzip_static and Caddy's precompressed do.
          const encoded = options.streamEncoded(meta.hash, enc);
          if (encoded) {
            if (head) void encoded.body.cancel();
            return {
              res: new Response(head ? null : encoded.body, {
                status,
                headers: encodedHeaders(encoded.size),
              }),
              bytes: head ? 0 : encoded.size,
            };
          }
        } else if (head || status !== 200) {
          const bytes = content.get(meta.hash, enc);
          if (bytes) {
            return {
              res: new Response(head ? null : bytes, {
                status,
                headers: encodedHeaders(bytes.length),
              }),
              bytes: head ? 0 : bytes.length,
            };
          }
        } else {
          const res = content.derived(
            meta.hash,
            enc,
            meta,
            (bytes) => new Response(bytes, { status, headers: encodedHeaders(bytes.length) }),
            cloneResponse,
          );
          if (res) return { res, bytes: Number(encodedLength(res)) };
        }
      }
    }
    if (head || meta.size === 0) {
      return { res: new Response(null, { status, headers: p.fullHeaders }), bytes: 0 };
    }
    if (status === 200 && meta.size <= maxCachedBytes) {
      const res = content.derived(
        meta.hash,
        "identity",
        meta,
        (bytes) => new Response(bytes, { status, headers: p.fullHeaders }),
        cloneResponse,
      );
      if (!res) throw new Error(`File ${meta.path} (${meta.hash}) is missing from the store.`);
      return { res, bytes: meta.size };
    }
    return {
      res: new Response(body(meta, 0, meta.size - 1), { status, headers: p.fullHeaders }),
      bytes: meta.size,
    };
  }

  /**
   * The SPA fallback for a missing name of a known file type (`/missing.js`):
   * the app's `index.html` for a browser navigation (its `Accept` names
   * `text/html`), else the 404 a script or an image needs. Both vary by
   * `Accept`.
   */
  function navigationOnly(req: Request, index: VersionIndex): Served {
    const accept = req.headers.get("accept");
    const served = accept !== null && accept.toLowerCase().includes("text/html")
      ? serveFile(req, index.files.get("index.html")!, 200)
      : notFound(req, index);
    served.res.headers.append("vary", "Accept");
    return served;
  }

  function notFound(req: Request, index: VersionIndex): Served {
    const custom = index.files.get("404.html");
    if (custom) {
      const p = prepare(custom);
      const head = req.method === "HEAD" || custom.size === 0;
      return {
        res: new Response(head ? null : body(custom, 0, custom.size - 1), {
          status: 404,
          headers: [["content-type", HTML], ["cache-control", "no-cache"], NOSNIFF, [
            "content-length",
            String(custom.size),
          ], ["last-modified", p.lastModified]],
        }),
        bytes: head ? 0 : custom.size,
      };
    }
    return page(
      404,
      notFoundPage({
        title: "Page not found",
        message: "This app has no page at this address. Check the link for typos.",
      }),
    );
  }

  return {
    serve(req, app, pathname, search) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return {
          res: new Response(null, {
            status: 405,
            headers: [["allow", "GET, HEAD"], NOSNIFF],
          }),
          bytes: 0,
        };
      }
      if (app.versionId === null) {
        return page(
          404,
          notFoundPage({
            title: "Nothing deployed yet",
            message:
              `The app "${app.name}" exists but has no files yet. Deploy it with: fazt app add <folder> --name ${app.name}`,
          }),
        );
      }
      const index = indexes.get(app.versionId);
      const resolved = resolve(index, pathname, app.spa);
      switch (resolved.kind) {
        case "file":
        case "spa":
          return serveFile(req, index.files.get(resolved.path)!, 200);
        case "spa_navigation":
          return navigationOnly(req, index);
        case "redirect":
          return {
            res: new Response(null, {
              status: 308,
              headers: [["location", resolved.location + search], NOSNIFF],
            }),
            bytes: 0,
          };
        case "bad_request":
          return page(
            400,
            notFoundPage({
              status: 400,
              title: "Bad address",
              message:
                "This address is not valid: it has an empty part (//), a . or .. part, or broken %-encoding. Remove the extra slashes or dots and try again.",
            }),
          );
        case "not_found":
          return notFound(req, index);
      }
    },
  };
}

/** Hands out a response kept in the content cache: a clone, cheaper than building a new one. */
const cloneResponse = (kept: Response): Response => kept.clone();

function page(status: number, html: string): Served {
  const res = htmlResponse(status, html);
  return { res, bytes: Number(res.headers.get("content-length")) };
}

function encodedLength(res: Response): string {
  return res.headers.get("content-length") ?? "0";
}

function variantEtag(etag: string, enc: Encoding): string {
  return `${etag.slice(0, -1)}-${enc}"`;
}

function notModifiedHeaders(p: Prepared, inm: string | null, meta: FileMeta): [string, string][] {
  let etag = p.etag;
  if (inm !== null && !ifNoneMatchHits(inm, p.etag)) {
    const enc = meta.encodings.find((e) => ifNoneMatchHits(inm, variantEtag(p.etag, e)));
    if (enc) etag = variantEtag(p.etag, enc);
  }
  const headers: [string, string][] = [
    ["etag", etag],
    ["last-modified", p.lastModified],
    ["cache-control", p.cacheControl],
    NOSNIFF,
  ];
  if (meta.encodings.length > 0) headers.push(["vary", "Accept-Encoding"]);
  return headers;
}

/** An HTML response from the kernel's own pages (with `content-length`, for accounting). */
export function htmlResponse(status: number, html: string): Response {
  const bytes = new TextEncoder().encode(html);
  return new Response(bytes, {
    status,
    headers: [
      ["content-type", HTML],
      ["cache-control", "no-store"],
      ["content-length", String(bytes.length)],
      NOSNIFF,
    ],
  });
}
