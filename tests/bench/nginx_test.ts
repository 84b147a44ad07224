import assert from "node:assert/strict";
import { nginxConfig } from "../../bench/nginx.ts";

const base = { prefix: "/p", siteDir: "/site", port: 8443, asRoot: false, workers: 1 };

Deno.test("nginxConfig serves plain HTTP without TLS settings", () => {
  const text = nginxConfig(base);
  assert.ok(text.includes("listen 127.0.0.1:8443;"));
  assert.ok(!text.includes("ssl"));
});

Deno.test("nginxConfig with TLS listens with ssl and pins protocol and curve", () => {
  const text = nginxConfig({
    ...base,
    tls: { certFile: "/c.pem", keyFile: "/k.pem", protocols: "TLSv1.3", curve: "prime256v1" },
  });
  for (
    const line of [
      "listen 127.0.0.1:8443 ssl;",
      "ssl_certificate /c.pem;",
      "ssl_certificate_key /k.pem;",
      "ssl_protocols TLSv1.3;",
      "ssl_ecdh_curve prime256v1;",
    ]
  ) assert.ok(text.includes(line), `missing ${line}`);
  // Everything else is the plain template's.
  const plain = nginxConfig(base).split("\n");
  const tls = text.split("\n").filter((l) => !l.includes("ssl_")).map((l) =>
    l.replace(" ssl;", ";")
  );
  assert.deepEqual(tls, plain);
});
