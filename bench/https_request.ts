/**
 * HTTPS requests to a server on 127.0.0.1 under any host name: `node:https`
 * with the name as SNI and `Host`, the chain verified against the
 * benchmark's CA (never with verification off), and a keep-alive agent so
 * repeated requests reuse one connection (as a browser tab does).
 *
 * @module
 */
import { Agent, request } from "node:https";

/** Where and how to send HTTPS requests. */
export interface HttpsTarget {
  /** The TLS port on 127.0.0.1. */
  port: number;
  /** The host name: SNI, certificate check and `Host` header. */
  servername: string;
  /** The CA certificate (PEM text) to verify the chain against. */
  ca: string;
}

/** The answer to one request. */
export interface HttpsAnswer {
  /** HTTP status. */
  status: number;
  /** Response headers (lowercase names). */
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes. */
  body: Uint8Array;
}

/** A keep-alive client for one target. */
export interface HttpsClient {
  /** Sends `GET path` (extra headers may replace `Host`) and reads the whole answer. */
  get(path: string, headers?: Record<string, string>): Promise<HttpsAnswer>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** A client that keeps one connection alive to `target`. */
export function httpsClient(target: HttpsTarget): HttpsClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    get: (path, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = request({
          host: "127.0.0.1",
          port: target.port,
          servername: target.servername,
          ca: target.ca,
          agent,
          path,
          method: "GET",
          headers: { host: `${target.servername}:${target.port}`, ...headers },
        }, (res) => {
          const chunks: Uint8Array[] = [];
          res.on("data", (c: Uint8Array) => chunks.push(c));
          res.on("end", () => {
            const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
            let at = 0;
            for (const c of chunks) {
              body.set(c, at);
              at += c.length;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
          res.on("error", reject);
        });
        req.on("error", reject);
        req.setTimeout(30_000, () => req.destroy(new Error(`${path}: no answer within 30 s`)));
        req.end();
      }),
    close: () => agent.destroy(),
  };
}
