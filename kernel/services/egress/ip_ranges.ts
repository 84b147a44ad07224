/**
 * IP address parsing and classification for the egress guard: which
 * addresses an app's `fetch` may reach. Only the public internet is allowed.
 *
 * Refused, as tables below list them (most specific entry first):
 *
 * - cloud metadata and platform addresses, named so a refusal says what was
 *   hit: AWS (IMDS `169.254.169.254` and `fd00:ec2::254`, ECS `169.254.170.2`,
 *   EKS Pod Identity `169.254.170.23` and `fd00:ec2::23`), Google Cloud
 *   (`fd20:ce::254`), Azure (`168.63.129.16`, a PUBLIC address, so only its
 *   own entry catches it), Alibaba Cloud (`100.100.100.200`), Oracle Cloud
 *   (`192.0.0.192`), Scaleway (`169.254.42.42`, `fd00:42::42`), Akamai/Linode
 *   (`fd00:a9fe:a9fe::1`) and OpenStack (`fe80::a9fe:a9fe`); DigitalOcean,
 *   Hetzner, Vultr, OVH, UpCloud and others use `169.254.169.254`;
 * - every block of the IANA IPv4 and IPv6 special-purpose registries that is
 *   not globally reachable (loopback, private, link-local, carrier-grade NAT,
 *   "this network", IETF protocol assignments, documentation, benchmarking,
 *   deprecated 6to4 relays, reserved, broadcast, unique-local, site-local,
 *   Teredo, local-use NAT64, discard-only, SRv6), and multicast;
 * - every IPv6 address outside global unicast `2000::/3`.
 *
 * IPv6 addresses that carry an IPv4 address are classified by that IPv4
 * address: IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16` and ISATAP interface identifiers (`…:0:5efe:a.b.c.d`); the
 * deprecated IPv4-compatible form `::a.b.c.d` is refused whatever it holds.
 * Anything that does not parse as an address is not public (fail closed).
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

/** One entry of the blocklist, as {@linkcode IPV4_BLOCKS} and {@linkcode IPV6_BLOCKS} list them. */
export interface AddressBlock extends AddressRange {
  /** The block in CIDR notation, e.g. `"10.0.0.0/8"`. */
  cidr: string;
}

const RESERVED_V6: AddressRange = {
  range: "reserved",
  description: "a reserved (not global unicast) address",
};

/**
 * Refused IPv4 blocks, most specific first (the first match wins): cloud
 * metadata and platform addresses, then the IANA IPv4 special-purpose
 * registry's blocks that are not globally reachable, multicast and reserved.
 * The globally reachable special-purpose blocks (AS112 `192.31.196.0/24`,
 * AMT `192.52.193.0/24`, AS112 direct delegation `192.175.48.0/24`) are
 * public services and stay allowed.
 */
export const IPV4_BLOCKS: readonly AddressBlock[] = [
  block("169.254.169.254/32", "link_local", "a link-local address (cloud metadata)"),
  block("169.254.170.2/32", "link_local", "a link-local address (AWS ECS task credentials)"),
  block(
    "169.254.170.23/32",
    "link_local",
    "a link-local address (AWS EKS Pod Identity credentials)",
  ),
  block("169.254.42.42/32", "link_local", "a link-local address (Scaleway metadata)"),
  block("100.100.100.200/32", "cgnat", "a carrier-grade NAT address (Alibaba Cloud metadata)"),
  block(
    "192.0.0.192/32",
    "reserved",
    "an IETF protocol-assignment address (Oracle Cloud metadata)",
  ),
  block(
    "168.63.129.16/32",
    "cloud_metadata",
    "Azure's platform address (WireServer, DNS and health probes)",
  ),
  block("255.255.255.255/32", "broadcast", "the broadcast address"),
  block("0.0.0.0/8", "unspecified", 'an unspecified ("this network") address'),
  block("10.0.0.0/8", "private", "a private network address"),
  block("100.64.0.0/10", "cgnat", "a carrier-grade NAT (shared) address"),
  block("127.0.0.0/8", "loopback", "a loopback address"),
  block("169.254.0.0/16", "link_local", "a link-local address"),
  block("172.16.0.0/12", "private", "a private network address"),
  block("192.0.0.0/24", "reserved", "an IETF protocol-assignment address"),
  block("192.0.2.0/24", "documentation", "a documentation address"),
  block("192.88.99.0/24", "reserved", "a deprecated 6to4 relay address"),
  block("192.168.0.0/16", "private", "a private network address"),
  block("198.18.0.0/15", "benchmarking", "a benchmarking address"),
  block("198.51.100.0/24", "documentation", "a documentation address"),
  block("203.0.113.0/24", "documentation", "a documentation address"),
  block("224.0.0.0/4", "multicast", "a multicast address"),
  block("240.0.0.0/4", "reserved", "a reserved address"),
];

/**
 * Refused IPv6 blocks, most specific first: cloud metadata addresses, then
 * the IANA IPv6 special-purpose registry's blocks that are not globally
 * reachable and the other non-global-unicast blocks with their own message.
 * Checked first; then the IPv4-embedding blocks (see
 * {@linkcode IPV6_EMBEDDINGS}); any other address outside `2000::/3` is
 * refused as reserved.
 */
export const IPV6_BLOCKS: readonly AddressBlock[] = [
  block("fd00:ec2::254/128", "private", "a unique-local address (AWS metadata)"),
  block("fd00:ec2::23/128", "private", "a unique-local address (AWS EKS Pod Identity credentials)"),
  block("fd20:ce::254/128", "private", "a unique-local address (Google Cloud metadata)"),
  block("fd00:42::42/128", "private", "a unique-local address (Scaleway metadata)"),
  block("fd00:a9fe:a9fe::1/128", "private", "a unique-local address (Akamai metadata)"),
  block("fe80::a9fe:a9fe/128", "link_local", "a link-local address (OpenStack metadata)"),
  block("::/128", "unspecified", "the unspecified address"),
  block("::1/128", "loopback", "a loopback address"),
  block(
    "64:ff9b:1::/48",
    "reserved",
    "a local-use NAT64 address (it can reach private IPv4 networks)",
  ),
  block("100::/64", "reserved", "a discard-only address"),
  block("2001::/32", "reserved", "a Teredo tunnel address"),
  block("2001:2::/48", "benchmarking", "a benchmarking address"),
  block("2001:db8::/32", "documentation", "a documentation address"),
  block("2001::/23", "reserved", "an IETF protocol-assignment address"),
  block("3fff::/20", "documentation", "a documentation address"),
  block("5f00::/16", "reserved", "a segment-routing (SRv6) address"),
  block("fc00::/7", "private", "a unique-local (private) address"),
  block("fe80::/10", "link_local", "a link-local address"),
  block("fec0::/10", "private", "a site-local address (deprecated)"),
  block("ff00::/8", "multicast", "a multicast address"),
];

/** An IPv6 block whose addresses carry an IPv4 address. */
export interface Ipv4Embedding {
  /** The block in CIDR notation. */
  cidr: string;
  /** The name of the form, used in messages, e.g. `"IPv4-mapped"`. */
  kind: string;
  /** Byte offset of the embedded IPv4 address. */
  offset: number;
  /** The verdict when the embedded address is public: `null` (public) or a range. */
  whenPublic: AddressRange | null;
}

/**
 * IPv6 blocks classified by the IPv4 address they carry, checked after
 * {@linkcode IPV6_BLOCKS} (so `::` and `::1` keep their own names). A public
 * embedded address makes the address public, except in the deprecated
 * IPv4-compatible form, which is refused. ISATAP interface identifiers inside
 * `2000::/3` are classified the same way.
 */
export const IPV6_EMBEDDINGS: readonly Ipv4Embedding[] = [
  { cidr: "::ffff:0:0/96", kind: "IPv4-mapped", offset: 12, whenPublic: null },
  {
    cidr: "::/96",
    kind: "IPv4-compatible",
    offset: 12,
    whenPublic: { range: "reserved", description: "a deprecated IPv4-compatible address" },
  },
  { cidr: "64:ff9b::/96", kind: "NAT64", offset: 12, whenPublic: null },
  { cidr: "2002::/16", kind: "6to4", offset: 2, whenPublic: null },
];

function block(cidr: string, range: string, description: string): AddressBlock {
  return { cidr, range, description };
}

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

function ipv4Bytes(value: number): Uint8Array {
  return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/** A CIDR block parsed for matching: the address bytes and the prefix length. */
interface Prefix {
  bytes: Uint8Array;
  bits: number;
}

function parsePrefix(cidr: string): Prefix {
  const [address, length] = cidr.split("/");
  const bits = Number(length);
  const v4 = parseIPv4(address);
  const bytes = v4 !== null ? ipv4Bytes(v4) : parseIPv6(address);
  if (bytes === null || !Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) {
    throw new Error(`bad address block ${cidr}`);
  }
  return { bytes, bits };
}

/** True when the first `bits` bits of `bytes` equal those of `prefix`. */
function inPrefix(bytes: Uint8Array, prefix: Prefix): boolean {
  if (bytes.length !== prefix.bytes.length) return false;
  for (let i = 0; i * 8 < prefix.bits; i++) {
    const take = Math.min(8, prefix.bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i] & mask) !== (prefix.bytes[i] & mask)) return false;
  }
  return true;
}

const V4_RULES = IPV4_BLOCKS.map((b) => ({ prefix: parsePrefix(b.cidr), block: b }));
const V6_RULES = IPV6_BLOCKS.map((b) => ({ prefix: parsePrefix(b.cidr), block: b }));
const V6_EMBEDDING_RULES = IPV6_EMBEDDINGS.map((e) => ({
  prefix: parsePrefix(e.cidr),
  embedding: e,
}));
const GLOBAL_UNICAST = parsePrefix("2000::/3");

function verdict(block: AddressBlock): AddressRange {
  return { range: block.range, description: block.description };
}

function classifyIPv4Bytes(bytes: Uint8Array): AddressRange | null {
  const rule = V4_RULES.find((r) => inPrefix(bytes, r.prefix));
  return rule ? verdict(rule.block) : null;
}

function classifyEmbedded(
  bytes: Uint8Array,
  offset: number,
  kind: string,
  whenPublic: AddressRange | null,
): AddressRange | null {
  const inner = bytes.subarray(offset, offset + 4);
  const range = classifyIPv4Bytes(inner);
  if (range === null) return whenPublic;
  return { range: range.range, description: `${range.description} (${kind} ${inner.join(".")})` };
}

/** ISATAP interface identifier (RFC 5214): `0000:5efe` or `0200:5efe` before an IPv4 address. */
function isIsatap(bytes: Uint8Array): boolean {
  return (bytes[8] & 0xfd) === 0 && bytes[9] === 0 && bytes[10] === 0x5e && bytes[11] === 0xfe;
}

function classifyIPv6(bytes: Uint8Array): AddressRange | null {
  const rule = V6_RULES.find((r) => inPrefix(bytes, r.prefix));
  if (rule) return verdict(rule.block);
  const embedding = V6_EMBEDDING_RULES.find((r) => inPrefix(bytes, r.prefix));
  if (embedding) {
    const { offset, kind, whenPublic } = embedding.embedding;
    return classifyEmbedded(bytes, offset, kind, whenPublic);
  }
  if (!inPrefix(bytes, GLOBAL_UNICAST)) return RESERVED_V6;
  if (isIsatap(bytes)) return classifyEmbedded(bytes, 12, "ISATAP", null);
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
  if (v4value !== null) return classifyIPv4Bytes(ipv4Bytes(v4value));
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
