/**
 * Hostile apps against the egress guard, through a real server: cloud
 * metadata and platform services (Azure's public 168.63.129.16 included) in
 * every spelling, and ports of other protocols, are refused before any
 * connection. That the guard connects only to the address it checked (no DNS
 * rebinding) is shown with real sockets in
 * `tests/kernel/services/egress/egress_guard_rebinding_test.ts`: a real server resolves
 * names through the system's DNS, which a test cannot make lie.
 */
import assert from "node:assert/strict";
import { type HostileCase, runHostileSuite } from "../_helpers/hostile.ts";

/** Fetches each URL of the JSON body; answers URL → what happened. */
const PROBE = {
  "api/main.js": `export default async (req) => {
  const out = {};
  for (const url of await req.json()) {
    try {
      const res = await fetch(url);
      out[url] = "fetched: " + res.status;
    } catch (err) {
      out[url] = String(err);
    }
  }
  return out;
};
`,
};

async function probe(
  ctx: Parameters<HostileCase["run"]>[0],
  urls: string[],
): Promise<Record<string, string>> {
  const res = await ctx.get("probe", "/api/probe", { method: "POST", body: JSON.stringify(urls) });
  assert.equal(res.status, 200, res.text);
  const out = JSON.parse(res.text) as Record<string, string>;
  assert.deepEqual(Object.keys(out), urls);
  return out;
}

const CASES: HostileCase[] = [
  {
    name:
      "cloud metadata and platform services are refused in every spelling, naming what they are",
    async run(ctx) {
      await ctx.deploy("probe", PROBE);
      const cases: [string, string][] = [
        ["http://168.63.129.16/machine?comp=goalstate", "Azure"],
        ["http://168.63.129.16:32526/vmSettings", "Azure"],
        ["http://2822734096/", "Azure"],
        ["http://0xa83f8110/", "Azure"],
        ["http://[::ffff:168.63.129.16]/", "Azure"],
        ["http://[64:ff9b::a83f:8110]/", "Azure"],
        ["http://[2002:a83f:8110::1]/", "Azure"],
        ["http://169.254.169.254/latest/meta-data/", "cloud metadata"],
        ["http://[::ffff:a9fe:a9fe]/latest/meta-data/", "cloud metadata"],
        ["http://[::a9fe:a9fe]/", "cloud metadata"],
        ["http://169.254.170.2/v2/credentials/x", "AWS ECS"],
        ["http://100.100.100.200/latest/meta-data/", "Alibaba Cloud"],
        ["http://192.0.0.192/latest/", "Oracle Cloud"],
        ["http://169.254.42.42/conf", "Scaleway"],
        ["http://[fd00:ec2::254]/latest/meta-data/", "AWS"],
        ["http://[fd20:ce::254]/computeMetadata/v1/", "Google Cloud"],
        ["http://[fd00:a9fe:a9fe::1]/v1/instance", "Akamai"],
        ["http://[fe80::a9fe:a9fe]/openstack", "OpenStack"],
      ];
      const outputBefore = ctx.server.output();
      const out = await probe(ctx, cases.map(([url]) => url));
      for (const [url, mentions] of cases) {
        assert.match(out[url], /refused: .+; apps may only reach public internet hosts/, url);
        assert.match(out[url], new RegExp(mentions), `${url}: ${out[url]}`);
      }
      assert.equal(ctx.server.output(), outputBefore);
    },
  },
  {
    name: "ports of other protocols (mail, SSH, IRC) are refused whatever the host",
    async run(ctx) {
      await ctx.deploy("probe", PROBE);
      const urls = [
        "http://93.184.216.34:25/",
        "https://93.184.216.34:465/",
        "http://[2606:2800:220:1:248:1893:25c8:1946]:22/",
        "http://93.184.216.34:6667/",
      ];
      const out = await probe(ctx, urls);
      for (const url of urls) {
        assert.match(out[url], /refused: port \d+ belongs to a protocol other than HTTP/, url);
      }
    },
  },
];

runHostileSuite(
  "hostile apps cannot reach cloud metadata, platform services or other protocols",
  CASES,
);
