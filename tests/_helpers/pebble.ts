/**
 * A real ACME CA for tests, offline: Debian's `pebble` with
 * `pebble-challtestsrv` as its DNS server (every name resolves to
 * 127.0.0.1), so pebble validates HTTP-01 challenges against a listener on
 * loopback at the port the caller names. Also an HTTPS client that sends a
 * chosen SNI to 127.0.0.1 and verifies the chain against a given CA.
 *
 * @module
 */
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { join } from "node:path";
import { createTestCa } from "./openssl.ts";

/** Options for {@linkcode startPebble}. */
export interface PebbleOptions {
  /** The port pebble sends HTTP-01 validation requests to on 127.0.0.1 (the HTTP listener's). */
  httpPort: number;
  /** Lifetime of the certificates pebble issues, in seconds (pebble's default: about 5 years). */
  certificateValidityPeriod?: number;
  /** Percentage of good nonces pebble rejects as `badNonce` (default 0). */
  nonceRejectPercent?: number;
}

/** A running pebble and its DNS server. */
export interface Pebble {
  /** The ACME directory URL (`https://127.0.0.1:<port>/dir`). */
  directoryUrl: string;
  /** The CA of pebble's own HTTPS listener: what an ACME client must trust to talk to it. */
  acmeCaPem: string;
  /** The same CA in a file (for `--acme-ca FILE`); removed by `stop()`. */
  acmeCaFile: string;
  /** Pebble's issuing root (made fresh at each start): what a TLS client trusts to verify issued certificates. */
  rootPem: string;
  /** The intermediate that signs the certificates (sent in the chain pebble issues). */
  intermediatePem: string;
  /** How many new orders pebble has received (counted in its log). */
  orders(): Promise<number>;
  /** How many newAccount requests pebble has received (registrations and look-ups). */
  accountRequests(): Promise<number>;
  /** Pebble's log so far, for failure messages. */
  log(): Promise<string>;
  /** Makes the DNS server answer `host` with `ip` (e.g. an address nothing listens on, so validation fails). */
  resolve(host: string, ip: string): Promise<void>;
  /** Makes `host` resolve to 127.0.0.1 again. */
  unresolve(host: string): Promise<void>;
  /** Stops both processes and removes their files. */
  stop(): Promise<void>;
}

/** A throwaway CA and a listener certificate for 127.0.0.1 and localhost in `dir`; returns the CA PEM. */
async function listenerCertificate(dir: string): Promise<string> {
  const ca = await createTestCa("pebble listener test CA");
  try {
    const leaf = await ca.issue({
      sans: ["IP:127.0.0.1", "DNS:localhost"],
      commonName: "localhost",
    });
    await Deno.writeTextFile(join(dir, "listener.pem"), leaf.certPem);
    await Deno.writeTextFile(join(dir, "listener.key"), leaf.keyPem);
    await Deno.writeTextFile(join(dir, "acme-ca.pem"), ca.caPem);
    return ca.caPem;
  } finally {
    await ca.remove();
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Runs `command` with its output appended to `logFile` by the shell (so no
 * pipe is read for the test's whole life) and the given environment.
 */
function spawnLogged(
  command: string[],
  logFile: string,
  env: Record<string, string>,
  cwd: string,
): Deno.ChildProcess {
  return new Deno.Command("/bin/sh", {
    args: ["-c", 'log="$0"; exec "$@" >>"$log" 2>&1', logFile, ...command],
    cwd,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await child.status;
}

async function countLines(file: string, pattern: RegExp): Promise<number> {
  const text = await Deno.readTextFile(file);
  return text.split("\n").filter((line) => pattern.test(line)).length;
}

async function attempt(dir: string, options: PebbleOptions, acmeCaPem: string): Promise<Pebble> {
  const dnsPort = freePort();
  const acmePort = freePort();
  const managementPort = freePort();
  const dnsManagementPort = freePort();
  const dnsLog = join(dir, "challtestsrv.log");
  const pebbleLog = join(dir, "pebble.log");
  const dns = spawnLogged(
    [
      "pebble-challtestsrv",
      "-defaultIPv4",
      "127.0.0.1",
      "-defaultIPv6",
      "",
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `127.0.0.1:${dnsManagementPort}`,
    ],
    dnsLog,
    {},
    dir,
  );
  await Deno.writeTextFile(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: "listener.pem",
        privateKey: "listener.key",
        httpPort: options.httpPort,
        tlsPort: freePort(),
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...(options.certificateValidityPeriod === undefined
          ? {}
          : { certificateValidityPeriod: options.certificateValidityPeriod }),
      },
    }),
  );
  const pebble = spawnLogged(
    ["pebble", "-config", "pebble.json", "-dnsserver", `127.0.0.1:${dnsPort}`],
    pebbleLog,
    {
      // No random 0–15 s sleeps before validation; reject no good nonce unless
      // asked; never reuse an earlier authorization (every order proves its challenge).
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
      PEBBLE_AUTHZREUSE: "0",
    },
    dir,
  );
  const exited = { pebble: false, dns: false };
  pebble.status.then(() => exited.pebble = true);
  dns.status.then(() => exited.dns = true);
  const stopBoth = async () => {
    await Promise.all([stopProcess(pebble), stopProcess(dns)]);
  };
  const client = Deno.createHttpClient({ caCerts: [acmeCaPem] });
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const management = `https://127.0.0.1:${managementPort}`;
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exited.pebble || exited.dns) {
        throw new Error(
          `pebble or its DNS server stopped at start:\n${await Deno.readTextFile(
            pebbleLog,
          )}\n${await Deno
            .readTextFile(dnsLog)}`,
        );
      }
      const dnsUp = await Deno.connect({ hostname: "127.0.0.1", port: dnsPort }).then(
        (c) => (c.close(), true),
        () => false,
      );
      const acmeUp = dnsUp &&
        await fetch(directoryUrl, { client }).then(
          async (r) => (await r.body?.cancel(), r.ok),
          () => false,
        );
      if (acmeUp) break;
      if (Date.now() > deadline) throw new Error("pebble did not start within 10 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const get = async (path: string) => {
      const res = await fetch(`${management}${path}`, { client });
      const text = await res.text();
      if (!res.ok) throw new Error(`pebble ${path}: ${res.status} ${text}`);
      return text;
    };
    const rootPem = await get("/roots/0");
    const intermediatePem = await get("/intermediates/0");
    return {
      directoryUrl,
      acmeCaPem,
      acmeCaFile: join(dir, "acme-ca.pem"),
      rootPem,
      intermediatePem,
      orders: () => countLines(pebbleLog, /POST \/order-plz\b/),
      accountRequests: () => countLines(pebbleLog, /POST \/sign-me-up\b/),
      log: () => Deno.readTextFile(pebbleLog),
      resolve: (host, ip) =>
        dnsCommand(dnsManagementPort, "/add-a", { host: `${host}.`, addresses: [ip] }),
      unresolve: (host) => dnsCommand(dnsManagementPort, "/clear-a", { host: `${host}.` }),
      async stop() {
        await stopBoth();
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (err) {
    await stopBoth();
    throw err;
  } finally {
    client.close();
  }
}

/** Sends one command to pebble-challtestsrv's management API (plain HTTP). */
async function dnsCommand(port: number, path: string, body: unknown): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`pebble-challtestsrv ${path}: ${res.status} ${text}`);
}

/**
 * Starts pebble and its DNS server on free loopback ports and waits until
 * the directory answers (a port taken between choosing and binding it
 * means one more try).
 */
export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-pebble-" });
  try {
    const acmeCaPem = await listenerCertificate(dir);
    for (let tries = 1;; tries++) {
      try {
        return await attempt(dir, options, acmeCaPem);
      } catch (err) {
        if (tries === 3) throw err;
      }
    }
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
}

/** What {@linkcode httpsRequest} received. */
export interface HttpsAnswer {
  /** HTTP status. */
  status: number;
  /** Response headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The body as text. */
  body: string;
  /** The certificate the server presented (its leaf). */
  peer: {
    /** Serial number, upper-case hex. */
    serialNumber: string;
    /** Expiry, as OpenSSL prints it. */
    validTo: string;
    /** SHA-256 fingerprint (colon-separated hex). */
    fingerprint256: string;
    /** The subjectAltName extension as OpenSSL prints it (`DNS:a, DNS:b`). */
    subjectaltname: string;
  };
}

/** Options for {@linkcode httpsRequest}. */
export interface HttpsRequestOptions {
  /** Port on 127.0.0.1. */
  port: number;
  /** The TLS server name (SNI) and, unless `host` says otherwise, the Host header. */
  servername: string;
  /** The CA(s) the server's chain must verify against (verification is always on). */
  ca: string | string[];
  /** Path (default `/`). */
  path?: string;
  /** Host header, when it should differ from the server name. */
  host?: string;
  /** Method (default GET). */
  method?: string;
}

/**
 * One HTTPS request to 127.0.0.1 with a chosen SNI, on a fresh connection,
 * verifying the server's chain and name against `ca`.
 */
export function httpsRequest(options: HttpsRequestOptions): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1",
      port: options.port,
      servername: options.servername,
      ca: options.ca,
      path: options.path ?? "/",
      method: options.method ?? "GET",
      headers: { host: options.host ?? options.servername },
      agent: false,
      rejectUnauthorized: true,
    }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          peer: {
            serialNumber: cert.serialNumber,
            validTo: cert.valid_to,
            fingerprint256: cert.fingerprint256,
            subjectaltname: cert.subjectaltname ?? "",
          },
        }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("HTTPS request timed out after 10 s")));
    req.on("error", reject);
    req.end();
  });
}
