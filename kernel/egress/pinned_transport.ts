/**
 * The egress guard's transport: one HTTP/1.1 exchange with a host, connected
 * ONLY to the addresses the guard has just checked. The host name is never
 * resolved again, so a DNS answer that changes between the check and the
 * connection (DNS rebinding) cannot send the request anywhere else. TLS still
 * uses the name: it is sent as SNI and the certificate is verified against
 * it, never against the IP address.
 *
 * How: `node:http`/`node:https` `request()` with a `lookup` function that
 * answers the checked addresses for the checked name and refuses any other
 * name. Measured on Deno 2.9.6: the polyfill calls it instead of the system
 * resolver, tries the addresses it returns with happy eyeballs (as Node's
 * default `autoSelectFamily` does), sends `servername` as SNI and verifies the
 * certificate against it. `fetch` cannot do this: it always resolves the name
 * itself, and no `Deno.createHttpClient` option pins an address while keeping
 * the name for TLS (`proxy: { transport: "tcp" }` pins the socket but then
 * speaks plain HTTP on it, even for `https:` URLs). IP-literal URLs connect to
 * the literal, which is what the guard checked.
 *
 * It behaves as Deno's `fetch` does where the guard relied on it (measured on
 * Deno 2.9.6 `fetch`):
 *
 * - it adds `accept: *\/*` and `accept-language: *` when the request has
 *   none, and `accept-encoding: gzip,br` (`identity` for a `Range` request)
 *   when it has no `accept-encoding`; `content-length` is set from the body
 *   (`0` for a bodyless POST or PUT);
 * - it decodes a `gzip` or `br` response body (a `content-encoding` of exactly
 *   one of them, in any case) unless the request asked for
 *   `accept-encoding: identity`; the `content-encoding` and `content-length`
 *   headers are left as the server sent them, other codings are not decoded,
 *   and a corrupt or truncated gzip body is an error;
 * - `statusText` is the standard reason phrase of the status, repeated
 *   headers are joined with `, ` (`set-cookie` excepted), HEAD, 204 and 304
 *   answers have no body, and redirects are returned, not followed;
 * - the body is a stream read on demand: the socket is paused while nobody
 *   reads, and cancelling the stream closes the connection;
 * - connections are kept alive and reused for the same name, port and TLS
 *   name (idle ones close after {@linkcode IDLE_SOCKET_MS}); when a reused
 *   connection closes before any answer (the server timed it out just then),
 *   Deno's `node:http` sends the request once more on a new connection, to
 *   the same checked addresses, as browsers do.
 *
 * Differences from `fetch`: HTTP/1.1 only (no HTTP/2); `HTTP_PROXY` and
 * `HTTPS_PROXY` are not used; extra trusted CAs come from
 * `NODE_EXTRA_CA_CERTS`, not `DENO_CERT`; response headers are limited to
 * {@linkcode MAX_HEADER_BYTES}; a response with both `content-length` and
 * `transfer-encoding` is refused; a gzip body made of several members is
 * decoded whole (fetch stops after the first) and bytes after the gzip data
 * are an error (fetch ignores them); a brotli body cut short inside a
 * complete HTTP message is not detected (Deno's `node:zlib` brotli decoder
 * does not report it) while gzip and every HTTP-level truncation are.
 *
 * @module
 */
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import zlib from "node:zlib";
import type { LookupAddress, LookupOptions } from "node:dns";
import type { Readable } from "node:stream";
import { ipLiteral } from "./ip_ranges.ts";

/** What the guard hands its transport for one hop. */
export interface TransportRequest {
  /** HTTP method, already validated. */
  method: string;
  /** Request headers, already cleaned of hop-by-hop and routing headers. */
  headers: Headers;
  /** Request body, or `null`. */
  body: Uint8Array<ArrayBuffer> | null;
  /** Always `"manual"`: the guard follows redirects itself. */
  redirect: "manual";
  /** Aborts the exchange, body included. */
  signal: AbortSignal;
}

/** The part of a response the guard reads; a `fetch` `Response` has this shape. */
export interface TransportResponse {
  /** HTTP status code. */
  status: number;
  /** HTTP status text. */
  statusText: string;
  /** Response headers. */
  headers: Headers;
  /** The body, read on demand, or `null` when the response has none. */
  body: ReadableStream<Uint8Array> | null;
}

/**
 * Sends one request to `url` over a connection to one of `addresses`, the
 * addresses the guard checked for the URL's host. `fetch` itself fits this
 * type (it ignores `addresses`); tests inject such fakes.
 */
export type EgressTransport = (
  url: string,
  init: TransportRequest,
  addresses: readonly string[],
) => Promise<TransportResponse>;

/** Options of {@linkcode createPinnedTransport}. */
export interface PinnedTransportOptions {
  /** Extra PEM root certificates trusted for `https:` (tests use a private CA); default none. */
  caCerts?: readonly string[];
}

/** Largest response header block accepted, in bytes. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** How long an idle kept-alive connection stays open, in milliseconds. */
export const IDLE_SOCKET_MS = 4_000;

/** Methods Node sends without any body framing; every other bodyless request gets `content-length: 0`. */
const NO_BODY_FRAMING = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);
const NULL_BODY_STATUSES = new Set([204, 304]);
/** Where fetch's reason phrases (Rust's `http` crate) differ from `node:http`'s. */
const REASON_PHRASES: Record<number, string> = {
  203: "Non Authoritative Information",
  418: "I'm a teapot",
  509: "",
};

/**
 * Creates the transport the egress guard uses by default. Each transport has
 * its own keep-alive connection pools.
 *
 * @example
 * ```ts
 * const send = createPinnedTransport();
 * const res = await send("https://example.com/", {
 *   method: "GET",
 *   headers: new Headers(),
 *   body: null,
 *   redirect: "manual",
 *   signal: AbortSignal.timeout(5_000),
 * }, ["93.184.216.34"]);
 * ```
 */
export function createPinnedTransport(options: PinnedTransportOptions = {}): EgressTransport {
  const pools = {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" }),
  };
  const ca = options.caCerts?.length ? [...tls.rootCertificates, ...options.caCerts] : undefined;

  return (url, init, addresses) => {
    const target = new URL(url);
    return exchange(
      target,
      init,
      addresses,
      target.protocol === "https:" ? pools.https : pools.http,
      ca,
    );
  };
}

/** One request, on a pooled connection to one of `addresses`. */
function exchange(
  target: URL,
  init: TransportRequest,
  addresses: readonly string[],
  agent: http.Agent,
  ca: string[] | undefined,
): Promise<TransportResponse> {
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return Promise.reject(new TypeError(`unsupported URL scheme ${target.protocol}`));
  }
  const secure = target.protocol === "https:";
  const literal = ipLiteral(target.hostname);
  if (addresses.length === 0 || (literal !== null && !addresses.includes(literal))) {
    return Promise.reject(new TypeError(`no checked address to connect to for ${target.host}`));
  }
  const name = literal === null ? target.hostname : null;
  const headers = wireHeaders(target, init);
  const request: https.RequestOptions = {
    host: literal ?? target.hostname,
    port: Number(target.port) || (secure ? 443 : 80),
    method: init.method,
    path: `${target.pathname}${target.search}`,
    headers,
    agent,
    maxHeaderSize: MAX_HEADER_BYTES,
    ...(name === null ? {} : { lookup: pinnedLookup(name, addresses) }),
    ...(secure
      ? {
        rejectUnauthorized: true,
        ...(name === null ? {} : { servername: name.replace(/\.+$/, "") }),
        ...(ca ? { ca } : {}),
      }
      : {}),
  };
  const decode = headers["accept-encoding"].trim().toLowerCase() !== "identity";

  return new Promise((resolve, reject) => {
    const { signal } = init;
    if (signal.aborted) return reject(signal.reason);
    const req = (secure ? https : http).request(request);
    let answered = false;
    const onAbort = () => {
      req.destroy(asError(signal.reason));
      reject(signal.reason); // settles even when the request was already torn down
    };
    const release = () => signal.removeEventListener("abort", onAbort);
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => {
      if (answered) return; // from here on, errors reach the body stream
      release();
      reject(err);
    });
    req.on("upgrade", (_res: http.IncomingMessage, socket: { destroy(): void }) => {
      socket.destroy();
      release();
      reject(new Error("the server switched protocols (101), which fetch does not support"));
    });
    req.on("response", (res: http.IncomingMessage) => {
      answered = true;
      try {
        resolve(toResponse(res, init.method, decode, release));
      } catch (err) {
        release();
        res.destroy();
        reject(err);
      }
    });
    req.end(init.body ?? undefined);
  });
}

/** The headers sent on the wire: the app's, plus what `fetch` would add. */
function wireHeaders(target: URL, init: TransportRequest): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(init.headers);
  out["accept"] ??= "*/*";
  out["accept-language"] ??= "*";
  out["accept-encoding"] ??= "range" in out ? "identity" : "gzip,br";
  if (init.body !== null) out["content-length"] = String(init.body.byteLength);
  else if (!NO_BODY_FRAMING.has(init.method)) out["content-length"] = "0";
  out["host"] = target.host;
  return out;
}

/**
 * A `lookup` for `node:net` that answers `name` with the checked addresses
 * and refuses every other name, so the connection can only go where the
 * guard looked.
 */
function pinnedLookup(name: string, addresses: readonly string[]) {
  const entries: LookupAddress[] = [...new Set(addresses)].map((address) => ({
    address,
    family: address.includes(":") ? 6 : 4,
  }));
  return (
    hostname: string,
    options: LookupOptions,
    callback: (
      err: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    queueMicrotask(() => {
      const wanted = options.family === 4 || options.family === "IPv4"
        ? 4
        : options.family === 6 || options.family === "IPv6"
        ? 6
        : 0;
      const list = entries.filter((e) => wanted === 0 || e.family === wanted);
      if (hostname !== name || list.length === 0) {
        const err: NodeJS.ErrnoException = new Error(
          `${hostname} has no checked ${wanted ? `IPv${wanted} ` : ""}address to connect to`,
        );
        err.code = "ENOTFOUND";
        return callback(err, "");
      }
      if (options.all) callback(null, list);
      else callback(null, list[0].address, list[0].family);
    });
  };
}

function toResponse(
  res: http.IncomingMessage,
  method: string,
  decode: boolean,
  release: () => void,
): TransportResponse {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
  }
  const status = res.statusCode ?? 0;
  const statusText = REASON_PHRASES[status] ?? http.STATUS_CODES[status] ?? "";
  const base = { status, statusText, headers };
  if (method === "HEAD" || NULL_BODY_STATUSES.has(status)) {
    res.on("close", release);
    res.resume();
    return { ...base, body: null };
  }
  const coding = (headers.get("content-encoding") ?? "").trim().toLowerCase();
  const decoding = decode && (coding === "gzip" || coding === "br") ? coding : null;
  return { ...base, body: bodyStream(res, decoding, release) };
}

/**
 * The response body as a stream read on demand. With a coding, the bytes go
 * through a `node:zlib` decoder, which honours back-pressure (16 KiB pieces),
 * so a compression bomb is stopped by the reader's limit, not by memory. The
 * decoder is created with the first byte: an empty body stays empty.
 */
function bodyStream(
  res: http.IncomingMessage,
  coding: "gzip" | "br" | null,
  release: () => void,
): ReadableStream<Uint8Array> {
  let decoder: zlib.Gunzip | zlib.BrotliDecompress | null = null;
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        release();
        if (err === undefined) controller.close();
        else controller.error(err);
      };
      const deliver = (source: Readable) =>
        source.on("data", (chunk: Uint8Array) => {
          if (finished) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 1) <= 0) source.pause();
        });
      const truncated = () =>
        new Error("the connection closed before the response body was complete");
      if (coding === null) {
        deliver(res);
      } else {
        res.on("data", (chunk: Uint8Array) => {
          if (decoder === null) {
            decoder = coding === "gzip" ? zlib.createGunzip() : zlib.createBrotliDecompress();
            deliver(decoder);
            decoder.on("end", () => finish());
            decoder.on("error", finish);
          }
          if (!decoder.write(chunk)) {
            res.pause();
            decoder.once("drain", () => res.resume());
          }
        });
      }
      res.on("end", () => {
        if (!res.complete) finish(truncated());
        else if (decoder !== null) decoder.end();
        else finish();
      });
      res.on("close", () => {
        if (!res.complete) finish(truncated());
      });
      res.on("error", finish);
    },
    pull() {
      (decoder ?? res).resume();
    },
    cancel() {
      finished = true;
      release();
      decoder?.destroy();
      res.destroy();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
