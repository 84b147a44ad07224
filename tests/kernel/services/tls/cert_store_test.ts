import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { type Database, openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { createCertStore } from "../../../../kernel/services/tls/cert_store.ts";

const KEY = randomBytes(32);
const KEY_PEM =
  "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETFRAGMENT\n-----END PRIVATE KEY-----\n";
const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

async function withDb(fn: (db: Database, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-certstore-" });
  const db = openDatabase({ path: `${dir}/kernel.db`, migrations: KERNEL_MIGRATIONS });
  try {
    await fn(db, `${dir}/kernel.db`);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a certificate is stored with its key sealed, and read back whole", async () => {
  await withDb(async (db, path) => {
    const store = createCertStore({ db, key: KEY, now: () => 42 });
    const saved = await store.saveCertificate({
      id: "app.example.test",
      names: ["app.example.test"],
      source: "acme",
      certPem: CERT_PEM,
      keyPem: KEY_PEM,
      issuer: "Pebble Intermediate CA",
      notBefore: 1000,
      notAfter: 2000,
    });
    const expected = {
      id: "app.example.test",
      names: ["app.example.test"],
      source: "acme",
      certPem: CERT_PEM,
      keyPem: KEY_PEM,
      keyUnreadable: false,
      issuer: "Pebble Intermediate CA",
      notBefore: 1000,
      notAfter: 2000,
      lastError: null,
      lastErrorAt: null,
      retryAt: null,
      failures: 0,
      updatedAt: 42,
    };
    assert.deepEqual(saved, expected);
    assert.deepEqual(store.get("app.example.test"), expected);
    assert.deepEqual(store.all(), [expected]);
    assert.equal(store.get("other.example.test"), null);
    await db.checkpoint();
    const bytes = Buffer.from(await Deno.readFile(path));
    assert.equal(bytes.includes("PRIVATE KEY"), false);
    assert.equal(bytes.includes("SECRETFRAGMENT"), false);
    assert.equal(bytes.includes("BEGIN CERTIFICATE"), true, "the certificate itself is public");
  });
});

Deno.test("a failure keeps the certificate and counts; a success clears the error", async () => {
  await withDb(async (db) => {
    const store = createCertStore({ db, key: KEY, now: () => 7 });
    const first = await store.saveFailure({
      id: "new.example.test",
      names: ["new.example.test"],
      error: "The ACME server refused …",
      at: 100,
      retryAt: 5100,
      failures: 1,
    });
    assert.equal(first.certPem, null);
    assert.equal(first.keyPem, null);
    assert.equal(first.source, "acme");
    assert.deepEqual(
      [first.lastError, first.lastErrorAt, first.retryAt, first.failures],
      ["The ACME server refused …", 100, 5100, 1],
    );
    await store.saveCertificate({
      id: "new.example.test",
      names: ["new.example.test"],
      source: "acme",
      certPem: CERT_PEM,
      keyPem: KEY_PEM,
      issuer: null,
      notBefore: 1,
      notAfter: 2,
    });
    const renewalFailed = await store.saveFailure({
      id: "new.example.test",
      names: ["new.example.test"],
      error: "timeout",
      at: 200,
      retryAt: 300,
      failures: 1,
    });
    assert.equal(renewalFailed.certPem, CERT_PEM, "the certificate stays");
    assert.equal(renewalFailed.keyPem, KEY_PEM);
    assert.equal(renewalFailed.lastError, "timeout");
    const renewed = await store.saveCertificate({
      id: "new.example.test",
      names: ["new.example.test"],
      source: "acme",
      certPem: CERT_PEM,
      keyPem: KEY_PEM,
      issuer: null,
      notBefore: 3,
      notAfter: 4,
    });
    assert.deepEqual(
      [renewed.lastError, renewed.lastErrorAt, renewed.retryAt, renewed.failures, renewed.notAfter],
      [null, null, null, 0, 4],
    );
    assert.equal(await store.remove("new.example.test"), true);
    assert.equal(await store.remove("new.example.test"), false);
    assert.deepEqual(store.all(), []);
  });
});

Deno.test("accounts are kept per directory; another secrets key opens neither accounts nor keys", async () => {
  await withDb(async (db, path) => {
    const store = createCertStore({ db, key: KEY });
    const jwk = JSON.stringify({ kty: "EC", crv: "P-256", d: "SECRETACCOUNTD", x: "x", y: "y" });
    await store.saveAccount("https://ca.test/dir", { keyJwk: jwk, accountUrl: null });
    await store.saveAccount("https://ca.test/dir", {
      keyJwk: jwk,
      accountUrl: "https://ca.test/acct/1",
    });
    assert.deepEqual(store.account("https://ca.test/dir"), {
      keyJwk: jwk,
      accountUrl: "https://ca.test/acct/1",
    });
    assert.equal(store.account("https://other.test/dir"), null);
    await store.saveCertificate({
      id: "a.example.test",
      names: ["a.example.test"],
      source: "acme",
      certPem: CERT_PEM,
      keyPem: KEY_PEM,
      issuer: null,
      notBefore: 1,
      notAfter: 2,
    });
    await db.checkpoint();
    assert.equal(Buffer.from(await Deno.readFile(path)).includes("SECRETACCOUNTD"), false);

    const stranger = createCertStore({ db, key: randomBytes(32) });
    assert.equal(stranger.account("https://ca.test/dir"), null);
    const [row] = stranger.all();
    assert.equal(row.keyPem, null);
    assert.equal(row.keyUnreadable, true);
    assert.equal(row.certPem, CERT_PEM);
  });
});
