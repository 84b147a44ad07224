/**
 * fazt facing the internet alone, end to end: a real `fazt serve --https
 * on` against Debian's pebble (a real ACME CA, offline) validating HTTP-01
 * challenges on fazt's plain-HTTP port. Certificates are ordered at a
 * name's first TLS hello, only for names fazt serves; clients verify every
 * chain against pebble's root (verification is never off).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  type CliResult,
  hostFetch,
  startServer,
  type TestServer,
} from "../_helpers/server.ts";
import { freePort, httpsRequest, type Pebble, startPebble } from "../_helpers/pebble.ts";

const DOMAIN = "fazt.test";

interface DomainView {
  domain: string;
  app: string;
  state: string;
  status: string;
  certificate: { issuer: string | null; notAfter: string | null; lastError: string | null } | null;
}

/** A site folder with one page. */
async function site(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-https-site-" });
  await Deno.writeTextFile(join(dir, "index.html"), `<!doctype html><title>${text}</title>${text}`);
  return dir;
}

/** Runs the CLI against the server's data folder, expecting success. */
async function fazt(server: TestServer, args: string[]): Promise<CliResult> {
  const res = await cli([...args, "--data", server.dataDir]);
  assert.equal(res.code, 0, `fazt ${args.join(" ")}:\n${res.stdout}\n${res.stderr}`);
  return res;
}

/** Polls until `check` holds or the time is up. */
async function eventually(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "HTTPS with on-demand certificates from a real ACME CA",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const httpPort = freePort();
  const httpsPort = freePort();
  const pebble: Pebble = await startPebble({ httpPort });
  const dirs: string[] = [];
  const args = [
    "--domain",
    DOMAIN,
    "--https",
    "on",
    "--https-port",
    String(httpsPort),
    "--http-port",
    String(httpPort),
    "--acme-directory",
    pebble.directoryUrl,
    "--acme-ca",
    pebble.acmeCaFile,
    "--acme-email",
    "owner@fazt.test",
  ];
  let server = await startServer({ args });
  const get = (servername: string, path = "/") =>
    httpsRequest({ port: httpsPort, servername, ca: pebble.rootPem, path });
  const refused = async (servername: string) => {
    await assert.rejects(get(servername), (err: Error) => {
      assert.doesNotMatch(err.message, /self[- ]signed|unable to verify|certificate/i);
      return true;
    }, `${servername} should have no certificate`);
  };

  try {
    await t.step("the admin host gets its certificate at its first hello", async () => {
      assert.equal(await pebble.orders(), 0);
      const res = await get(DOMAIN, "/_fazt/health");
      assert.equal(res.status, 200, res.body);
      assert.equal(JSON.parse(res.body).status, "ok");
      assert.match(res.peer.subjectaltname, /DNS:fazt\.test\b/);
      assert.equal(res.headers["strict-transport-security"], "max-age=31536000");
      assert.equal(await pebble.orders(), 1);
      // The second request reuses it.
      assert.equal((await get(DOMAIN, "/_fazt/health")).status, 200);
      assert.equal(await pebble.orders(), 1);
      assert.match(server.output(), new RegExp(`https +port ${httpsPort}`));
    });

    await t.step(
      "an app's subdomain gets one on demand; concurrent hellos share one order",
      async () => {
        const dir = await site("blog home");
        dirs.push(dir);
        await fazt(server, ["app", "add", dir, "--name", "blog"]);
        const before = await pebble.orders();
        const answers = await Promise.all(Array.from({ length: 6 }, () => get(`blog.${DOMAIN}`)));
        for (const res of answers) {
          assert.equal(res.status, 200);
          assert.match(res.body, /blog home/);
        }
        assert.equal(new Set(answers.map((a) => a.peer.serialNumber)).size, 1);
        assert.equal(await pebble.orders(), before + 1);
      },
    );

    await t.step("a name fazt does not serve never makes an order", async () => {
      const before = await pebble.orders();
      await refused(`nope.${DOMAIN}`);
      await refused("random.example.org");
      await refused(`a.b.blog.${DOMAIN}`);
      assert.equal(await pebble.orders(), before);
    });

    await t.step("a custom domain gets its certificate and shows it in domain list", async () => {
      const dir = await site("shop front");
      dirs.push(dir);
      await fazt(server, ["app", "add", dir, "--name", "shop"]);
      await fazt(server, ["domain", "add", "shop.example.org", "--app", "shop"]);
      const res = await get("shop.example.org");
      assert.equal(res.status, 200);
      assert.match(res.body, /shop front/);
      assert.match(res.peer.subjectaltname, /DNS:shop\.example\.org/);
      const list = JSON.parse((await fazt(server, ["domain", "list", "--json"])).stdout) as
        | DomainView[]
        | { domains: DomainView[] };
      const domains = Array.isArray(list) ? list : list.domains;
      const shop = domains.find((d) => d.domain === "shop.example.org");
      assert.ok(shop, JSON.stringify(list));
      assert.equal(shop.app, "shop");
      assert.match(shop.certificate?.issuer ?? "", /pebble/i);
      assert.ok(Date.parse(shop.certificate?.notAfter ?? "") > Date.now());
      assert.equal(shop.state, "active");
      assert.equal(shop.certificate?.lastError, null);
    });

    await t.step("the plain port redirects to HTTPS", async () => {
      const res = await hostFetch(httpPort, `blog.${DOMAIN}`, "/docs?x=1");
      assert.equal(res.status, 301);
      assert.equal(res.headers.get("location"), `https://blog.${DOMAIN}:${httpsPort}/docs?x=1`);
    });

    await t.step("a failing challenge gives a clear error, then a retry succeeds", async () => {
      // The CA's DNS sends validation to an address where nothing listens.
      await pebble.resolve("news.example.org", "127.0.0.3");
      const dir = await site("news desk");
      dirs.push(dir);
      await fazt(server, ["app", "add", dir, "--name", "news"]);
      await fazt(server, ["domain", "add", "news.example.org", "--app", "news"]);
      await refused("news.example.org");
      const failing = async () => {
        const list = JSON.parse((await fazt(server, ["domain", "list", "--json"])).stdout) as
          | DomainView[]
          | { domains: DomainView[] };
        return (Array.isArray(list) ? list : list.domains).find((d) =>
          d.domain === "news.example.org"
        )!;
      };
      const failed = await failing();
      assert.match(failed.certificate?.lastError ?? "", /news\.example\.org/);
      assert.equal(failed.state, "failing");
      // While it backs off, hellos fail at once and make no new order.
      const during = await pebble.orders();
      await refused("news.example.org");
      assert.equal(await pebble.orders(), during);
      // Fixed: the next hello after the backoff (5 s) orders again and succeeds.
      await pebble.unresolve("news.example.org");
      await eventually(20_000, "the retry", async () => {
        try {
          const res = await get("news.example.org");
          return res.status === 200 && /news desk/.test(res.body);
        } catch {
          return false;
        }
      });
      assert.equal((await failing()).certificate?.lastError, null);
    });

    await t.step("a restart serves the stored certificates with no new order", async () => {
      const serialBefore = (await get(`blog.${DOMAIN}`)).peer.serialNumber;
      const orders = await pebble.orders();
      const accounts = await pebble.accountRequests();
      assert.equal(await server.stop(), 0);
      server = await startServer({ dataDir: server.dataDir, args });
      for (const name of [DOMAIN, `blog.${DOMAIN}`, "shop.example.org"]) {
        const res = await get(name, name === DOMAIN ? "/_fazt/health" : "/");
        assert.equal(res.status, 200, `${name}: ${res.body}`);
      }
      assert.equal((await get(`blog.${DOMAIN}`)).peer.serialNumber, serialBefore);
      assert.equal(await pebble.orders(), orders);
      assert.equal(await pebble.accountRequests(), accounts);
    });
  } finally {
    await server.stop();
    await pebble.stop();
    for (const dir of [...dirs, server.dataDir]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
});
