/**
 * The egress guard: the kernel performs an app's `fetch` on its behalf and
 * lets it reach public internet hosts only, never this server, its network
 * or the cloud metadata and platform services (server-side request forgery).
 *
 * For every hop of a request (the first URL and each redirect target) the
 * guard:
 *
 * 1. allows only `http:` and `https:` URLs without credentials in them, and
 *    refuses the fetch standard's blocked ports (SMTP, SSH, IRC, …; see
 *    `blocked_ports.ts`);
 * 2. refuses `localhost` and `*.localhost` names without resolving them;
 * 3. resolves the host (IP literals are used as is; the WHATWG URL parser has
 *    already turned forms like `http://2130706433/` and `http://0x7f.1/` into
 *    `127.0.0.1`) and refuses the hop if ANY resolved address is not public
 *    (see {@linkcode isPublicAddress} and the tables in `ip_ranges.ts`);
 * 4. sends the request to one of exactly those checked addresses, never
 *    resolving the name again (`pinned_transport.ts`): a DNS answer that
 *    changes between the check and the connection (DNS rebinding) cannot
 *    redirect it. Over `https:` the name is still the TLS server name and the
 *    certificate must be valid for the name, not for the address;
 * 5. does not follow redirects in the transport, so the next hop goes
 *    through all of the above again before it is fetched.
 *
 * Request headers are cleaned of hop-by-hop and routing headers (`host`,
 * `connection`, `keep-alive`, `proxy-*`, `te`, `trailer`, `transfer-encoding`,
 * `upgrade`, `expect`, `http2-settings` and any named in `connection`);
 * `content-length` is recomputed by the transport. Nothing identifying is
 * added except `user-agent: fazt-app` when the app sets no user agent. On a
 * redirect to another origin, `authorization` and `cookie` are dropped so
 * credentials meant for one host are not handed to another. The whole
 * exchange, redirects and body included, has one deadline, and both bodies
 * have byte limits; the response body is streamed (decoded from gzip or br as
 * `fetch` would) and abandoned as soon as it passes its limit.
 *
 * **What this does not cover, stated honestly.** The guard judges addresses,
 * not networks it cannot see: this server's own public addresses (and
 * anything else numbered in public space that only this host can reach, such
 * as a service a cloud firewall hides from the internet but not from the
 * host itself) are public addresses and can be fetched; bind internal
 * services to loopback or private addresses, which are refused. Names are
 * resolved with `Deno.resolveDns` (the nameservers of `/etc/resolv.conf`, not
 * `/etc/hosts`), and `HTTP_PROXY`/`HTTPS_PROXY` are not used.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import { MIB } from "../../core/format.ts";
import { type AddressRange, classifyAddress, ipLiteral, parseIPv4 } from "./ip_ranges.ts";
import { isBlockedPort } from "./blocked_ports.ts";
import {
  createPinnedTransport,
  type EgressTransport,
  type PinnedTransport,
  type TransportResponse,
} from "./pinned_transport.ts";

export { isPublicAddress } from "./ip_ranges.ts";
export type { EgressTransport, TransportRequest, TransportResponse } from "./pinned_transport.ts";

/** A request an app asks the kernel to send. */
export interface EgressRequest {
  /** Absolute `http:` or `https:` URL. */
  url: string;
  /** HTTP method; defaults to `GET`. */
  method?: string;
  /** Request headers as name/value pairs. */
  headers?: [string, string][];
  /** Request body; not allowed on `GET` or `HEAD`. */
  body?: Uint8Array | null;
}

/** The response handed back to the app, fully buffered. */
export interface EgressResponse {
  /** HTTP status code. */
  status: number;
  /** HTTP status text. */
  statusText: string;
  /** Response headers as name/value pairs. */
  headers: [string, string][];
  /** The whole response body. */
  body: Uint8Array;
  /** The URL of the final hop. */
  url: string;
  /** True when at least one redirect was followed. */
  redirected: boolean;
}

/** Limits and injectable dependencies of {@linkcode createEgressGuard}. */
export interface EgressOptions {
  /** Deadline for the whole exchange, redirects and body included; default 10 000 ms. */
  timeoutMs?: number;
  /** Largest response body accepted; default 10 MiB. */
  maxResponseBytes?: number;
  /** Largest request body accepted; default 10 MiB. */
  maxRequestBytes?: number;
  /** Most redirects followed; default 5. */
  maxRedirects?: number;
  /**
   * Resolves a host name to IP addresses. Default: `Deno.resolveDns` A and
   * AAAA (either may fail), IP literals returned as is. The signal, when
   * given, aborts at the deadline.
   */
  resolve?: (host: string, signal?: AbortSignal) => Promise<string[]>;
  /**
   * The transport: default {@linkcode createPinnedTransport}, which connects
   * only to the addresses the guard checked. It receives them as its third
   * argument; tests inject fakes (`fetch`-shaped functions fit and ignore it).
   */
  fetch?: EgressTransport;
  /** Root certificates (PEM) the default transport trusts besides the default ones (tests). */
  caCerts?: readonly string[];
  /**
   * Test seam, never set by the kernel: these loopback addresses count as
   * public, so a server on `127.0.0.x` can stand in for a public host in
   * tests. Only IPv4 loopback addresses (`127.0.0.0/8`) are accepted;
   * anything else throws, so even a misuse cannot open private networks or
   * metadata services.
   */
  allowLoopbackForTests?: readonly string[];
}

/** A guarded fetch, created by {@linkcode createEgressGuard}. */
export interface EgressGuard {
  /**
   * Sends `req` if, and only if, every hop goes to a public internet host.
   * Throws a `FaztError`: `forbidden` for a refused destination,
   * `payload_too_large` for a body over its limit, `unavailable` for DNS,
   * network, timeout or redirect failures, `invalid_input` for a malformed
   * request.
   */
  fetch(req: EgressRequest, signal?: AbortSignal): Promise<EgressResponse>;
  /** Closes the default transport's idle kept-alive connections (tests; the kernel lets the process end). */
  close(): void;
}

const PUBLIC_ONLY = "apps may only reach public internet hosts.";
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const HOP_BY_HOP = new Set([
  "host",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "expect",
  "http2-settings",
]);
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location"];
const NORMALISED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
const FORBIDDEN_METHODS = ["CONNECT", "TRACE", "TRACK"];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The URL as shown in messages and details: scheme, host and path only, so
 * credentials and query strings (which often hold API keys) are never echoed
 * into errors or logs.
 */
function displayUrl(url: URL): string {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `a ${url.protocol} URL`;
  const path = url.pathname.length > 200 ? `${url.pathname.slice(0, 200)}…` : url.pathname;
  return `${url.protocol}//${url.host}${path}`;
}

/** Resolves A and AAAA records with `Deno.resolveDns`; IP literals are returned as is. */
async function defaultResolve(host: string, signal?: AbortSignal): Promise<string[]> {
  const literal = ipLiteral(host);
  if (literal !== null) return [literal];
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  if (a.status === "rejected" && aaaa.status === "rejected") throw a.reason;
  return [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** {@linkcode classifyAddress}, with the test seam's loopback addresses counted as public. */
function classifierFor(
  allowed: readonly string[] | undefined,
): (ip: string) => AddressRange | null {
  if (allowed === undefined || allowed.length === 0) return classifyAddress;
  for (const ip of allowed) {
    if (parseIPv4(ip) === null || classifyAddress(ip)?.range !== "loopback") {
      throw new Error(`allowLoopbackForTests accepts 127.0.0.0/8 addresses only, not ${ip}`);
    }
  }
  const public_ = new Set(allowed);
  return (ip) => public_.has(ip) ? null : classifyAddress(ip);
}

function refused(url: URL, why: string, details: Record<string, unknown>): FaztError {
  const shown = displayUrl(url);
  return new FaztError("forbidden", `fetch to ${shown} refused: ${why}; ${PUBLIC_ONLY}`, {
    details: { url: shown, ...details },
  });
}

function normaliseMethod(method: string | undefined): string {
  const raw = method ?? "GET";
  if (!TOKEN.test(raw)) {
    throw new FaztError(
      "invalid_input",
      `fetch method "${
        raw.slice(0, 40)
      }" is not a valid HTTP method. Use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.`,
      { details: { method: raw.slice(0, 40), reason: "invalid_method" } },
    );
  }
  const upper = raw.toUpperCase();
  if (FORBIDDEN_METHODS.includes(upper)) {
    throw new FaztError(
      "invalid_input",
      `fetch method ${upper} is not allowed. Use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.`,
      { details: { method: upper, reason: "method_not_allowed" } },
    );
  }
  return NORMALISED_METHODS.includes(upper) ? upper : raw;
}

function cleanHeaders(pairs: [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of pairs) {
    try {
      headers.append(name, value);
    } catch (err) {
      throw new FaztError(
        "invalid_input",
        `fetch header "${
          String(name).slice(0, 60)
        }" has an invalid name or value. Header names are tokens and values may not contain line breaks.`,
        { details: { header: String(name).slice(0, 60), reason: "invalid_header" }, cause: err },
      );
    }
  }
  const named = (headers.get("connection") ?? "").split(",").map((t) => t.trim().toLowerCase());
  for (const name of [...headers.keys()]) {
    if (HOP_BY_HOP.has(name) || name.startsWith("proxy-") || named.includes(name)) {
      headers.delete(name);
    }
  }
  if (!headers.has("user-agent")) headers.set("user-agent", "fazt-app");
  return headers;
}

/**
 * Creates the guarded fetch the kernel performs for apps.
 *
 * @example
 * ```ts
 * const guard = createEgressGuard({ timeoutMs: 5_000 });
 * const res = await guard.fetch({ url: "https://example.com/" });
 * console.log(res.status, new TextDecoder().decode(res.body));
 * ```
 */
export function createEgressGuard(options: EgressOptions = {}): EgressGuard {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * MIB;
  const maxRequestBytes = options.maxRequestBytes ?? 10 * MIB;
  const maxRedirects = options.maxRedirects ?? 5;
  const resolve = options.resolve ?? defaultResolve;
  let pinned: PinnedTransport | null = null;
  const transport = options.fetch ?? (pinned = createPinnedTransport({ caCerts: options.caCerts }));
  const classify = classifierFor(options.allowLoopbackForTests);

  /**
   * Throws unless `url` is an http(s) URL whose host is public; returns the
   * checked addresses, the only ones the transport may connect to.
   */
  async function checkDestination(url: URL, signal: AbortSignal): Promise<readonly string[]> {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw refused(url, `only http: and https: URLs are allowed, not ${url.protocol}`, {
        reason: "unsupported_scheme",
        scheme: url.protocol,
      });
    }
    if (url.username !== "" || url.password !== "") {
      throw refused(
        url,
        "the URL contains credentials (user:password@); send them in an Authorization header instead",
        { reason: "credentials_in_url" },
      );
    }
    if (isBlockedPort(url)) {
      throw new FaztError(
        "forbidden",
        `fetch to ${
          displayUrl(url)
        } refused: port ${url.port} belongs to a protocol other than HTTP (mail, SSH, IRC and the like), and the fetch standard blocks it. Use the service's HTTP port.`,
        { details: { url: displayUrl(url), reason: "blocked_port", port: Number(url.port) } },
      );
    }
    const host = url.hostname;
    const literal = ipLiteral(host);
    if (literal !== null) {
      const range = classify(literal);
      if (range !== null) {
        throw refused(url, `${literal} is ${range.description}`, {
          address: literal,
          reason: "private_address",
          range: range.range,
        });
      }
      return [literal];
    }
    const name = host.replace(/\.+$/, "").toLowerCase();
    if (name === "" || name === "localhost" || name.endsWith(".localhost")) {
      throw refused(url, `${host || "an empty host"} always means this server`, {
        host,
        reason: "local_name",
      });
    }
    let addresses: string[];
    try {
      addresses = await raceAbort(resolve(host, signal), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new FaztError(
        "unavailable",
        `fetch to ${
          displayUrl(url)
        } failed: the host name ${host} could not be resolved. Check the spelling of the host, or try again later if its DNS is down.`,
        { details: { url: displayUrl(url), host, reason: "dns_failed" }, cause: err },
      );
    }
    if (addresses.length === 0) {
      throw new FaztError(
        "unavailable",
        `fetch to ${
          displayUrl(url)
        } failed: the host name ${host} has no IPv4 or IPv6 address. Check the spelling of the host.`,
        { details: { url: displayUrl(url), host, reason: "dns_failed" } },
      );
    }
    for (const address of addresses) {
      const range = classify(address);
      if (range !== null) {
        throw refused(url, `${host} resolves to ${address}, ${range.description}`, {
          host,
          address,
          reason: "private_address",
          range: range.range,
        });
      }
    }
    return addresses;
  }

  /** Reads the body, abandoning it as soon as it passes the limit. */
  async function readBody(
    res: TransportResponse,
    url: URL,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const tooLarge = () =>
      new FaztError(
        "payload_too_large",
        `fetch to ${
          displayUrl(url)
        } failed: the response body is larger than the limit of ${maxResponseBytes} bytes. Request a smaller resource (for example with a Range header or paging).`,
        {
          details: { url: displayUrl(url), reason: "response_too_large", limit: maxResponseBytes },
        },
      );
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared > maxResponseBytes) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    if (res.body === null) return new Uint8Array(0);
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      while (true) {
        const { done, value } = await raceAbort(reader.read(), signal);
        if (done) break;
        total += value.byteLength;
        if (total > maxResponseBytes) throw tooLarge();
        chunks.push(value);
      }
    } catch (err) {
      reader.cancel().catch(() => {});
      throw err;
    }
    reader.releaseLock();
    const body = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return body;
  }

  async function guardedFetch(
    req: EgressRequest,
    signal: AbortSignal,
    hop: { shown: string },
  ): Promise<EgressResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch (err) {
      throw new FaztError(
        "invalid_input",
        `fetch URL "${
          String(req.url).slice(0, 200)
        }" is not a valid absolute URL. Use a full URL such as https://example.com/path.`,
        { details: { reason: "invalid_url" }, cause: err },
      );
    }
    let method = normaliseMethod(req.method);
    const headers = cleanHeaders(req.headers ?? []);
    let body: Uint8Array<ArrayBuffer> | null = null;
    if (req.body !== undefined && req.body !== null) {
      if (req.body.byteLength > maxRequestBytes) {
        throw new FaztError(
          "payload_too_large",
          `fetch to ${
            displayUrl(url)
          } refused: the request body is ${req.body.byteLength} bytes, over the limit of ${maxRequestBytes} bytes. Send less data per request.`,
          {
            details: {
              url: displayUrl(url),
              reason: "request_too_large",
              limit: maxRequestBytes,
              size: req.body.byteLength,
            },
          },
        );
      }
      if (method === "GET" || method === "HEAD") {
        throw new FaztError(
          "invalid_input",
          `fetch to ${
            displayUrl(url)
          } refused: a ${method} request cannot have a body. Use POST or PUT to send data.`,
          { details: { url: displayUrl(url), reason: "body_not_allowed", method } },
        );
      }
      body = new Uint8Array(req.body); // a snapshot, so the app cannot change it mid-flight
    }

    let redirects = 0;
    while (true) {
      hop.shown = displayUrl(url);
      const addresses = await checkDestination(url, signal);
      const res = await raceAbort(
        transport(url.href, { method, headers, body, redirect: "manual", signal }, addresses),
        signal,
      );
      const location = res.headers.get("location");
      if (!REDIRECT_STATUSES.has(res.status) || location === null) {
        const responseBody = await readBody(res, url, signal);
        return {
          status: res.status,
          statusText: res.statusText,
          headers: [...res.headers],
          body: responseBody,
          url: url.href,
          redirected: redirects > 0,
        };
      }
      await res.body?.cancel().catch(() => {});
      if (redirects >= maxRedirects) {
        throw new FaztError(
          "unavailable",
          `fetch to ${
            displayUrl(url)
          } failed: more than ${maxRedirects} redirects. The server may be stuck in a redirect loop; fetch the final URL directly.`,
          { details: { url: displayUrl(url), reason: "too_many_redirects", limit: maxRedirects } },
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (err) {
        throw new FaztError(
          "unavailable",
          `fetch to ${
            displayUrl(url)
          } failed: the server redirected to an invalid URL. Ask the server's owner to fix its Location header.`,
          { details: { url: displayUrl(url), reason: "bad_redirect" }, cause: err },
        );
      }
      redirects++;
      const toGet = (res.status === 303 && method !== "HEAD") ||
        ((res.status === 301 || res.status === 302) && method === "POST");
      if (toGet) {
        method = "GET";
        body = null;
        for (const name of BODY_HEADERS) headers.delete(name);
      }
      if (next.origin !== url.origin) {
        headers.delete("authorization");
        headers.delete("cookie");
      }
      url = next;
    }
  }

  return {
    close() {
      pinned?.close();
    },
    async fetch(req: EgressRequest, signal?: AbortSignal): Promise<EgressResponse> {
      const hop = { shown: safeDisplay(req.url) };
      const controller = new AbortController();
      const timer = setTimeout(() => {
        controller.abort(
          new FaztError(
            "unavailable",
            `fetch to ${hop.shown} failed: no complete response within ${timeoutMs} ms. The host may be slow or unreachable; try again later.`,
            { details: { url: hop.shown, reason: "timeout", timeoutMs } },
          ),
        );
      }, timeoutMs);
      const onCallerAbort = () =>
        controller.abort(
          new FaztError(
            "unavailable",
            `fetch to ${hop.shown} was cancelled before it finished.`,
            { details: { url: hop.shown, reason: "cancelled" }, cause: signal?.reason },
          ),
        );
      if (signal?.aborted) onCallerAbort();
      else signal?.addEventListener("abort", onCallerAbort, { once: true });
      try {
        return await guardedFetch(req, controller.signal, hop);
      } catch (err) {
        if (err instanceof FaztError) throw err;
        if (controller.signal.aborted && controller.signal.reason instanceof FaztError) {
          throw controller.signal.reason;
        }
        throw new FaztError(
          "unavailable",
          `fetch to ${hop.shown} failed: the connection could not be made or broke off (DNS, TCP or TLS error). Check that the host is up and its certificate is valid, then try again.`,
          { details: { url: hop.shown, reason: "network_error" }, cause: err },
        );
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onCallerAbort);
      }
    },
  };
}

function safeDisplay(raw: string): string {
  try {
    return displayUrl(new URL(raw));
  } catch {
    return "an invalid URL";
  }
}
