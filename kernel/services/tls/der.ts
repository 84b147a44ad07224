/**
 * A minimal DER (ASN.1 Distinguished Encoding Rules) writer: just the types
 * a PKCS#10 certificate request needs. Each function returns one complete
 * tag-length-value.
 *
 * @module
 */

/** DER bytes (backed by an ArrayBuffer, so Web Crypto takes them). */
export type Der = Uint8Array<ArrayBuffer>;

function concat(parts: readonly Uint8Array[]): Der {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function length(n: number): Der {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One element: `tag`, the DER length of the content, the content. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Der {
  const body = concat(content);
  return concat([Uint8Array.of(tag), length(body.length), body]);
}

/** SEQUENCE of the given elements. */
export function sequence(...elements: readonly Uint8Array[]): Der {
  return tlv(0x30, ...elements);
}

/** SET OF the given elements, sorted by their encodings as DER requires. */
export function setOf(...elements: readonly Uint8Array[]): Der {
  const sorted = [...elements].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return a[i] - b[i];
    }
    return a.length - b.length;
  });
  return tlv(0x31, ...sorted);
}

/** INTEGER from an unsigned big-endian magnitude (leading zeros dropped, sign byte added). */
export function unsignedInteger(magnitude: Uint8Array): Der {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const bytes = magnitude.subarray(start);
  if (bytes.length === 0) return tlv(0x02, Uint8Array.of(0));
  return bytes[0] & 0x80 ? tlv(0x02, Uint8Array.of(0), bytes) : tlv(0x02, bytes);
}

/** OBJECT IDENTIFIER from its dotted form (`1.2.840.10045.4.3.2`). */
export function objectIdentifier(dotted: string): Der {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new Error(`"${dotted}" is not an object identifier.`);
  }
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      base128.unshift(0x80 | (v % 128));
    }
    out.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** UTF8String. */
export function utf8String(text: string): Der {
  return tlv(0x0c, new TextEncoder().encode(text));
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Der {
  return tlv(0x04, bytes);
}

/** BIT STRING of whole bytes (no unused bits). */
export function bitString(bytes: Uint8Array): Der {
  return tlv(0x03, Uint8Array.of(0), bytes);
}

/** A context-specific tag `[n]`, constructed (wrapping elements) or primitive (IMPLICIT bytes). */
export function contextTag(n: number, constructed: boolean, content: Uint8Array): Der {
  return tlv((constructed ? 0xa0 : 0x80) | n, content);
}
