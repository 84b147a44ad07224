/**
 * Certificates and keys in PEM: reading a chain's facts (names, issuer,
 * validity, fingerprint) with `node:crypto`'s `X509Certificate`, and the
 * checks an owner's certificate must pass before fazt serves it.
 *
 * @module
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { Buffer } from "node:buffer";
import { FaztError } from "../../core/errors.ts";

/** What fazt needs to know about a certificate (its leaf). */
export interface CertificateFacts {
  /** The DNS names of its subjectAltName, lowercase, in order. */
  names: string[];
  /** The issuer's common name, else its organization. */
  issuer: string | null;
  /** Validity start (ms). */
  notBefore: number;
  /** Expiry (ms). */
  notAfter: number;
  /** SHA-256 fingerprint of the leaf (hex, no colons): changes with every new certificate. */
  fingerprint: string;
}

/** A chain that was read: the leaf, the chain re-encoded (leaf first) and the facts. */
export interface ReadChain {
  /** The leaf certificate. */
  leaf: X509Certificate;
  /** Every certificate of the chain as PEM, leaf first, one after the other. */
  chainPem: string;
  /** The leaf's facts. */
  facts: CertificateFacts;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function distinguishedNameField(dn: string, field: string): string | null {
  for (const line of dn.split("\n")) {
    if (line.startsWith(`${field}=`)) return line.slice(field.length + 1);
  }
  return null;
}

/** The facts of a parsed certificate. */
export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const names = (cert.subjectAltName ?? "").split(", ")
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4).toLowerCase());
  return {
    names,
    issuer: distinguishedNameField(cert.issuer, "CN") ?? distinguishedNameField(cert.issuer, "O"),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    fingerprint: cert.fingerprint256.replaceAll(":", ""),
  };
}

/**
 * Reads a PEM chain (leaf first). Throws `invalid_input` when it holds no
 * certificate or one that does not parse.
 */
export function readChain(pem: string): ReadChain {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new FaztError(
      "invalid_input",
      "The certificate file holds no PEM certificate (-----BEGIN CERTIFICATE-----). Give the certificate chain in PEM, the leaf first (e.g. fullchain.pem).",
    );
  }
  const certs = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new FaztError(
        "invalid_input",
        `Certificate ${
          i + 1
        } of the chain is not a valid PEM certificate: check that the file was copied whole.`,
        { details: { index: i }, cause: err },
      );
    }
  });
  return {
    leaf: certs[0],
    chainPem: certs.map((c) => c.toString()).join(""),
    facts: certificateFacts(certs[0]),
  };
}

/** A private key as PKCS#8 PEM (what TLS contexts and fazt's store take). */
export function pkcs8Pem(der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
  return `-----BEGIN PRIVATE KEY-----\n${
    b64.replace(/.{64}/g, "$&\n").replace(/\n$/, "")
  }\n-----END PRIVATE KEY-----\n`;
}

function readPrivateKey(keyPem: string): KeyObject {
  if (/ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(keyPem)) {
    throw new FaztError(
      "invalid_input",
      "The private key is encrypted with a passphrase. Give it unencrypted: openssl pkey -in key.pem -out key-plain.pem",
    );
  }
  try {
    return createPrivateKey({ key: keyPem, format: "pem" });
  } catch (err) {
    throw new FaztError(
      "invalid_input",
      "The key file is not a PEM private key (-----BEGIN PRIVATE KEY-----, or an RSA or EC key). Give the key that belongs to the certificate.",
      { cause: err },
    );
  }
}

function belongs(leaf: X509Certificate, key: KeyObject): boolean {
  try {
    return leaf.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** An owner's certificate after {@linkcode checkManualCertificate}. */
export interface CheckedCertificate extends ReadChain {
  /** The key, re-encoded as PKCS#8 PEM. */
  keyPem: string;
}

/**
 * Checks a certificate the owner brings: the chain parses, the leaf names at
 * least one DNS name, has not expired at `now`, and the key is its own.
 * Every refusal is `invalid_input` with what to do about it.
 */
export function checkManualCertificate(
  certPem: string,
  keyPem: string,
  now: number,
): CheckedCertificate {
  const chain = readChain(certPem);
  const key = readPrivateKey(keyPem);
  const { facts, leaf } = chain;
  if (facts.names.length === 0) {
    throw new FaztError(
      "invalid_input",
      "The certificate names no DNS host (its subjectAltName has no DNS entry); browsers would refuse it. Issue it with the host names as subject alternative names.",
    );
  }
  if (facts.notAfter <= now) {
    throw new FaztError(
      "invalid_input",
      `The certificate for ${facts.names.join(", ")} expired on ${
        new Date(facts.notAfter).toISOString()
      }. Renew it with its CA, then add the new one.`,
      { details: { names: facts.names, notAfter: facts.notAfter } },
    );
  }
  if (!belongs(leaf, key)) {
    throw new FaztError(
      "invalid_input",
      `The key does not belong to the certificate for ${
        facts.names.join(", ")
      }. Give the private key the certificate was issued for (and the leaf first in the chain).`,
      { details: { names: facts.names } },
    );
  }
  return { ...chain, keyPem: key.export({ format: "pem", type: "pkcs8" }).toString() };
}
