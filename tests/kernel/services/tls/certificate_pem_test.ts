import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import {
  checkManualCertificate,
  pkcs8Pem,
  readChain,
} from "../../../../kernel/services/tls/certificate_pem.ts";
import { createTestCa, type TestCa } from "../../../_helpers/openssl.ts";

let ca: TestCa;
Deno.test.beforeAll(async () => {
  ca = await createTestCa("Certificate PEM Test CA");
});
Deno.test.afterAll(() => ca.remove());

const NOW = Date.now();

Deno.test("a chain's facts come from its leaf: DNS names, issuer, validity, fingerprint", async () => {
  const notAfter = new Date(Math.floor(NOW / 1000) * 1000 + 86_400_000);
  const leaf = await ca.issue({
    sans: ["DNS:Shop.Example.test", "IP:10.0.0.1", "DNS:www.example.test"],
    commonName: "shop.example.test",
    notAfter,
  });
  const read = readChain(`${leaf.certPem}\n${ca.caPem}`);
  assert.deepEqual(read.facts.names, ["shop.example.test", "www.example.test"]);
  assert.equal(read.facts.issuer, "Certificate PEM Test CA");
  assert.equal(read.facts.notAfter, notAfter.getTime());
  assert.ok(read.facts.notBefore < NOW);
  assert.equal(
    read.facts.fingerprint,
    new X509Certificate(leaf.certPem).fingerprint256.replaceAll(":", ""),
  );
  assert.match(read.facts.fingerprint, /^[0-9A-F]{64}$/);
  assert.equal(read.chainPem.match(/BEGIN CERTIFICATE/g)?.length, 2, "leaf and CA, in order");
  assert.ok(read.chainPem.startsWith(new X509Certificate(leaf.certPem).toString()));
});

Deno.test("garbage in the certificate file is invalid_input with what to give instead", () => {
  assert.throws(() => readChain("hello"), {
    code: "invalid_input",
    message: /holds no PEM certificate .* leaf first/,
  });
  assert.throws(
    () => readChain("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
    { code: "invalid_input", message: /Certificate 1 of the chain is not a valid PEM certificate/ },
  );
});

Deno.test("an owner's certificate: a good one passes and its key comes back as PKCS#8", async () => {
  for (const keyType of ["ec", "rsa"] as const) {
    const leaf = await ca.issue({ sans: ["DNS:*.example.test"], keyType });
    const sec1OrPkcs1 = createPrivateKey(leaf.keyPem).export({
      format: "pem",
      type: keyType === "ec" ? "sec1" : "pkcs1",
    }).toString();
    const checked = checkManualCertificate(leaf.certPem, sec1OrPkcs1, NOW);
    assert.deepEqual(checked.facts.names, ["*.example.test"]);
    assert.match(checked.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.ok(
      new X509Certificate(checked.chainPem).checkPrivateKey(createPrivateKey(checked.keyPem)),
    );
  }
});

Deno.test("an owner's certificate: wrong key, expired, garbage, encrypted key, no DNS name are refused", async () => {
  const good = await ca.issue({ sans: ["DNS:a.example.test"] });
  const other = await ca.issue({ sans: ["DNS:a.example.test"] });
  const rsa = await ca.issue({ sans: ["DNS:a.example.test"], keyType: "rsa" });
  const expired = await ca.issue({
    sans: ["DNS:old.example.test"],
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2020-01-02T00:00:00Z"),
  });
  const ipOnly = await ca.issue({ sans: ["IP:10.0.0.1"] });
  const encrypted = createPrivateKey(good.keyPem).export({
    format: "pem",
    type: "pkcs8",
    cipher: "aes-256-cbc",
    passphrase: "secret",
  }).toString();
  const cases: [string, string, RegExp][] = [
    [good.certPem, other.keyPem, /key does not belong to the certificate for a\.example\.test/],
    [good.certPem, rsa.keyPem, /key does not belong/],
    [
      expired.certPem,
      expired.keyPem,
      /for old\.example\.test expired on 2020-01-02T00:00:00\.000Z\. Renew it/,
    ],
    [good.certPem, "not a key", /not a PEM private key/],
    [good.certPem, encrypted, /encrypted with a passphrase.*openssl pkey/],
    [ipOnly.certPem, ipOnly.keyPem, /names no DNS host/],
    ["garbage", good.keyPem, /holds no PEM certificate/],
  ];
  for (const [cert, key, message] of cases) {
    assert.throws(() => checkManualCertificate(cert, key, NOW), { code: "invalid_input", message });
  }
});

Deno.test("pkcs8Pem wraps DER at 64 columns in a key node:crypto reads", async () => {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const pem = pkcs8Pem(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  assert.ok(pem.split("\n").every((line) => line.length <= 64));
  assert.equal(createPrivateKey(pem).asymmetricKeyType, "ec");
});
