/**
 * IP address parsing and classification for the egress guard: which
 * addresses an app's `fetch` may reach. Only the public internet is allowed;
 * loopback, private, link-local (cloud metadata), carrier-grade NAT,
 * multicast, reserved and documentation ranges are not.
 *
 * IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and 6to4 `2002::/16`)
 * are classified by that IPv4 address. Every other IPv6 address must be in
 * global unicast `2000::/3` and outside its special-purpose blocks. Anything
 * that does not parse as an address is not public (the check fails closed).
 *
 * Parsing is strict: IPv4 must be canonical dotted decimal (`127.0.0.1`,
 * not `0x7f.1` or `017.0.0.1`); callers normalise URL hosts with the WHATWG
 * URL parser first, which does turn those forms into dotted decimal.
 *
 * @module
 */

/** Why an address is not public: a stable range name and a phrase for messages. */
export interface AddressRange {
  /** Stable, machine-readable range name, e.g. `"loopback"` or `"link_local"`. */
  range: string;
  /** A phrase for messages, e.g. `"a loopback address"`. */
  description: string;
}

interface V4Block {
  base: number;
  bits: number;
  range: string;
  description: string;
}

function v4(text: string, bits: number, range: string, description: string): V4Block {
  const parsed = parseIPv4(text);
  if (parsed === null) throw new Error(`bad IPv4 block ${text}`);
  return { base: parsed, bits, range, description };
}

/** Non-public IPv4 blocks, most specific first (the first match wins). */
const V4_BLOCKS: readonly V4Block[] = [
  v4("169.254.169.254", 32, "link_local", "a link-local address (cloud metadata)"),
  v4("255.255.255.255", 32, "broadcast", "the broadcast address"),
  v4("0.0.0.0", 8, "unspecified", 'an unspecified ("this network") address'),
  v4("10.0.0.0", 8, "private", "a private network address"),
  v4("100.64.0.0", 10, "cgnat", "a carrier-grade NAT (shared) address"),
  v4("127.0.0.0", 8, "loopback", "a loopback address"),
  v4("169.254.0.0", 16, "link_local", "a link-local address"),
  v4("172.16.0.0", 12, "private", "a private network address"),
  v4("192.0.0.0", 24, "reserved", "an IETF protocol-assignment address"),
  v4("192.0.2.0", 24, "documentation", "a documentation address"),
  v4("192.88.99.0", 24, "reserved", "a deprecated 6to4 relay address"),
  v4("192.168.0.0", 16, "private", "a private network address"),
  v4("198.18.0.0", 15, "benchmarking", "a benchmarking address"),
  v4("198.51.100.0", 24, "documentation", "a documentation address"),
  v4("203.0.113.0", 24, "documentation", "a documentation address"),
  v4("224.0.0.0", 4, "multicast", "a multicast address"),
  v4("240.0.0.0", 4, "reserved", "a reserved address"),
];

/**
 * Parses canonical dotted-decimal IPv4 (`a.b.c.d`, each 0–255, no leading
 * zeros) into a 32-bit unsigned number, or `null`.
 */
export function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/**
 * Parses an IPv6 address (optionally in brackets, with a zone id or a
 * trailing dotted IPv4 part) into 16 bytes, or `null`.
 */
export function parseIPv6(text: string): Uint8Array | null {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone !== -1) {
    if (zone === s.length - 1) return null;
    s = s.slice(0, zone);
  }
  if (!s.includes(":")) return null;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const embedded = parseIPv4(tail);
    if (embedded === null) return null;
    const hi = Math.floor(embedded / 65536);
    const lo = embedded % 65536;
    s = `${s.slice(0, lastColon + 1)}${hi.toString(16)}:${lo.toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || rest === null) return null;
  let words: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    words = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    if (head.length !== 8) return null;
    words = head;
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

function classifyIPv4(value: number): AddressRange | null {
  for (const block of V4_BLOCKS) {
    const size = 2 ** (32 - block.bits);
    if (Math.floor(value / size) === Math.floor(block.base / size)) {
      return { range: block.range, description: block.description };
    }
  }
  return null;
}

/** True when the first `bits` bits of `bytes` equal those of `prefix` (bits a multiple of 4). */
function hasPrefix(bytes: Uint8Array, prefix: number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i] & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function embeddedIPv4(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) +
    bytes[offset + 3];
}

function classifyEmbedded(value: number, kind: string): AddressRange | null {
  const inner = classifyIPv4(value);
  if (inner === null) return null;
  return { range: inner.range, description: `${inner.description} (${kind} ${formatIPv4(value)})` };
}

function classifyIPv6(bytes: Uint8Array): AddressRange | null {
  const allZeroUpTo = (n: number) => bytes.subarray(0, n).every((b) => b === 0);
  if (allZeroUpTo(16)) return { range: "unspecified", description: "the unspecified address" };
  if (allZeroUpTo(15) && bytes[15] === 1) {
    return { range: "loopback", description: "a loopback address" };
  }
  if (allZeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return classifyEmbedded(embeddedIPv4(bytes, 12), "IPv4-mapped");
  }
  if (allZeroUpTo(12)) return classifyEmbedded(embeddedIPv4(bytes, 12), "IPv4-compatible");
  if (hasPrefix(bytes, [0x00, 0x64, 0xff, 0x9b], 96)) {
    return classifyEmbedded(embeddedIPv4(bytes, 12), "NAT64");
  }
  if (hasPrefix(bytes, [0x20, 0x02], 16)) return classifyEmbedded(embeddedIPv4(bytes, 2), "6to4");
  if (hasPrefix(bytes, [0xff], 8)) {
    return { range: "multicast", description: "a multicast address" };
  }
  if (hasPrefix(bytes, [0xfe, 0x80], 10)) {
    return { range: "link_local", description: "a link-local address" };
  }
  if (hasPrefix(bytes, [0xfe, 0xc0], 10)) {
    return { range: "private", description: "a site-local address (deprecated)" };
  }
  if (hasPrefix(bytes, [0xfc], 7)) {
    return { range: "private", description: "a unique-local (private) address" };
  }
  if (!hasPrefix(bytes, [0x20], 3)) {
    return { range: "reserved", description: "a reserved (not global unicast) address" };
  }
  if (hasPrefix(bytes, [0x20, 0x01, 0x0d, 0xb8], 32) || hasPrefix(bytes, [0x3f, 0xff], 20)) {
    return { range: "documentation", description: "a documentation address" };
  }
  if (hasPrefix(bytes, [0x20, 0x01, 0x00, 0x00], 32)) {
    return { range: "reserved", description: "a Teredo tunnel address" };
  }
  if (hasPrefix(bytes, [0x20, 0x01, 0x00, 0x02, 0x00, 0x00], 48)) {
    return { range: "benchmarking", description: "a benchmarking address" };
  }
  if (hasPrefix(bytes, [0x20, 0x01, 0x00, 0x10], 28)) {
    return { range: "reserved", description: "a non-routable ORCHID address" };
  }
  return null;
}

/**
 * Classifies an IP address: `null` when it is a public internet address,
 * otherwise the range it belongs to. Input that is not a canonical IPv4 or a
 * valid IPv6 address is reported as range `"invalid"`.
 *
 * @example
 * ```ts
 * classifyAddress("169.254.169.254"); // { range: "link_local", description: "a link-local address (cloud metadata)" }
 * classifyAddress("93.184.216.34"); // null
 * ```
 */
export function classifyAddress(ip: string): AddressRange | null {
  const v4value = parseIPv4(ip);
  if (v4value !== null) return classifyIPv4(v4value);
  const v6 = parseIPv6(ip);
  if (v6 !== null) return classifyIPv6(v6);
  return { range: "invalid", description: "not a valid IP address" };
}

/**
 * True when `ip` is a public internet address an app may reach. Loopback,
 * unspecified, private, link-local, carrier-grade NAT, multicast, broadcast,
 * reserved, benchmarking and documentation addresses are not public, nor are
 * IPv6 addresses embedding such an IPv4 address, nor strings that are not
 * IP addresses at all.
 *
 * @example
 * ```ts
 * isPublicAddress("8.8.8.8"); // true
 * isPublicAddress("::ffff:127.0.0.1"); // false
 * ```
 */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === null;
}

/** Returns `host` as an IP address (brackets removed) when it is an IP literal, else `null`. */
export function ipLiteral(host: string): string | null {
  if (host.startsWith("[") && host.endsWith("]")) {
    const inner = host.slice(1, -1);
    return parseIPv6(inner) === null ? null : inner;
  }
  if (parseIPv4(host) !== null) return host;
  if (host.includes(":") && parseIPv6(host) !== null) return host;
  return null;
}
