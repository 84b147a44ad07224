import assert from "node:assert/strict";
import { join } from "node:path";
import { caddyfile, startCaddy } from "../../bench/caddy.ts";
import { findExecutable } from "../../bench/process.ts";
import { makeBenchCertificate } from "../../bench/tls_cert.ts";
import { httpsClient } from "../../bench/https_request.ts";

const caddy = await findExecutable("caddy");
const openssl = await findExecutable("openssl");

Deno.test("the Caddyfile turns admin, redirects and HTTP/3 off and pins TLS", () => {
  const text = caddyfile({
    siteDir: "/site",
    port: 8443,
    httpPort: 8080,
    certFile: "/c.pem",
    keyFile: "/k.pem",
    protocols: "tls1.3",
    curve: "secp256r1",
  });
  for (
    const line of [
      "admin off",
      "auto_https disable_redirects",
      "protocols h1 h2",
      "bind 127.0.0.1",
      "tls /c.pem /k.pem {",
      "protocols tls1.3",
      "curves secp256r1",
      "root * /site",
      "file_server",
    ]
  ) assert.ok(text.includes(line), `missing ${line}`);
});

Deno.test({
  name: "Caddy serves the folder over HTTPS with the given certificate, writing only in its prefix",
  ignore: !caddy || !openssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fazt-caddy-test-" });
    try {
      const cert = await makeBenchCertificate(openssl!, join(dir, "cert"), ["localhost"]);
      await Deno.mkdir(join(dir, "site"));
      await Deno.writeTextFile(join(dir, "site", "a.html"), "hello over tls");
      const server = await startCaddy(caddy!, join(dir, "caddy"), {
        siteDir: join(dir, "site"),
        certFile: cert.certFile,
        keyFile: cert.keyFile,
        protocols: "tls1.3",
        curve: "secp256r1",
      });
      const client = httpsClient({
        port: server.port,
        servername: "localhost",
        ca: await Deno.readTextFile(cert.caFile),
      });
      try {
        const res = await client.get("/a.html");
        assert.equal(res.status, 200);
        assert.equal(new TextDecoder().decode(res.body), "hello over tls");
      } finally {
        client.close();
        await server.child.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
