/**
 * TLS for egress tests on loopback: a private CA made with `openssl` (present
 * on Debian), server certificates it issues for chosen names or addresses,
 * and an HTTPS or HTTP server on a chosen loopback address that records what
 * each request looked like on arrival (SNI, Host, the local address it came
 * in on).
 *
 * @module
 */
import http from "node:http";
import https from "node:https";
import { createTestCa } from "../../../_helpers/openssl.ts";

/** A private certificate authority. */
export interface TestCa {
  /** The CA certificate, PEM. */
  caPem: string;
  /** Issues a server certificate for `sans`, e.g. `["DNS:rebind.test", "IP:127.0.0.2"]`. */
  issue(sans: string[]): Promise<{ cert: string; key: string }>;
}

let shared: Promise<TestCa> | null = null;

/** The test CA, made once per test file (ECDSA P-256, from `tests/_helpers/openssl.ts`). */
export function testCa(): Promise<TestCa> {
  shared ??= createTestCa("fazt egress test CA").then((ca) => ({
    caPem: ca.caPem,
    async issue(sans) {
      const leaf = await ca.issue({ sans });
      return { cert: leaf.certPem, key: leaf.keyPem };
    },
  }));
  return shared;
}

/** What a request looked like when it reached a {@linkcode startRecordingServer}. */
export interface Arrival {
  /** The local address the connection came in on. */
  localAddress: string;
  /** The TLS server name the client sent (SNI), or `null` over plain HTTP or without SNI. */
  sni: string | null;
  /** Method and path. */
  method: string;
  path: string;
  /** Request headers, names lower-cased, in arrival order. */
  headers: [string, string][];
}

/** A loopback server that records every arrival and answers with `handler`. */
export interface RecordingServer {
  port: number;
  arrivals: Arrival[];
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Starts an HTTP (or, with `tls`, HTTPS) server on `hostname` and `port`
 * (0 for any free port).
 */
export function startRecordingServer(
  hostname: string,
  port: number,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  tls?: { cert: string; key: string },
): Promise<RecordingServer> {
  const arrivals: Arrival[] = [];
  let connections = 0;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const raw = req.rawHeaders;
    const headers: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) headers.push([raw[i].toLowerCase(), raw[i + 1]]);
    const sni = (req.socket as { servername?: string | false }).servername;
    arrivals.push({
      localAddress: req.socket.localAddress ?? "",
      sni: typeof sni === "string" && sni !== "" ? sni : null,
      method: req.method ?? "",
      path: req.url ?? "",
      headers,
    });
    handler(req, res);
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  server.on(tls ? "secureConnection" : "connection", () => connections++);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      resolve({
        port: (server.address() as { port: number }).port,
        arrivals,
        connections: () => connections,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A listener that must never be reached: it counts and drops connections. */
export interface Tripwire {
  connections(): number;
  close(): Promise<void>;
}

/** Listens on `hostname:port`; `null` when that port is taken there. */
export function startTripwire(hostname: string, port: number): Tripwire | null {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname, port });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return null;
    throw err;
  }
  let count = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      count++;
      conn.close();
    }
  })().catch(() => {});
  return {
    connections: () => count,
    close: async () => {
      listener.close();
      await accepting;
    },
  };
}

/**
 * Starts a recording server on `hostname` and a tripwire on the same port of
 * `trapHost`, retrying with another port when the tripwire's is taken: the
 * setup of a rebinding test, where a second lookup would reach the trap.
 */
export async function startPair(
  hostname: string,
  trapHost: string,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  tls?: { cert: string; key: string },
): Promise<{ server: RecordingServer; trap: Tripwire }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = await startRecordingServer(hostname, 0, handler, tls);
    const trap = startTripwire(trapHost, server.port);
    if (trap !== null) return { server, trap };
    await server.close();
  }
  throw new Error(`no port free on both ${hostname} and ${trapHost}`);
}
