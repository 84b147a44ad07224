/**
 * Custom domains and certificates through the real CLI against a real
 * `fazt serve` (plain HTTP: HTTPS is off): `domain add/list/rm` in human
 * and JSON output, the app served at its custom domain and never the admin
 * there, a rename keeping the domain, refused names with their reason and
 * exit code, `route add` pointing full names at `domain add`, and `cert
 * add/list/rm` saying that HTTPS is off (`cert add` reads its files on the
 * client).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, type CliResult, startServer } from "../_helpers/server.ts";

interface DomainView {
  domain: string;
  app: string;
  url: string;
  certificate: unknown;
  state: string;
  status: string;
}

/** A self-signed certificate and its key, written to `dir` (openssl, from Debian). */
async function selfSigned(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=shop.example.org",
      "-addext",
      "subjectAltName=DNS:shop.example.org",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return { cert, key };
}

Deno.test("custom domains and certificates through the CLI, with HTTPS off", async (t) => {
  const server = await startServer();
  const files = await Deno.makeTempDir({ prefix: "fazt-domains-" });
  const fazt = (args: string[]): Promise<CliResult> => cli([...args, "--data", server.dataDir]);
  const ok = async (args: string[]): Promise<string> => {
    const res = await fazt(args);
    assert.equal(res.code, 0, `fazt ${args.join(" ")}:\n${res.stderr}`);
    return res.stdout;
  };
  const page = async (host: string, path = "/"): Promise<[number, string]> => {
    const res = await server.fetch(host, path);
    return [res.status, await res.text()];
  };
  try {
    const deployed = await server.api("POST", "/apps/shop/deploy-files", {
      files: { "index.html": { text: "<h1>shop</h1>" } },
    });
    assert.equal(deployed.status, 200, await deployed.text());

    await t.step("domain add serves the app there; domain list shows it", async () => {
      const added = await ok(["domain", "add", "Shop.Example.org", "--app", "shop"]);
      assert.match(added, /^domain\s+shop\.example\.org$/m);
      assert.match(added, /^app\s+shop$/m);
      assert.match(added, /^status\s+HTTPS is off \(fazt serves plain HTTP;/m);
      assert.deepEqual(await page("shop.example.org"), [200, "<h1>shop</h1>"]);
      assert.deepEqual(await page(`shop.example.org:${server.port}`), [200, "<h1>shop</h1>"]);

      const table = (await ok(["domain", "list"])).split("\n");
      assert.match(table[0], /^DOMAIN\s+APP\s+STATUS$/);
      assert.match(table[1], /^shop\.example\.org\s+shop\s+HTTPS is off/);
      const [view] = JSON.parse(await ok(["domain", "list", "--json"])) as DomainView[];
      assert.deepEqual(
        [view.domain, view.app, view.url, view.certificate, view.state],
        ["shop.example.org", "shop", `http://shop.example.org:${server.port}/`, null, "off"],
      );
    });

    await t.step("the custom domain is never the admin host", async () => {
      for (const path of ["/_fazt/", "/_fazt/login", "/_fazt/api/openapi.json", "/_fazt/mcp"]) {
        assert.equal((await page("shop.example.org", path))[0], 404, path);
      }
      const res = await server.fetch("shop.example.org", "/_fazt/api/apps", {
        headers: { authorization: `Bearer ${server.token}` },
      });
      assert.equal(res.status, 404);
      await res.body?.cancel();
      assert.equal((await page(`127.0.0.1:${server.port}`, "/_fazt/login"))[0], 200);
    });

    await t.step("refused names exit 2 with the reason", async () => {
      const cases: [string[], RegExp][] = [
        [["domain", "add", "bücher.example", "--app", "shop"], /"xn--bcher-kva\.example"/],
        [["domain", "add", "blog.localhost", "--app", "shop"], /fazt route add blog <app>/],
        [["domain", "add", "10.0.0.1", "--app", "shop"], /IP address/],
        [["domain", "add", "shop", "--app", "shop"], /fazt route add shop <app>/],
        [["domain", "add", "x.example.org"], /Missing app/],
        [["route", "add", "deals.example.org", "shop"], /fazt domain add deals\.example\.org/],
      ];
      for (const [args, message] of cases) {
        const res = await fazt(args);
        assert.equal(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
        assert.match(res.stderr, message, args.join(" "));
      }
      const taken = await fazt(["domain", "add", "shop.example.org", "--app", "shop"]);
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /already points at the app "shop"/);
    });

    await t.step("a rename keeps the domain", async () => {
      await ok(["app", "rename", "shop", "store"]);
      const [view] = JSON.parse(await ok(["domain", "list", "--json"])) as DomainView[];
      assert.equal(view.app, "store");
      assert.deepEqual(await page("shop.example.org"), [200, "<h1>shop</h1>"]);
    });

    await t.step("cert add/list/rm say HTTPS is off; cert add reads its files", async () => {
      const { cert, key } = await selfSigned(files);
      for (
        const args of [
          ["cert", "add", "--cert", cert, "--key", key],
          ["cert", "list"],
          ["cert", "rm", "shop.example.org"],
        ]
      ) {
        const res = await fazt(args);
        assert.equal(res.code, 1, args.join(" "));
        assert.match(res.stderr, /^error: HTTPS is off: fazt serves plain HTTP/, args.join(" "));
        assert.equal(res.stdout, "");
      }
      const json = await fazt(["cert", "add", "--cert", cert, "--key", key, "--json"]);
      assert.equal(JSON.parse(json.stderr).error.code, "conflict");
      const missing = await fazt(["cert", "add", "--cert", join(files, "nope.pem"), "--key", key]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--cert: no file at ".*nope\.pem"/);
      const big = join(files, "big.pem");
      await Deno.writeTextFile(big, "x".repeat(300 * 1024));
      const tooBig = await fazt(["cert", "add", "--cert", big, "--key", key]);
      assert.equal(tooBig.code, 2);
      assert.match(tooBig.stderr, /--cert: ".*big\.pem" is 300 KiB, more than this command sends/);
      const inline = await fazt(["cert", "add", "--certPem", "-----BEGIN", "--key", key]);
      assert.equal(inline.code, 2);
      assert.match(inline.stderr, /Unknown flag --certPem\. Usage: fazt cert add --cert FILE/);
      const help = await fazt(["cert", "add", "--help"]);
      assert.match(help.stdout, /^Usage: fazt cert add --cert FILE --key FILE \[--json\]$/m);
    });

    await t.step("domain rm stops serving it; the app stays", async () => {
      const removed = await ok(["domain", "rm", "shop.example.org"]);
      assert.match(removed, /^domain\s+shop\.example\.org$/m);
      assert.equal(await ok(["domain", "list"]), "(none)\n");
      assert.equal((await page("shop.example.org"))[0], 404);
      assert.deepEqual(await page("store.localhost"), [200, "<h1>shop</h1>"]);
      const again = await fazt(["domain", "rm", "shop.example.org"]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /No custom domain "shop\.example\.org" exists/);
    });
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(files, { recursive: true }).catch(() => {});
  }
});
