/**
 * The certificate operations while HTTPS is off (no TLS service in the
 * kernel): each tells the owner so with `conflict`, after the usual scope
 * checks; the inputs are bounded.
 */
import assert from "node:assert/strict";
import { withKernel } from "../../_helpers/kernel.ts";
import { MAX_PEM_CHARS } from "../../../kernel/ops/cert_ops.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

Deno.test("certs.* with HTTPS off: conflict, saying HTTPS is off and how to turn it on", async () => {
  await withKernel(async (t) => {
    const calls: [string, string, unknown][] = [
      ["GET", "/certs", undefined],
      ["POST", "/certs", { certPem: PEM, keyPem: KEY }],
      ["DELETE", "/certs/shop.example.org", undefined],
    ];
    for (const [method, path, body] of calls) {
      const res = await t.api(method, path, { body });
      assert.equal(res.status, 409, `${method} ${path}`);
      const { error } = await res.json();
      assert.equal(error.code, "conflict");
      assert.match(
        error.message,
        /^HTTPS is off: .*--domain set to a public name, or --https on, to turn HTTPS on\.$/,
      );
      assert.deepEqual(error.details, { https: false });
    }
  });
});

Deno.test("certs.add and certs.remove are the owner's; certs.list needs system:read", async () => {
  await withKernel(async (t) => {
    const { token: writer } = await t.kernel.services.tokens.create({
      name: "writer",
      scopes: ["apps:write", "system:read"],
    });
    for (
      const [method, path, body, status] of [
        ["POST", "/certs", { certPem: PEM, keyPem: KEY }, 403],
        ["DELETE", "/certs/x", undefined, 403],
        ["GET", "/certs", undefined, 409],
      ] as const
    ) {
      const res = await t.api(method, path, { body, token: writer });
      assert.equal(res.status, status, `${method} ${path}`);
      await res.body?.cancel();
    }
  });
});

Deno.test("certs.add bounds each PEM text at 64 KiB", async () => {
  await withKernel(async (t) => {
    const big = "x".repeat(MAX_PEM_CHARS + 1);
    for (const body of [{ certPem: big, keyPem: KEY }, { certPem: PEM, keyPem: big }]) {
      const res = await t.api("POST", "/certs", { body });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "invalid_input");
    }
    const empty = await t.api("POST", "/certs", { body: { certPem: "", keyPem: KEY } });
    assert.equal(empty.status, 400);
    await empty.body?.cancel();
  });
});
