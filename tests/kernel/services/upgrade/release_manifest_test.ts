import assert from "node:assert/strict";
import {
  canonicalJson,
  generateReleaseKeyPair,
  type Release,
  signManifest,
  verifyManifest,
} from "../../../../kernel/services/upgrade/release_manifest.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";

const release: Release = {
  version: "0.2.0",
  platforms: { "linux-x86_64": { url: "fazt-linux-x86_64", size: 10, sha256: "a".repeat(64) } },
};
const bytes = (text: string) => new TextEncoder().encode(text);
const code = (c: string, pattern: RegExp) => (err: unknown) =>
  err instanceof FaztError && err.code === c && pattern.test(err.message);

Deno.test("canonical JSON sorts keys at every level and has no whitespace", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: "x" }], c: null } }),
    '{"a":{"c":null,"d":[2,{"e":"x","f":1}]},"b":1}',
  );
});

Deno.test("a signed manifest verifies with its key, also reformatted", async () => {
  const keys = await generateReleaseKeyPair();
  const text = await signManifest(release, keys.privateKey);
  assert.deepEqual(await verifyManifest(bytes(text), [keys.publicKey]), release);
  const reordered = JSON.parse(text);
  reordered.release = {
    platforms: reordered.release.platforms,
    version: reordered.release.version,
  };
  assert.deepEqual(
    await verifyManifest(bytes(JSON.stringify(reordered)), [keys.publicKey]),
    release,
  );
  const other = await generateReleaseKeyPair();
  assert.deepEqual(await verifyManifest(bytes(text), [other.publicKey, keys.publicKey]), release);
});

Deno.test("a changed field, another key or no key at all is refused", async () => {
  const keys = await generateReleaseKeyPair();
  const text = await signManifest(release, keys.privateKey);
  const tampered = JSON.parse(text);
  tampered.release.platforms["linux-x86_64"].sha256 = "b".repeat(64);
  await assert.rejects(
    verifyManifest(bytes(JSON.stringify(tampered)), [keys.publicKey]),
    code("forbidden", /signature of release 0\.2\.0 does not match/),
  );
  const other = await generateReleaseKeyPair();
  await assert.rejects(
    verifyManifest(bytes(text), [other.publicKey]),
    code("forbidden", /does not match/),
  );
  await assert.rejects(verifyManifest(bytes(text), []), code("forbidden", /trusts no release key/));
});

Deno.test("a signature over the release without the signing context does not verify", async () => {
  const keys = await generateReleaseKeyPair();
  const key = await crypto.subtle.importKey(
    "pkcs8",
    Uint8Array.from(atob(keys.privateKey), (c) => c.charCodeAt(0)),
    "Ed25519",
    false,
    ["sign"],
  );
  const bare = new Uint8Array(
    await crypto.subtle.sign("Ed25519", key, bytes(canonicalJson(release))),
  );
  const text = JSON.stringify({ release, signature: btoa(String.fromCharCode(...bare)) });
  await assert.rejects(
    verifyManifest(bytes(text), [keys.publicKey]),
    code("forbidden", /does not match/),
  );
});

Deno.test("anything not shaped like a manifest is refused before any key is tried", async () => {
  const keys = await generateReleaseKeyPair();
  for (const text of ["", "{}", "[1]", '{"release":{"version":"1"},"signature":"x"}']) {
    await assert.rejects(
      verifyManifest(bytes(text), [keys.publicKey]),
      code("bad_gateway", /not a fazt manifest/),
    );
  }
  const text = JSON.parse(await signManifest(release, keys.privateKey));
  text.release.extra = 1;
  await assert.rejects(
    verifyManifest(bytes(JSON.stringify(text)), [keys.publicKey]),
    code("bad_gateway", /not a fazt manifest/),
  );
});
