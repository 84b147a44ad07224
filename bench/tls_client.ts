/**
 * The TLS client side of the https suite: one OpenSSL configuration that
 * pins what wrk (and the `openssl s_client` probe) negotiate with every
 * server (TLS 1.3, key exchange on P-256, one cipher suite), the handshake
 * shim preloaded into wrk (bench/tls_handshake_shim.c: counts full and
 * resumed handshakes, and can force full ones), and a probe that reports
 * what a server really negotiated.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../tests/_helpers/server.ts";

/** What the client offers, and so what every server must use. */
export const TLS_CLIENT = {
  /** The only protocol version offered. */
  protocol: "TLSv1.3",
  /** The only key-exchange group offered (OpenSSL's name). */
  group: "P-256",
  /** The only TLS 1.3 cipher suite offered. */
  cipher: "TLS_AES_128_GCM_SHA256",
} as const;

/**
 * Writes an OpenSSL configuration for clients (used through `OPENSSL_CONF`)
 * that offers only {@linkcode TLS_CLIENT}'s protocol, group and cipher, and
 * returns its path.
 */
export async function writeClientConfig(dir: string): Promise<string> {
  const path = join(dir, "openssl-client.cnf");
  await Deno.writeTextFile(
    path,
    [
      "openssl_conf = openssl_init",
      "[openssl_init]",
      "ssl_conf = ssl_config",
      "[ssl_config]",
      "system_default = tls_client",
      "[tls_client]",
      `MinProtocol = ${TLS_CLIENT.protocol}`,
      `Groups = ${TLS_CLIENT.group}`,
      `Ciphersuites = ${TLS_CLIENT.cipher}`,
      "",
    ].join("\n"),
  );
  return path;
}

/** Where the shim's source lives. */
export const SHIM_SOURCE: string = join(ROOT, "bench", "tls_handshake_shim.c");

/**
 * Compiles the handshake shim with `cc` into `dir` and returns the shared
 * library's path; throws with the compiler's output when it fails.
 */
export async function buildShim(cc: string, dir: string): Promise<string> {
  const out = join(dir, "tls_handshake_shim.so");
  const res = await new Deno.Command(cc, {
    args: ["-O2", "-shared", "-fPIC", "-o", out, SHIM_SOURCE, "-ldl"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!res.success) {
    const dec = new TextDecoder();
    throw new Error(
      `${cc} could not build ${SHIM_SOURCE}:\n${dec.decode(res.stdout)}${dec.decode(res.stderr)}`,
    );
  }
  return out;
}

/** Handshakes one wrk run completed, as the shim counted them. */
export interface HandshakeCounts {
  /** Full handshakes (key exchange and the server's certificate signature). */
  full: number;
  /** Resumed handshakes (TLS 1.3 PSK with a session ticket). */
  resumed: number;
}

/** Reads the shim's last line from wrk's stderr; undefined when it is not there. */
export function parseShimCounts(stderr: string): HandshakeCounts | undefined {
  const all = [...stderr.matchAll(/tls-shim: (\d+) full handshakes, (\d+) resumed/g)];
  const m = all[all.length - 1];
  return m ? { full: Number(m[1]), resumed: Number(m[2]) } : undefined;
}

/** What a server negotiated with the pinned client, as `openssl s_client` reports it. */
export interface TlsProbe {
  /** E.g. `TLSv1.3`. */
  protocol: string;
  /** E.g. `TLS_AES_128_GCM_SHA256`. */
  cipher: string;
  /** E.g. `ECDH, prime256v1, 256 bits`. */
  keyExchange: string;
  /** The server's signature type, e.g. `ECDSA`. */
  signature: string;
  /** Whether the chain verified against the benchmark CA for the server name. */
  verified: boolean;
  /** The protocol the server chose when offered `h2,http/1.1` by ALPN, or `none`. */
  alpn: string;
}

/**
 * Connects once to 127.0.0.1:`port` with `servername` as SNI through the
 * pinned client configuration, offering `h2,http/1.1` by ALPN and verifying
 * the chain against `caFile` and the name, and reports what was negotiated;
 * throws when the handshake fails.
 */
export async function probeTls(
  opensslPath: string,
  options: { port: number; servername: string; caFile: string; clientConfig: string },
): Promise<TlsProbe> {
  const out = await new Deno.Command(opensslPath, {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${options.port}`,
      "-servername",
      options.servername,
      "-verify_hostname",
      options.servername,
      "-CAfile",
      options.caFile,
      "-verify_return_error",
      "-alpn",
      "h2,http/1.1",
    ],
    env: { OPENSSL_CONF: options.clientConfig },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  const field = (name: string) => text.match(new RegExp(`^${name}:\\s*(.+)$`, "m"))?.[1].trim();
  const session = text.match(/^New, (\S+), Cipher is (\S+)$/m);
  if (!out.success || !session) {
    throw new Error(
      `TLS handshake with 127.0.0.1:${options.port} (SNI ${options.servername}) failed:\n${text}`,
    );
  }
  return {
    protocol: session[1],
    cipher: session[2],
    keyExchange: field("Server Temp Key") ?? "unknown",
    signature: field("Peer signature type") ?? "unknown",
    verified: /^Verify return code: 0 \(ok\)$/m.test(text),
    alpn: field("ALPN protocol") ?? "none",
  };
}
