/**
 * The HTTPS listener's certificates: a TLS context per server name, built
 * from the pair the TLS service hands out (`certificateFor`) and cached by
 * the pair's `version`. Every hello asks the service again (it keeps the
 * pairs in memory), so a renewed or replaced pair (a new version) gets a new
 * context for the next handshake while connections already open keep theirs:
 * certificates swap without a restart.
 *
 * There is no default certificate: a hello whose name has none, a client
 * that sends no server name (SNI) and one that connects to an IP address
 * (clients send no SNI for those) all get a failed handshake, never some
 * other name's certificate.
 *
 * @module
 */
import { createSecureContext, type SecureContext } from "node:tls";
import type { CertificateKeyPair } from "../services/tls/tls_service.ts";
import { hostProblem } from "./request_gate.ts";

/** Where the listener gets a server name's certificate chain and key (null: none). */
export type CertificateSource = (serverName: string) => Promise<CertificateKeyPair | null>;

/** Most server names whose contexts are kept; the least recently used go first. */
export const MAX_CACHED_CONTEXTS = 4096;

/**
 * A hello's server name as the TLS service expects it (lowercase, no
 * trailing dot), or null when it is none (absent, an IP literal, not a host
 * name).
 */
export function serverNameOf(raw: string | undefined): string | null {
  if (!raw) return null;
  const name = (raw.endsWith(".") ? raw.slice(0, -1) : raw).toLowerCase();
  if (name === "" || name.includes(":") || hostProblem(name) !== undefined) return null;
  if (/^[0-9.]+$/.test(name)) return null; // IPv4 literals are not server names
  return name;
}

/**
 * The TLS context for each hello's server name, or null when the handshake
 * must fail. Contexts are cached per name and version, at most
 * {@linkcode MAX_CACHED_CONTEXTS} names.
 */
export function sniContexts(
  certificate: CertificateSource,
  maxNames = MAX_CACHED_CONTEXTS,
): (rawServerName: string | undefined) => Promise<SecureContext | null> {
  const cache = new Map<string, { version: string; context: SecureContext }>();
  return async (rawServerName) => {
    const name = serverNameOf(rawServerName);
    if (name === null) return null;
    const pair = await certificate(name);
    if (pair === null) return null;
    const hit = cache.get(name);
    cache.delete(name);
    const context = hit !== undefined && hit.version === pair.version
      ? hit.context
      : createSecureContext({ cert: pair.certPem, key: pair.keyPem });
    cache.set(name, { version: pair.version, context });
    if (cache.size > maxNames) cache.delete(cache.keys().next().value!);
    return context;
  };
}
