import assert from "node:assert/strict";
import {
  classifyAddress,
  IPV4_BLOCKS,
  IPV6_BLOCKS,
  IPV6_EMBEDDINGS,
  isPublicAddress,
} from "../../../../kernel/services/egress/ip_ranges.ts";

/**
 * The specification of the blocklist: every entry, with addresses at its
 * edges that must be refused (with the range and a phrase of the message)
 * and neighbours just outside it that must be public.
 */
interface Entry {
  cidr: string;
  inside: string[];
  range: string;
  mentions: string;
  outside?: string[];
}

const V4: Entry[] = [
  // Cloud metadata and platform addresses.
  {
    cidr: "169.254.169.254/32",
    inside: ["169.254.169.254"],
    range: "link_local",
    mentions: "cloud metadata",
  },
  { cidr: "169.254.170.2/32", inside: ["169.254.170.2"], range: "link_local", mentions: "AWS ECS" },
  {
    cidr: "169.254.170.23/32",
    inside: ["169.254.170.23"],
    range: "link_local",
    mentions: "AWS EKS Pod Identity",
  },
  {
    cidr: "169.254.42.42/32",
    inside: ["169.254.42.42"],
    range: "link_local",
    mentions: "Scaleway",
  },
  {
    cidr: "100.100.100.200/32",
    inside: ["100.100.100.200"],
    range: "cgnat",
    mentions: "Alibaba Cloud",
  },
  { cidr: "192.0.0.192/32", inside: ["192.0.0.192"], range: "reserved", mentions: "Oracle Cloud" },
  {
    cidr: "168.63.129.16/32",
    inside: ["168.63.129.16"],
    range: "cloud_metadata",
    mentions: "Azure",
    outside: ["168.63.129.15", "168.63.129.17", "168.63.128.16"],
  },
  // IANA IPv4 special-purpose registry, multicast and reserved.
  {
    cidr: "255.255.255.255/32",
    inside: ["255.255.255.255"],
    range: "broadcast",
    mentions: "broadcast",
  },
  {
    cidr: "0.0.0.0/8",
    inside: ["0.0.0.0", "0.255.255.255"],
    range: "unspecified",
    mentions: "this network",
    outside: ["1.0.0.0"],
  },
  {
    cidr: "10.0.0.0/8",
    inside: ["10.0.0.0", "10.255.255.255"],
    range: "private",
    mentions: "private",
    outside: ["9.255.255.255", "11.0.0.0"],
  },
  {
    cidr: "100.64.0.0/10",
    inside: ["100.64.0.0", "100.127.255.255"],
    range: "cgnat",
    mentions: "carrier-grade NAT",
    outside: ["100.63.255.255", "100.128.0.0"],
  },
  {
    cidr: "127.0.0.0/8",
    inside: ["127.0.0.0", "127.0.0.1", "127.255.255.255"],
    range: "loopback",
    mentions: "loopback",
    outside: ["126.255.255.255", "128.0.0.0"],
  },
  {
    cidr: "169.254.0.0/16",
    inside: ["169.254.0.0", "169.254.0.23", "169.254.255.255"],
    range: "link_local",
    mentions: "link-local",
    outside: ["169.253.255.255", "169.255.0.0"],
  },
  {
    cidr: "172.16.0.0/12",
    inside: ["172.16.0.0", "172.31.255.255"],
    range: "private",
    mentions: "private",
    outside: ["172.15.255.255", "172.32.0.0"],
  },
  {
    cidr: "192.0.0.0/24",
    inside: ["192.0.0.0", "192.0.0.9", "192.0.0.170", "192.0.0.255"],
    range: "reserved",
    mentions: "IETF protocol-assignment",
    outside: ["191.255.255.255", "192.0.1.0"],
  },
  {
    cidr: "192.0.2.0/24",
    inside: ["192.0.2.0", "192.0.2.255"],
    range: "documentation",
    mentions: "documentation",
    outside: ["192.0.3.0"],
  },
  {
    cidr: "192.88.99.0/24",
    inside: ["192.88.99.0", "192.88.99.2", "192.88.99.255"],
    range: "reserved",
    mentions: "6to4 relay",
    outside: ["192.88.98.255", "192.88.100.0"],
  },
  {
    cidr: "192.168.0.0/16",
    inside: ["192.168.0.0", "192.168.255.255"],
    range: "private",
    mentions: "private",
    outside: ["192.167.255.255", "192.169.0.0"],
  },
  {
    cidr: "198.18.0.0/15",
    inside: ["198.18.0.0", "198.19.255.255"],
    range: "benchmarking",
    mentions: "benchmarking",
    outside: ["198.17.255.255", "198.20.0.0"],
  },
  {
    cidr: "198.51.100.0/24",
    inside: ["198.51.100.0", "198.51.100.255"],
    range: "documentation",
    mentions: "documentation",
    outside: ["198.51.99.255", "198.51.101.0"],
  },
  {
    cidr: "203.0.113.0/24",
    inside: ["203.0.113.0", "203.0.113.255"],
    range: "documentation",
    mentions: "documentation",
    outside: ["203.0.112.255", "203.0.114.0"],
  },
  {
    cidr: "224.0.0.0/4",
    inside: ["224.0.0.0", "239.255.255.250", "239.255.255.255"],
    range: "multicast",
    mentions: "multicast",
    outside: ["223.255.255.255"],
  },
  {
    cidr: "240.0.0.0/4",
    inside: ["240.0.0.0", "255.255.255.254"],
    range: "reserved",
    mentions: "reserved",
  },
];

const V6: Entry[] = [
  // Cloud metadata addresses.
  { cidr: "fd00:ec2::254/128", inside: ["fd00:ec2::254"], range: "private", mentions: "AWS" },
  {
    cidr: "fd00:ec2::23/128",
    inside: ["fd00:ec2::23"],
    range: "private",
    mentions: "AWS EKS Pod Identity",
  },
  {
    cidr: "fd20:ce::254/128",
    inside: ["fd20:ce::254"],
    range: "private",
    mentions: "Google Cloud",
  },
  { cidr: "fd00:42::42/128", inside: ["fd00:42::42"], range: "private", mentions: "Scaleway" },
  {
    cidr: "fd00:a9fe:a9fe::1/128",
    inside: ["fd00:a9fe:a9fe::1"],
    range: "private",
    mentions: "Akamai",
  },
  {
    cidr: "fe80::a9fe:a9fe/128",
    inside: ["fe80::a9fe:a9fe", "[fe80::a9fe:a9fe]"],
    range: "link_local",
    mentions: "OpenStack",
  },
  // IANA IPv6 special-purpose registry and other non-global-unicast blocks.
  {
    cidr: "::/128",
    inside: ["::", "0:0:0:0:0:0:0:0"],
    range: "unspecified",
    mentions: "unspecified",
  },
  {
    cidr: "::1/128",
    inside: ["::1", "0:0:0:0:0:0:0:1", "[::1]"],
    range: "loopback",
    mentions: "loopback",
  },
  {
    cidr: "64:ff9b:1::/48",
    inside: ["64:ff9b:1::", "64:ff9b:1::808:808", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"],
    range: "reserved",
    mentions: "local-use NAT64",
  },
  {
    cidr: "100::/64",
    inside: ["100::", "100::ffff:ffff:ffff:ffff"],
    range: "reserved",
    mentions: "discard-only",
  },
  {
    cidr: "2001::/32",
    inside: ["2001::", "2001::1", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "reserved",
    mentions: "Teredo",
  },
  {
    cidr: "2001:2::/48",
    inside: ["2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"],
    range: "benchmarking",
    mentions: "benchmarking",
  },
  {
    cidr: "2001:db8::/32",
    inside: ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "documentation",
    mentions: "documentation",
    outside: ["2001:db9::1"],
  },
  {
    cidr: "2001::/23",
    inside: ["2001:1::1", "2001:1::2", "2001:3::1", "2001:10::1", "2001:1ff:ffff::1"],
    range: "reserved",
    mentions: "IETF protocol-assignment",
    outside: ["2001:200::1"],
  },
  {
    cidr: "3fff::/20",
    inside: ["3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "documentation",
    mentions: "documentation",
    outside: ["3fff:1000::1", "3ffe:ffff::1"],
  },
  {
    cidr: "5f00::/16",
    inside: ["5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "reserved",
    mentions: "segment-routing",
  },
  {
    cidr: "fc00::/7",
    inside: ["fc00::", "fc00::1", "fd12:3456:789a::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "private",
    mentions: "unique-local",
  },
  {
    cidr: "fe80::/10",
    inside: ["fe80::", "fe80::1", "fe80::1%eth0", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "link_local",
    mentions: "link-local",
  },
  {
    cidr: "fec0::/10",
    inside: ["fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "private",
    mentions: "site-local",
  },
  {
    cidr: "ff00::/8",
    inside: ["ff00::", "ff02::1", "ff0e::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    range: "multicast",
    mentions: "multicast",
  },
];

/** IPv6 forms that carry an IPv4 address: refused with the IPv4's range, or public with it. */
const EMBEDDINGS: {
  cidr: string;
  refused: [string, string, string][];
  public: string[];
}[] = [
  {
    cidr: "::ffff:0:0/96",
    refused: [
      ["::ffff:127.0.0.1", "loopback", "IPv4-mapped 127.0.0.1"],
      ["::ffff:7f00:1", "loopback", "IPv4-mapped 127.0.0.1"],
      ["::FFFF:A9FE:A9FE", "link_local", "IPv4-mapped 169.254.169.254"],
      ["::ffff:10.0.0.1", "private", "IPv4-mapped 10.0.0.1"],
      ["::ffff:168.63.129.16", "cloud_metadata", "IPv4-mapped 168.63.129.16"],
      ["::ffff:100.100.100.200", "cgnat", "Alibaba Cloud"],
    ],
    public: ["::ffff:8.8.8.8", "::ffff:93.184.216.34"],
  },
  {
    cidr: "::/96",
    refused: [
      ["::127.0.0.1", "loopback", "IPv4-compatible 127.0.0.1"],
      ["::10.0.0.1", "private", "IPv4-compatible 10.0.0.1"],
      ["::8.8.8.8", "reserved", "deprecated IPv4-compatible"],
      ["::0.0.0.2", "unspecified", "IPv4-compatible 0.0.0.2"],
    ],
    public: [],
  },
  {
    cidr: "64:ff9b::/96",
    refused: [
      ["64:ff9b::7f00:1", "loopback", "NAT64 127.0.0.1"],
      ["64:ff9b::192.168.0.1", "private", "NAT64 192.168.0.1"],
      ["64:ff9b::a9fe:a9fe", "link_local", "NAT64 169.254.169.254"],
      ["64:ff9b::a83f:8110", "cloud_metadata", "NAT64 168.63.129.16"],
    ],
    public: ["64:ff9b::808:808"],
  },
  {
    cidr: "2002::/16",
    refused: [
      ["2002:7f00:1::", "loopback", "6to4 127.0.0.1"],
      ["2002:a9fe:a9fe::1", "link_local", "6to4 169.254.169.254"],
      ["2002:a83f:8110::1", "cloud_metadata", "6to4 168.63.129.16"],
      ["2002:c000:c0::", "reserved", "Oracle Cloud"],
    ],
    public: ["2002:808:808::1"],
  },
];

Deno.test("every IPv4 block refuses its edges and lets its public neighbours through", () => {
  for (const entry of V4) {
    for (const ip of entry.inside) {
      const got = classifyAddress(ip);
      assert.equal(got?.range, entry.range, `${ip} (${entry.cidr})`);
      assert.match(got.description, new RegExp(entry.mentions), `${ip} (${entry.cidr})`);
    }
    for (const ip of entry.outside ?? []) {
      assert.equal(classifyAddress(ip), null, `${ip} is just outside ${entry.cidr}`);
    }
  }
});

Deno.test("every IPv6 block refuses its edges and lets its public neighbours through", () => {
  for (const entry of V6) {
    for (const ip of entry.inside) {
      const got = classifyAddress(ip);
      assert.equal(got?.range, entry.range, `${ip} (${entry.cidr})`);
      assert.match(got.description, new RegExp(entry.mentions), `${ip} (${entry.cidr})`);
    }
    for (const ip of entry.outside ?? []) {
      assert.equal(classifyAddress(ip), null, `${ip} is just outside ${entry.cidr}`);
    }
  }
});

Deno.test("IPv6 forms carrying an IPv4 address are judged by that address", () => {
  for (const entry of EMBEDDINGS) {
    for (const [ip, range, mentions] of entry.refused) {
      const got = classifyAddress(ip);
      assert.equal(got?.range, range, `${ip} (${entry.cidr})`);
      assert.match(got.description, new RegExp(mentions), ip);
    }
    for (const ip of entry.public) assert.equal(classifyAddress(ip), null, ip);
  }
});

Deno.test("ISATAP interface identifiers are judged by the IPv4 address they carry", () => {
  const cases: [string, string | null][] = [
    ["2001:4860:1::5efe:a9fe:a9fe", "link_local"],
    ["2001:4860:1::200:5efe:a9fe:a9fe", "link_local"],
    ["2a00:1450::5efe:a00:1", "private"],
    ["2a00:1450::5efe:7f00:1", "loopback"],
    ["2a00:1450::5efe:808:808", null],
    ["2a00:1450::200:5efe:808:808", null],
    // Not ISATAP: another interface identifier that happens to end in a private IPv4.
    ["2a00:1450::1:5efe:a00:1", null],
  ];
  for (const [ip, range] of cases) {
    assert.equal(classifyAddress(ip)?.range ?? null, range, ip);
  }
});

Deno.test("outside global unicast 2000::/3 everything is reserved, inside it the rest is public", () => {
  for (const ip of ["1::1", "4000::1", "8000::", "e000::1", "0:0:1::1", "::ffff:0:808:808"]) {
    assert.equal(classifyAddress(ip)?.range, "reserved", ip);
  }
  const publicV6 = [
    "2001:200::1",
    "2001:4860:4860::8888",
    "2606:2800:220:1:248:1893:25c8:1946",
    "2a00:1450:4001:81b::200e",
    "2620:4f:8000::1",
    "3ffe::1",
  ];
  for (const ip of publicV6) assert.equal(classifyAddress(ip), null, ip);
});

Deno.test("globally reachable special-purpose IPv4 blocks and ordinary addresses are public", () => {
  const publicV4 = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "192.31.196.1",
    "192.52.193.1",
    "192.175.48.1",
    "223.255.255.255",
  ];
  for (const ip of publicV4) assert.equal(isPublicAddress(ip), true, ip);
});

Deno.test("the specification above covers every entry of the blocklist, and only those", () => {
  assert.deepEqual(
    IPV4_BLOCKS.map((b) => b.cidr),
    V4.map((e) => e.cidr),
  );
  assert.deepEqual(
    IPV6_BLOCKS.map((b) => b.cidr),
    V6.map((e) => e.cidr),
  );
  assert.deepEqual(
    IPV6_EMBEDDINGS.map((e) => e.cidr),
    EMBEDDINGS.map((e) => e.cidr),
  );
});

Deno.test("strings that are not canonical IP addresses are never public", () => {
  const cases = ["", "localhost", "127.1", "0x7f.0.0.1", "017.0.0.1", "1.2.3.4.5", "1::2::3"];
  for (const ip of cases) {
    assert.equal(classifyAddress(ip)?.range, "invalid", JSON.stringify(ip));
  }
});
