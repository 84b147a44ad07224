/**
 * The domain and certificate operations with HTTPS on: a kernel configured
 * for HTTPS (so its TLS service is the real one, on its own database),
 * driven over REST through the kernel's handler. No ACME server is reached:
 * owner certificates are checked and stored locally, and no TLS hello asks
 * for a name, so no order starts.
 */
import assert from "node:assert/strict";
import { createTestCa, type TestCa } from "../../_helpers/openssl.ts";
import { type TestKernel, withKernel } from "../../_helpers/kernel.ts";

interface CertItem {
  id: string;
  names: string[];
  source: string;
  issuer: string | null;
  state: string;
  status: string;
}

interface DomainItem {
  domain: string;
  url: string;
  certificate: CertItem | null;
  state: string;
  status: string;
}

const HTTPS = {
  httpPort: 80,
  // Never contacted: nothing here orders a certificate.
  acmeDirectory: "https://127.0.0.1:9/directory",
  acmeEmail: null,
  acmeCaPem: [],
  hsts: null,
};

/** Runs `fn` with a kernel that has HTTPS on for example.com, an app `shop` and a test CA. */
async function withHttps(fn: (t: TestKernel, ca: TestCa) => Promise<void>): Promise<void> {
  const ca = await createTestCa();
  try {
    await withKernel(async (t) => {
      assert.ok(t.kernel.services.tls, "HTTPS on gives the operations a TLS service");
      await t.kernel.services.apps.create("shop");
      await fn(t, ca);
    }, { domain: "example.com", publicPort: 443, https: HTTPS });
  } finally {
    await ca.remove();
  }
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

Deno.test("with HTTPS on, a domain shows the owner's certificate that covers it, or pending", async () => {
  await withHttps(async (t, ca) => {
    const notAfter = new Date(Date.now() + 30 * 86_400_000);
    const issued = await ca.issue({ sans: ["DNS:*.example.org"], notAfter });
    const added = await json<CertItem>(await t.api("POST", "/certs", { body: issued }), 201);
    assert.deepEqual(added.names, ["*.example.org"]);
    assert.equal(added.source, "manual");
    assert.equal(added.issuer, "fazt test CA");
    assert.equal(added.state, "active");
    assert.equal(
      added.status,
      `active until ${
        notAfter.toISOString().slice(0, 10)
      } (brought by the owner: replace it before then)`,
    );

    const add = (domain: string) => t.api("POST", "/domains", { body: { domain, app: "shop" } });
    const covered = await json<DomainItem>(await add("shop.example.org"), 201);
    assert.equal(covered.url, "https://shop.example.org/");
    assert.equal(covered.certificate?.id, added.id);
    assert.equal(covered.state, "active");
    const bare = await json<DomainItem>(await add("shop.example.net"), 201);
    assert.equal(bare.certificate, null);
    assert.deepEqual([bare.state, bare.status], [
      "pending",
      "pending (the first HTTPS request orders its certificate)",
    ]);
    const listed = await json<DomainItem[]>(await t.api("GET", "/domains"), 200);
    assert.deepEqual(listed.map((d) => [d.domain, d.state]), [
      ["shop.example.net", "pending"],
      ["shop.example.org", "active"],
    ]);
    const certs = await json<CertItem[]>(await t.api("GET", "/certs"), 200);
    assert.deepEqual(certs.map((c) => c.id), [added.id]);

    // The ID holds characters a path must escape (`manual:*.example.org`).
    const path = `/certs/${encodeURIComponent(added.id)}`;
    const removed = await json<CertItem>(await t.api("DELETE", path), 200);
    assert.equal(removed.id, added.id);
    assert.deepEqual(await json(await t.api("GET", "/certs"), 200), []);
    const after = await json<DomainItem[]>(await t.api("GET", "/domains"), 200);
    assert.deepEqual(after.map((d) => d.state), ["pending", "pending"]);
  });
});

Deno.test("with HTTPS on, the service's own refusals reach the caller as they are", async () => {
  await withHttps(async (t, ca) => {
    const one = await ca.issue({ sans: ["DNS:a.example.org"] });
    const other = await ca.issue({ sans: ["DNS:b.example.org"] });
    const mismatched = await t.api("POST", "/certs", {
      body: { certPem: one.certPem, keyPem: other.keyPem },
    });
    assert.equal(
      (await json<{ error: { code: string } }>(mismatched, 400)).error.code,
      "invalid_input",
    );
    const missing = await t.api("DELETE", "/certs/manual:nothing.example.org");
    assert.equal((await json<{ error: { code: string } }>(missing, 404)).error.code, "not_found");
    assert.deepEqual(await json(await t.api("GET", "/certs"), 200), []);
  });
});
