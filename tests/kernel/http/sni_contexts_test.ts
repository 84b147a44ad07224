import assert from "node:assert/strict";
import { serverNameOf, sniContexts } from "../../../kernel/http/sni_contexts.ts";
import type { CertificateKeyPair } from "../../../kernel/services/tls/tls_service.ts";
import { makeTestCa } from "../../_helpers/test_ca.ts";

Deno.test("server names are lowercased without a trailing dot; none, IPs and junk are no name", () => {
  assert.equal(serverNameOf("Shop.Example.ORG."), "shop.example.org");
  assert.equal(serverNameOf("a.test"), "a.test");
  for (const raw of [undefined, "", ".", "127.0.0.1", "::1", "[::1]", "a b", "a:443", "x/y"]) {
    assert.equal(serverNameOf(raw), null, String(raw));
  }
});

Deno.test("one context per name and version: reused while the version holds, rebuilt when it changes", async () => {
  const ca = await makeTestCa();
  try {
    const first = await ca.issue(["a.test", "b.test"]);
    const second = await ca.issue(["a.test", "b.test"]);
    let pair: CertificateKeyPair = { ...first, version: "v1", notAfter: 0 };
    const asked: string[] = [];
    const contextFor = sniContexts((name) => {
      asked.push(name);
      return Promise.resolve(name === "nobody.test" ? null : pair);
    }, 2);
    const a1 = await contextFor("A.test");
    assert.ok(a1);
    assert.equal(await contextFor("a.test"), a1, "the same version built a new context");
    pair = { ...second, version: "v2", notAfter: 0 };
    const a2 = await contextFor("a.test");
    assert.ok(a2 && a2 !== a1, "a new version kept the old context");
    assert.equal(await contextFor("a.test"), a2);
    assert.equal(await contextFor("nobody.test"), null);
    assert.equal(await contextFor(""), null);
    // At most two names are kept: a third evicts the least recently used.
    const b = await contextFor("b.test");
    await contextFor("a.test");
    await contextFor("c.test");
    assert.equal(await contextFor("a.test"), a2, "the recently used name was evicted");
    assert.notEqual(await contextFor("b.test"), b, "the least recently used name was kept");
    assert.deepEqual(asked.slice(0, 5), ["a.test", "a.test", "a.test", "a.test", "nobody.test"]);
  } finally {
    await ca.remove();
  }
});
