/**
 * The HTTPS listener: TLS with a certificate per server name (SNI), asked
 * of the TLS service at each hello and swapped without a restart
 * (`sni_contexts.ts`), driving the same `HttpHandler` as the plain
 * listener (`server.ts`) through `node_exchange.ts`.
 *
 * Why `node:https` and not `Deno.serve`: over TLS `Deno.serve` takes one
 * certificate (no SNI choice, no swap while running) and stalled ~40 ms per
 * response on a kept-alive connection. `node:https` inside Deno has a
 * server-name callback and node's own connection limits; measured (wrk,
 * 2 KB body, 50 connections, same machine): ~29,000 requests/s kept alive,
 * ~2,500 handshakes/s, against ~60,000 and ~19,000 for the plain listener.
 * HTTP/2 (`node:http2`, ALPN h2) served 14,000–20,000 requests/s in the
 * same runs, so fazt offers HTTP/1.1 only.
 *
 * Every protection of the plain listener holds (see `ConnectionLimits` in
 * `listener.ts`), partly node's own, partly the shared sweep's:
 *
 * - **Connection cap** (node's `maxConnections`): counts accepted TCP
 *   connections, handshakes included; one beyond it is closed at once.
 * - **Handshake timeout** (node's `handshakeTimeout`): a connection that has
 *   not finished its TLS handshake in `handshakeTimeoutMs` (one that never
 *   sends a hello, too) is closed.
 * - **Header timeout** (node's `headersTimeout`): a request's headers must be
 *   complete within `headerTimeoutMs` of the handshake's end (the first
 *   request) or of the request's first byte (later ones); node answers 408
 *   and closes. Checked every `sweepIntervalMs`.
 * - **Idle timeout** (node's `keepAliveTimeout`): a kept-alive connection
 *   with no new request closes `idleTimeoutMs` after its last response was
 *   written (node adds a grace second for requests already on their way).
 * - **Body timeout** and **send timeout** (the sweep of
 *   `connection_sweep.ts`, as in the plain listener): a request body the
 *   handler waits for, or that must still arrive, stalls `bodyTimeoutMs` and
 *   the connection is cut; a response whose client takes no piece for
 *   `sendTimeoutMs` is cut. Every response is watched (this listener writes
 *   bodies itself, so watching costs nothing), not only those marked with
 *   `watchSend`; only time spent waiting for the client counts.
 * - **Request gate** (`request_gate.ts`): the same refusals as the plain
 *   listener (405 for `TRACE`/`TRACK`/`CONNECT`, 501 for other methods,
 *   400 for a bad `Host`), in fazt's JSON error shape.
 * - **Shutdown**: stops accepting, ends handshakes and idle connections at
 *   once, lets in-flight requests finish (moving uploads included), then
 *   closes their connections.
 *
 * Requests reach the handler with an `https://<Host><path>` URL (so cookies
 * become `Secure`, see `request_info.ts`) and the peer's address; every
 * response gets `Strict-Transport-Security` unless it sets one.
 *
 * @module
 */
import { createServer, type Server } from "node:https";
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { FaztError } from "../core/errors.ts";
import { errorResponse } from "./error_response.ts";
import type { ConnInfo } from "./request_info.ts";
import { refusal } from "./request_gate.ts";
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  handlerSlot,
  type Listener,
  sweepIntervalMs,
} from "./listener.ts";
import { type Connection, cutConnection, sweepConnections } from "./connection_sweep.ts";
import { abandonBody, declaresBody, trackBody, unreadBody } from "./tracked_body.ts";
import { incomingBody, incomingHeaders, sendResponse, targetPath } from "./node_exchange.ts";
import { type CertificateSource, sniContexts } from "./sni_contexts.ts";

/** The HTTPS listener's limits: the plain listener's and a handshake timeout. */
export interface TlsConnectionLimits extends ConnectionLimits {
  /**
   * Milliseconds from a connection's opening until its TLS handshake is
   * done; then it is closed (a client that never sends its hello, or
   * trickles it).
   */
  handshakeTimeoutMs: number;
}

/**
 * The defaults for {@linkcode TlsConnectionLimits}: the plain listener's,
 * and 10 s for a handshake (two round trips and some signing; 10 s leaves
 * room for a very slow link, like the header timeout).
 */
export const DEFAULT_TLS_CONNECTION_LIMITS: Readonly<TlsConnectionLimits> = Object.freeze({
  ...DEFAULT_CONNECTION_LIMITS,
  handshakeTimeoutMs: 10_000,
});

/**
 * The default `Strict-Transport-Security`: one year, this host only (no
 * `includeSubDomains`: a sibling name fazt does not serve may still need
 * plain HTTP; no `preload`: that is the owner's decision).
 */
export const DEFAULT_HSTS = "max-age=31536000";

/** Where and how to listen for HTTPS. */
export interface TlsListenOptions {
  /** The address to bind. */
  hostname: string;
  /** The port to bind (0 picks a free one). */
  port: number;
  /** Overrides for {@linkcode DEFAULT_TLS_CONNECTION_LIMITS} (tests use short timeouts). */
  limits?: Partial<TlsConnectionLimits>;
  /**
   * The certificate chain and key for a hello's server name (lowercase, no
   * trailing dot), or null to fail the handshake; asked at every hello
   * (`TlsService.certificateFor`). Contexts are cached by the pair's version.
   */
  certificate: CertificateSource;
  /**
   * The `Strict-Transport-Security` value added to every response that sets
   * none; null adds none. Default {@linkcode DEFAULT_HSTS}.
   */
  hsts?: string | null;
}

/**
 * A request whose `signal` is made only when asked for (most handlers never
 * ask) and aborts when the client leaves before its response is done.
 */
class NodeRequest extends Request {
  #aborter: AbortController | undefined;
  #aborted = false;

  override get signal(): AbortSignal {
    this.#aborter ??= new AbortController();
    if (this.#aborted) this.#aborter.abort();
    return this.#aborter.signal;
  }

  /** The client has gone. */
  abort(): void {
    this.#aborted = true;
    this.#aborter?.abort();
  }
}

/** A TLS connection as the sweep sees it, with the requests it has in flight. */
interface TlsConnection extends Connection {
  /** Requests whose responses are not yet done. */
  inflight: number;
}

/** The peer's address, with an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as IPv4. */
function peerAddress(socket: Socket): { transport: "tcp"; hostname: string; port: number } {
  const raw = socket.remoteAddress ?? "";
  const hostname = raw.startsWith("::ffff:") && raw.includes(".") ? raw.slice(7) : raw;
  return { transport: "tcp", hostname, port: socket.remotePort ?? 0 };
}

/**
 * `res` as raw HTTP/1.1 bytes, `extra` header fields added, that close the
 * connection (for refusals of requests node would not hand over).
 */
async function rawResponse(res: Response, extra: readonly string[]): Promise<Uint8Array> {
  const body = new Uint8Array(await res.arrayBuffer());
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? "Error"}\r\n`;
  for (const [name, value] of res.headers) head += `${name}: ${value}\r\n`;
  for (let i = 0; i < extra.length; i += 2) head += `${extra[i]}: ${extra[i + 1]}\r\n`;
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  const bytes = new TextEncoder().encode(head);
  const all = new Uint8Array(bytes.byteLength + body.byteLength);
  all.set(bytes);
  all.set(body, bytes.byteLength);
  return all;
}

/** Writes `res` on `socket` and closes it; without `res`, just closes it. */
function refuseOnSocket(
  socket: Socket,
  res: Response | undefined,
  extra: readonly string[],
): void {
  if (res === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  rawResponse(res, extra).then(
    (bytes) => socket.end(bytes, () => socket.destroy()),
    () => socket.destroy(),
  );
}

/**
 * Starts listening for HTTPS; resolves once bound (rejects when the address
 * cannot be bound). The handler is attached once the kernel is ready.
 */
export async function listenTls(options: TlsListenOptions): Promise<Listener> {
  const limits: TlsConnectionLimits = { ...DEFAULT_TLS_CONNECTION_LIMITS, ...options.limits };
  const hsts = options.hsts === undefined ? DEFAULT_HSTS : options.hsts;
  const slot = handlerSlot();
  const extraHeaders = hsts === null ? [] : ["strict-transport-security", hsts];
  const contextFor = sniContexts(options.certificate);
  const conns = new Map<Socket, TlsConnection>();
  /** TCP connections still in their handshake, by peer address and port. */
  const handshaking = new Map<string, Socket>();
  let stopping = false;

  const server: Server = createServer(
    {
      SNICallback: (name, done) => {
        contextFor(name).then(
          (context) =>
            done(
              context === null ? new Error(`No certificate for "${name}".`) : null,
              context ?? undefined,
            ),
          (err) => done(err instanceof Error ? err : new Error(String(err))),
        );
      },
      handshakeTimeout: limits.handshakeTimeoutMs,
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: 0, // uploads may take long; stalls are the sweep's
      keepAliveTimeout: limits.idleTimeoutMs,
      connectionsCheckingInterval: sweepIntervalMs(limits),
      requireHostHeader: false, // the request gate answers in fazt's shape
    },
  );
  server.maxConnections = limits.maxConnections;

  const peerKey = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
  server.on("connection", (tcp: Socket) => {
    if (stopping) return void tcp.destroy();
    const key = peerKey(tcp);
    handshaking.set(key, tcp);
    tcp.once("close", () => {
      if (handshaking.get(key) === tcp) handshaking.delete(key);
    });
  });
  server.on("secureConnection", (tls: TLSSocket) => {
    handshaking.delete(peerKey(tls));
    if (stopping) tls.destroy();
    else connectionOf(tls);
  });
  // Failed handshakes and requests node could not parse: no log (scanners
  // and probes make many); an unknown method gets the gate's 501, the rest
  // a bare status like node's own, unless a response is being written.
  server.on("clientError", (err: Error & { code?: string }, socket: Socket) => {
    if ((conns.get(socket)?.inflight ?? 0) > 0) return void socket.destroy();
    if (err.code === "HPE_INVALID_METHOD") {
      return refuseOnSocket(socket, refusal("", null), extraHeaders);
    }
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      return refuseOnSocket(socket, new Response(null, { status: 408 }), extraHeaders);
    }
    if (err.code?.startsWith("HPE_")) {
      const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
      const status = tooLarge ? 431 : 400;
      return refuseOnSocket(socket, new Response(null, { status }), extraHeaders);
    }
    socket.destroy();
  });
  server.on("connect", (req: IncomingMessage, socket: Socket) => {
    refuseOnSocket(
      socket,
      refusal(req.method ?? "CONNECT", req.headers.host ?? null),
      extraHeaders,
    );
  });

  function connectionOf(socket: Socket): TlsConnection {
    let c = conns.get(socket);
    if (c !== undefined) return c;
    const conn: TlsConnection = {
      deadline: Infinity, // node keeps the header and idle deadlines
      closing: false,
      bodies: new Set(),
      sending: null,
      inflight: 0,
      engine: {
        // Node ends a connection after its response once the server stopped.
        close: () => {
          if (conn.inflight === 0) socket.destroy();
        },
        cut: () => socket.destroy(),
      },
    };
    c = conn;
    conns.set(socket, c);
    socket.once("close", () => conns.delete(socket));
    return c;
  }

  function respond(
    c: TlsConnection,
    incoming: IncomingMessage,
    out: ServerResponse,
    res: Response,
  ): void {
    if (stopping) out.shouldKeepAlive = false;
    const extra = hsts !== null && !res.headers.has("strict-transport-security")
      ? extraHeaders
      : [];
    sendResponse(res, out, incoming.method === "HEAD", extra, {
      waiting: (progress) => c.sending = progress,
    }).catch(() => cutConnection(c));
  }

  function onRequest(incoming: IncomingMessage, out: ServerResponse): void {
    const socket = incoming.socket;
    const c = connectionOf(socket);
    c.inflight++;
    out.once("close", () => c.inflight--);
    const now = performance.now();
    let headers: Headers;
    try {
      headers = incomingHeaders(incoming);
    } catch {
      incoming.resume();
      const err = new FaztError("bad_request", "The request's headers are not valid HTTP.");
      return respond(c, incoming, out, errorResponse(err));
    }
    const method = incoming.method ?? "";
    const host = headers.get("host");
    const hasBody = declaresBody(headers);
    const untracked = () => {
      if (!hasBody) return;
      const unread = unreadBody(now);
      c.bodies.add(unread);
      const gone = () => c.bodies.delete(unread);
      incoming.once("end", gone);
      incoming.once("close", gone);
    };
    // After the response, nobody reads the rest of the body: node needs it
    // read before the next request.
    out.once("finish", () => {
      if (!incoming.complete) incoming.resume();
    });

    const refused = refusal(method, host);
    if (refused !== undefined) {
      untracked();
      incoming.resume();
      return respond(c, incoming, out, refused);
    }
    const path = targetPath(incoming.url ?? "");
    if (path === null) {
      untracked();
      incoming.resume();
      return respond(
        c,
        incoming,
        out,
        errorResponse(new FaztError("bad_request", "The request target must be a path.")),
      );
    }
    const url = `https://${host}${path}`;
    const info: ConnInfo = { remoteAddr: peerAddress(socket) };
    let req: NodeRequest;
    let settled: (() => void) | undefined;
    try {
      if (!hasBody || method === "GET" || method === "HEAD") {
        untracked();
        req = new NodeRequest(url, { method, headers });
      } else {
        const source = incomingBody(incoming);
        const { stream, state } = trackBody(source.stream, c);
        const gone = () => c.bodies.delete(state);
        incoming.once("end", gone);
        incoming.once("close", gone);
        out.once("finish", source.discard);
        settled = () => abandonBody(state, performance.now());
        req = new NodeRequest(
          url,
          { method, headers, body: stream, duplex: "half" } as RequestInit,
        );
      }
    } catch (err) {
      incoming.resume();
      return respond(c, incoming, out, errorResponse(err));
    }
    out.once("close", () => {
      if (!out.writableFinished) req.abort();
    });
    let res: Response | Promise<Response>;
    try {
      res = slot.dispatch(req, info);
    } catch (err) {
      res = errorResponse(err);
    }
    if (!(res instanceof Promise)) {
      settled?.();
      return respond(c, incoming, out, res);
    }
    res.then(
      (r) => {
        settled?.();
        respond(c, incoming, out, r);
      },
      (err) => {
        settled?.();
        respond(c, incoming, out, errorResponse(err));
      },
    );
  }
  server.on("request", onRequest);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.hostname, port: options.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => {}); // accept errors (out of descriptors): node retries

  const sweep = () => sweepConnections(conns.values(), performance.now(), stopping, limits);
  const sweeper = setInterval(sweep, sweepIntervalMs(limits));
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  const finished = closed.then(() => clearInterval(sweeper));

  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("The HTTPS listener has no TCP address.");
  }
  let stopped: Promise<void> | undefined;
  return {
    hostname: address.address,
    port: address.port,
    setHandler: slot.set,
    shutdown: () =>
      stopped ??= (async () => {
        stopping = true;
        server.close(); // stops accepting; closes idle connections
        for (const tcp of handshaking.values()) tcp.destroy();
        sweep(); // ends connections with nothing in flight; the rest after their responses
        await finished;
      })(),
    finished,
  };
}
