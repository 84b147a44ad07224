import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { createCsr, rawSignatureToDer } from "../../../../kernel/services/tls/csr.ts";

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** `openssl req -verify -text` on the CSR: its output, failing the test if openssl refuses it. */
async function opensslReads(der: Uint8Array): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["req", "-in", "-", "-noout", "-text", "-verify"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(pem(der)));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `openssl refused the CSR:\n${text}`);
  return text;
}

Deno.test("a CSR for two names verifies with openssl: CN, SAN, key and signature", async () => {
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const text = await opensslReads(await createCsr(keys, ["app.example.test", "www.example.test"]));
  assert.match(text, /self-signature verify OK/);
  assert.match(text, /Subject: CN\s?=\s?app\.example\.test/);
  assert.match(text, /DNS:app\.example\.test, DNS:www\.example\.test/);
  assert.match(text, /Requested Extensions:/);
  assert.match(text, /ASN1 OID: prime256v1/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /Version: 1 \(0x0\)/);
});

Deno.test("a first name too long for a common name goes in the SAN only", async () => {
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const long = `${"a".repeat(60)}.example.test`;
  const text = await opensslReads(await createCsr(keys, [long]));
  assert.doesNotMatch(text, /CN\s?=/);
  assert.match(text, new RegExp(`DNS:${long.replaceAll(".", "\\.")}`));
});

Deno.test("a CSR needs ASCII names, at least one", async () => {
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  await assert.rejects(createCsr(keys, []), { code: "invalid_input" });
  await assert.rejects(createCsr(keys, ["bücher.example"]), {
    code: "invalid_input",
    message: /xn--/,
  });
});

Deno.test("raw r||s signatures become DER that node:crypto verifies", async () => {
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const publicKey = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  for (let i = 0; i < 20; i++) {
    const data = new TextEncoder().encode(`message ${i}`);
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, data),
    );
    const der = rawSignatureToDer(raw);
    assert.ok(
      verify("sha256", data, { key: publicKey, dsaEncoding: "der" }, der),
      `signature ${i}`,
    );
  }
  assert.throws(() => rawSignatureToDer(new Uint8Array(63)), /even length/);
});
