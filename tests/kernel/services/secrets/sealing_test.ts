import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { seal, unseal } from "../../../../kernel/services/secrets/sealing.ts";

const KEY = randomBytes(32);

Deno.test("a sealed value opens with its key and context, and holds no clear text", () => {
  const sealed = seal(KEY, "app_x/API_KEY", "s3cret value");
  assert.equal(Buffer.from(sealed).includes("s3cret"), false);
  assert.equal(sealed.length, 12 + 16 + "s3cret value".length);
  assert.equal(unseal(KEY, "app_x/API_KEY", sealed), "s3cret value");
  assert.notDeepEqual(seal(KEY, "app_x/API_KEY", "s3cret value"), sealed, "the IV is fresh");
});

Deno.test("another context, another key or a changed byte does not open", () => {
  const sealed = seal(KEY, "tls-certificate:a.example.com", "-----BEGIN PRIVATE KEY-----");
  assert.throws(() => unseal(KEY, "tls-certificate:b.example.com", sealed));
  assert.throws(() => unseal(randomBytes(32), "tls-certificate:a.example.com", sealed));
  const changed = Uint8Array.from(sealed);
  changed[changed.length - 1] ^= 1;
  assert.throws(() => unseal(KEY, "tls-certificate:a.example.com", changed));
});
