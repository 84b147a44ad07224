/**
 * PKCS#10 certificate signing requests (RFC 2986) for an ECDSA P-256 key
 * made with Web Crypto: subject CN = the first name, a subjectAltName
 * extension request with every name, signed with ecdsa-with-SHA256. ACME's
 * finalize step sends the DER.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import {
  bitString,
  contextTag,
  type Der,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  unsignedInteger,
  utf8String,
} from "./der.ts";

const OID_COMMON_NAME = "2.5.4.3";
const OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
/** X.520's upper bound for a common name; longer names go in the SAN only. */
const MAX_COMMON_NAME = 64;

/**
 * Converts a Web Crypto ECDSA signature (raw r||s, what JWS wants) to the
 * DER `Ecdsa-Sig-Value` that X.509 and PKCS#10 want.
 */
export function rawSignatureToDer(raw: Uint8Array): Der {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new Error(`An ECDSA signature has an even length; this one has ${raw.length} bytes.`);
  }
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

/**
 * The DER of a CSR for `names` (DNS names, ASCII: IDNs in their `xn--`
 * form), signed with `keys` (ECDSA P-256 from Web Crypto).
 */
export async function createCsr(
  keys: CryptoKeyPair,
  names: readonly string[],
): Promise<Der> {
  if (names.length === 0) {
    throw new FaztError("invalid_input", "A certificate request needs at least one name.");
  }
  for (const name of names) {
    if (!/^[\x21-\x7e]+$/.test(name)) {
      throw new FaztError(
        "invalid_input",
        `"${name}" cannot go in a certificate request: write host names in ASCII (xn-- form for international names).`,
        { details: { name } },
      );
    }
  }
  const subject = names[0].length <= MAX_COMMON_NAME
    ? sequence(setOf(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(names[0]))))
    : sequence();
  const encoder = new TextEncoder();
  const altNames = sequence(...names.map((n) => contextTag(2, false, encoder.encode(n))));
  const extensions = sequence(
    sequence(objectIdentifier(OID_SUBJECT_ALT_NAME), octetString(altNames)),
  );
  const attributes = contextTag(
    0,
    true,
    sequence(objectIdentifier(OID_EXTENSION_REQUEST), setOf(extensions)),
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const info = sequence(unsignedInteger(Uint8Array.of(0)), subject, spki, attributes);
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, info),
  );
  return sequence(
    info,
    sequence(objectIdentifier(OID_ECDSA_WITH_SHA256)),
    bitString(rawSignatureToDer(raw)),
  );
}
