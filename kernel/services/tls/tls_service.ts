/**
 * The TLS service's contract: certificates for the names fazt serves,
 * obtained on demand from an ACME CA (HTTP-01) or brought by the owner, kept
 * in the store (private keys encrypted at rest) and renewed at two thirds of
 * their lifetime. It knows nothing about sockets: the HTTPS listener asks it
 * for a name's certificate at each TLS hello it has not cached, and the
 * plain-HTTP listener asks it for HTTP-01 challenge answers.
 *
 * @module
 */

/** A certificate chain and its private key, ready for a TLS context. */
export interface CertificateKeyPair {
  /** The leaf certificate then its intermediates, PEM. */
  certPem: string;
  /** The private key, PEM (PKCS#8). */
  keyPem: string;
  /**
   * Changes whenever the pair does (a renewal, a replaced manual
   * certificate): listeners cache one TLS context per name and version.
   */
  version: string;
  /** The certificate's expiry (ms since the epoch). */
  notAfter: number;
}

/** Where a certificate came from. */
export type CertificateSource = "acme" | "manual";

/** What the owner sees of one certificate (never the key). */
export interface CertificateInfo {
  /** The certificate's ID (stable across renewals of ACME certificates: the host name). */
  id: string;
  /** The names it covers (`*.example.com` for a wildcard). */
  names: string[];
  /** `acme` (obtained and renewed by fazt) or `manual` (`fazt cert add`). */
  source: CertificateSource;
  /** The issuer's common name or organization, as the certificate says. */
  issuer: string | null;
  /** Validity start (ms), null while the first order is pending or failed. */
  notBefore: number | null;
  /** Expiry (ms), null while the first order is pending or failed. */
  notAfter: number | null;
  /** When fazt will renew it (ms; ACME certificates only). */
  renewAt: number | null;
  /** The last order's error, null after a success. */
  lastError: string | null;
  /** When that error happened (ms). */
  lastErrorAt: number | null;
  /** The next order attempt after a failure (ms), null when none is planned. */
  retryAt: number | null;
}

/** Certificates: on demand, stored, renewed; and the owner's own. */
export interface TlsService {
  /**
   * The certificate for a TLS hello's server name (lowercase, no trailing
   * dot): a stored one that covers it (manual certificates first, wildcards
   * included), else, when `allowed(name)` says fazt serves that name, one
   * ordered now (concurrent hellos for the name wait for the same order;
   * orders are rate-limited). Null when the name is not served or no
   * certificate could be had (the listener then ends the handshake).
   */
  certificateFor(serverName: string): Promise<CertificateKeyPair | null>;
  /** The key authorization for an HTTP-01 token while an order waits on it; null otherwise. */
  challengeAnswer(token: string): string | null;
  /** Every stored certificate and pending or failed order, for `domain list` and `cert list`. */
  list(): CertificateInfo[];
  /** The certificate info covering `name`, if any (exact or wildcard). */
  infoFor(name: string): CertificateInfo | null;
  /**
   * Stores the owner's certificate chain and key (PEM). Checks that the key
   * matches the leaf, that it has not expired, and reads its names; a
   * manual certificate with the same names replaces the old one.
   */
  addManual(certPem: string, keyPem: string): Promise<CertificateInfo>;
  /** Removes a certificate (manual or ACME) by ID; an ACME name is ordered again on its next hello. */
  remove(id: string): Promise<CertificateInfo>;
  /** Starts the renewal loop. */
  start(): void;
  /** Stops the renewal loop and waits for orders in flight to settle. */
  close(): Promise<void>;
}
