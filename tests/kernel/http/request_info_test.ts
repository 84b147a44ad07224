import assert from "node:assert/strict";
import { clientIp, requestHost, requestMeta, splitUrl } from "../../../kernel/http/request_info.ts";

Deno.test("splitUrl() splits the still-encoded path from the query and drops the fragment", () => {
  const cases: [string, string, string][] = [
    ["http://a/", "/", ""],
    ["http://a", "/", ""],
    ["http://a/x%20y/z?q=1&r=%2F", "/x%20y/z", "?q=1&r=%2F"],
    ["http://a:8080/p?", "/p", "?"],
    ["http://a/p#frag?not-query", "/p", ""],
    ["http://a/p?q#f", "/p", "?q"],
  ];
  for (const [url, pathname, search] of cases) {
    assert.deepEqual(splitUrl(url), { pathname, search }, url);
  }
});

Deno.test("requestHost() is the Host header, or the URL's host for in-process requests", () => {
  assert.equal(
    requestHost(new Request("http://a.test/x", { headers: { host: "b.test:81" } })),
    "b.test:81",
  );
  assert.equal(requestHost(new Request("http://a.test:82/x")), "a.test:82");
  assert.equal(requestHost(new Request("http://[::1]:83")), "[::1]:83");
});

Deno.test("the client's IP is the peer's unless a trusted proxy names it (its last hop)", () => {
  const req = new Request("http://a/", {
    headers: { "x-forwarded-for": "203.0.113.1, 198.51.100.2" },
  });
  const peer = { remoteAddr: { hostname: "127.0.0.1" } };
  assert.equal(clientIp(req, peer, false), "127.0.0.1");
  assert.equal(clientIp(req, peer, true), "198.51.100.2");
  assert.equal(clientIp(new Request("http://a/"), peer, true), "127.0.0.1");
  assert.equal(clientIp(new Request("http://a/"), undefined, false), "local");
});

Deno.test("a request is secure over https, or as a trusted proxy's X-Forwarded-Proto says", () => {
  const proxied = new Request("http://a/", { headers: { "x-forwarded-proto": "https" } });
  assert.equal(requestMeta(proxied, undefined, false).secure, false, "untrusted header ignored");
  assert.equal(requestMeta(proxied, undefined, true).secure, true);
  assert.equal(requestMeta(new Request("https://a/"), undefined, false).secure, true);
  const downgraded = new Request("https://a/", { headers: { "x-forwarded-proto": "http" } });
  assert.equal(requestMeta(downgraded, undefined, true).secure, false);
});
