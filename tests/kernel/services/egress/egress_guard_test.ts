import assert from "node:assert/strict";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  createEgressGuard,
  type EgressOptions,
  type EgressRequest,
  isPublicAddress,
} from "../../../../kernel/services/egress/egress_guard.ts";

const PUBLIC_V4 = "93.184.216.34";
const PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946";

/** A call the fake transport received. */
interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

/** A fake transport that records calls and answers with `handler`. */
function fakeFetch(
  handler: (call: Call, signal: AbortSignal | undefined) => Response | Promise<Response>,
): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn: typeof fetch = async (input, init) => {
    const body = init?.body;
    const call: Call = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers)),
      body: body instanceof Uint8Array ? new Uint8Array(body) : null,
    };
    calls.push(call);
    return await handler(call, init?.signal ?? undefined);
  };
  return { fetch: fn, calls };
}

/** A resolver answering from a fixed table and recording the names asked. */
function fakeResolver(
  table: Record<string, string[]>,
): { resolve: (host: string) => Promise<string[]>; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolve: (host) => {
      asked.push(host);
      const found = table[host];
      return found ? Promise.resolve(found) : Promise.reject(new Error(`NXDOMAIN ${host}`));
    },
  };
}

const DEFAULT_DNS: Record<string, string[]> = {
  "example.com": [PUBLIC_V4, PUBLIC_V6],
  "other.example": [PUBLIC_V4],
  "evil.example": ["127.0.0.1"],
  "mixed.example": [PUBLIC_V4, "10.1.2.3"],
  "mixed6.example": [PUBLIC_V6, "fd00::1"],
  "metadata.example": ["169.254.169.254"],
};

function guardWith(
  handler: (call: Call, signal: AbortSignal | undefined) => Response | Promise<Response>,
  options: EgressOptions = {},
) {
  const transport = fakeFetch(handler);
  const dns = fakeResolver(DEFAULT_DNS);
  const guard = createEgressGuard({ resolve: dns.resolve, fetch: transport.fetch, ...options });
  return { guard, calls: transport.calls, asked: dns.asked };
}

async function rejection(p: Promise<unknown>): Promise<FaztError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FaztError, `expected a FaztError, got ${err}`);
    return err;
  }
  assert.fail("expected the fetch to be refused, but it succeeded");
}

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("isPublicAddress classifies both address families", () => {
  const cases: [string, boolean][] = [
    // public IPv4
    ["8.8.8.8", true],
    ["1.1.1.1", true],
    [PUBLIC_V4, true],
    ["100.63.255.255", true],
    ["100.128.0.0", true],
    ["172.15.255.255", true],
    ["172.32.0.0", true],
    ["169.253.255.255", true],
    ["192.167.255.255", true],
    ["223.255.255.255", true],
    ["11.0.0.1", true],
    // non-public IPv4
    ["127.0.0.1", false],
    ["127.255.255.254", false],
    ["0.0.0.0", false],
    ["0.1.2.3", false],
    ["10.0.0.1", false],
    ["10.255.255.255", false],
    ["172.16.0.1", false],
    ["172.31.255.255", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["169.254.0.1", false],
    ["100.64.0.1", false],
    ["100.127.255.255", false],
    ["192.0.0.8", false],
    ["192.0.2.1", false],
    ["198.18.0.1", false],
    ["198.19.255.255", false],
    ["198.51.100.7", false],
    ["203.0.113.9", false],
    ["224.0.0.1", false],
    ["239.255.255.250", false],
    ["240.0.0.1", false],
    ["255.255.255.255", false],
    // public IPv6
    [PUBLIC_V6, true],
    ["2001:4860:4860::8888", true],
    ["2a00:1450:4001:81b::200e", true],
    ["::ffff:8.8.8.8", true],
    ["64:ff9b::808:808", true],
    ["2002:808:808::1", true],
    // non-public IPv6
    ["::", false],
    ["::1", false],
    ["0:0:0:0:0:0:0:1", false],
    ["[::1]", false],
    ["fe80::1", false],
    ["fe80::1%eth0", false],
    ["febf:ffff::1", false],
    ["fec0::1", false],
    ["fc00::1", false],
    ["fd12:3456:789a::1", false],
    ["ff02::1", false],
    ["ff0e::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:7f00:1", false],
    ["::FFFF:A9FE:A9FE", false],
    ["::ffff:10.0.0.1", false],
    ["::127.0.0.1", false],
    ["64:ff9b::7f00:1", false],
    ["64:ff9b::192.168.0.1", false],
    ["2002:7f00:1::", false],
    ["2001:db8::1", false],
    ["3fff::1", false],
    ["2001::1", false],
    ["2001:2::1", false],
    ["100::1", false],
    ["4000::1", false],
    // not addresses at all: fail closed
    ["", false],
    ["localhost", false],
    ["example.com", false],
    ["127.1", false],
    ["0x7f.0.0.1", false],
    ["017.0.0.1", false],
    ["256.1.1.1", false],
    ["1.2.3.4.5", false],
    ["1::2::3", false],
    ["1:2:3:4:5:6:7:8:9", false],
    ["12345::1", false],
    ["::ffff:999.0.0.1", false],
  ];
  assert.ok(cases.length >= 40);
  for (const [ip, expected] of cases) {
    assert.equal(isPublicAddress(ip), expected, `isPublicAddress(${JSON.stringify(ip)})`);
  }
});

Deno.test("egress refuses local, private and non-http destinations without sending anything", async () => {
  const cases: {
    url: string;
    code: string;
    reason: string;
    address?: string;
    resolves?: boolean;
    mentions?: string;
  }[] = [
    {
      url: "http://127.0.0.1/",
      code: "forbidden",
      reason: "private_address",
      address: "127.0.0.1",
      mentions: "loopback",
    },
    { url: "http://10.0.0.1/", code: "forbidden", reason: "private_address", address: "10.0.0.1" },
    {
      url: "http://169.254.169.254/latest/meta-data/",
      code: "forbidden",
      reason: "private_address",
      address: "169.254.169.254",
      mentions: "cloud metadata",
    },
    { url: "http://[::1]/", code: "forbidden", reason: "private_address", address: "::1" },
    { url: "http://[fe80::1]:8080/", code: "forbidden", reason: "private_address" },
    { url: "http://localhost/", code: "forbidden", reason: "local_name" },
    { url: "http://LOCALHOST.:3000/", code: "forbidden", reason: "local_name" },
    { url: "http://foo.localhost/", code: "forbidden", reason: "local_name" },
    { url: "http://0.0.0.0/", code: "forbidden", reason: "private_address", address: "0.0.0.0" },
    { url: "http://0/", code: "forbidden", reason: "private_address", address: "0.0.0.0" },
    {
      url: "http://2130706433/",
      code: "forbidden",
      reason: "private_address",
      address: "127.0.0.1",
    },
    { url: "http://0x7f.1/", code: "forbidden", reason: "private_address", address: "127.0.0.1" },
    {
      url: "http://017700000001:80/",
      code: "forbidden",
      reason: "private_address",
      address: "127.0.0.1",
    },
    {
      url: "http://[::ffff:127.0.0.1]/",
      code: "forbidden",
      reason: "private_address",
      address: "::ffff:7f00:1",
    },
    { url: "http://[64:ff9b::a9fe:a9fe]/", code: "forbidden", reason: "private_address" },
    { url: "https://192.168.1.1:8443/admin", code: "forbidden", reason: "private_address" },
    { url: "file:///etc/passwd", code: "forbidden", reason: "unsupported_scheme" },
    { url: "data:text/plain,hello", code: "forbidden", reason: "unsupported_scheme" },
    { url: "ftp://example.com/file", code: "forbidden", reason: "unsupported_scheme" },
    { url: "blob:https://example.com/x", code: "forbidden", reason: "unsupported_scheme" },
    {
      url: "http://evil.example/",
      code: "forbidden",
      reason: "private_address",
      address: "127.0.0.1",
      resolves: true,
    },
    {
      url: "http://metadata.example/",
      code: "forbidden",
      reason: "private_address",
      address: "169.254.169.254",
      resolves: true,
    },
    {
      url: "http://mixed.example/",
      code: "forbidden",
      reason: "private_address",
      address: "10.1.2.3",
      resolves: true,
    },
    {
      url: "http://mixed6.example/",
      code: "forbidden",
      reason: "private_address",
      address: "fd00::1",
      resolves: true,
    },
    { url: "http://user:secret@example.com/", code: "forbidden", reason: "credentials_in_url" },
    { url: "https://token@example.com/", code: "forbidden", reason: "credentials_in_url" },
    {
      url: "http://no-such-host.example/",
      code: "unavailable",
      reason: "dns_failed",
      resolves: true,
    },
    { url: "not a url", code: "invalid_input", reason: "invalid_url" },
    { url: "/relative/path", code: "invalid_input", reason: "invalid_url" },
  ];
  for (const c of cases) {
    const { guard, calls, asked } = guardWith(() => new Response("should not be fetched"));
    const err = await rejection(guard.fetch({ url: c.url }));
    assert.equal(err.code, c.code, `${c.url}: ${err.message}`);
    assert.equal(err.details.reason, c.reason, c.url);
    if (c.address) assert.equal(err.details.address, c.address, c.url);
    if (c.mentions) assert.match(err.message, new RegExp(c.mentions), c.url);
    if (c.code === "forbidden") {
      assert.match(err.message, /refused: .+; apps may only reach public internet hosts\.$/, c.url);
    }
    assert.equal(calls.length, 0, `${c.url} reached the transport`);
    assert.equal(asked.length, c.resolves ? 1 : 0, `${c.url} resolver calls: ${asked}`);
    assert.doesNotMatch(err.message, /secret/, "credentials are never echoed");
  }
});

Deno.test("egress refusal message names the destination and the reason", async () => {
  const { guard } = guardWith(() => new Response("x"));
  const err = await rejection(
    guard.fetch({ url: "http://169.254.169.254/latest/meta-data/?token=abc" }),
  );
  assert.equal(
    err.message,
    "fetch to http://169.254.169.254/latest/meta-data/ refused: 169.254.169.254 is a link-local address (cloud metadata); apps may only reach public internet hosts.",
  );
  assert.deepEqual(err.details, {
    url: "http://169.254.169.254/latest/meta-data/",
    address: "169.254.169.254",
    reason: "private_address",
    range: "link_local",
  });
  assert.equal(err.status, 403);
});

Deno.test("egress refuses every cloud metadata and platform address, as a literal, by name and after a redirect", async () => {
  const metadata: [string, string][] = [
    ["169.254.169.254", "cloud metadata"],
    ["169.254.170.2", "AWS ECS"],
    ["169.254.170.23", "AWS EKS Pod Identity"],
    ["169.254.42.42", "Scaleway"],
    ["100.100.100.200", "Alibaba Cloud"],
    ["192.0.0.192", "Oracle Cloud"],
    ["168.63.129.16", "Azure"],
    ["fd00:ec2::254", "AWS"],
    ["fd00:ec2::23", "AWS EKS Pod Identity"],
    ["fd20:ce::254", "Google Cloud"],
    ["fd00:42::42", "Scaleway"],
    ["fd00:a9fe:a9fe::1", "Akamai"],
    ["fe80::a9fe:a9fe", "OpenStack"],
  ];
  for (const [address, mentions] of metadata) {
    const literal = address.includes(":") ? `[${address}]` : address;
    const transport = fakeFetch((call) =>
      call.url.startsWith("https://example.com/")
        ? redirect(302, `http://${literal}/latest/`)
        : new Response("metadata")
    );
    const dns = fakeResolver({ ...DEFAULT_DNS, "platform.example": [address] });
    const guard = createEgressGuard({ resolve: dns.resolve, fetch: transport.fetch });
    for (
      const url of [
        `http://${literal}/latest/`,
        "http://platform.example/",
        "https://example.com/r",
      ]
    ) {
      const err = await rejection(guard.fetch({ url }));
      assert.equal(err.code, "forbidden", `${url}: ${err.message}`);
      assert.equal(err.details.reason, "private_address", url);
      assert.equal(err.details.address, address, url);
      assert.match(err.message, new RegExp(mentions), url);
    }
    assert.deepEqual(transport.calls.map((c) => c.url), ["https://example.com/r"], address);
  }
});

Deno.test("egress refuses the fetch standard's blocked ports on every hop, before resolving", async () => {
  for (const port of [0, 1, 22, 25, 110, 143, 465, 587, 993, 2049, 6000, 6667, 10080]) {
    const { guard, calls, asked } = guardWith(() => redirect(302, `http://other.example:${port}/`));
    for (const url of [`http://example.com:${port}/`, `https://example.com:${port}/`]) {
      const err = await rejection(guard.fetch({ url }));
      assert.equal(err.code, "forbidden", url);
      assert.equal(err.details.reason, "blocked_port", url);
      assert.equal(err.details.port, port, url);
      assert.match(err.message, new RegExp(`port ${port} belongs to a protocol other than HTTP`));
    }
    assert.equal(calls.length, 0);
    assert.equal(asked.length, 0);
    const viaRedirect = await rejection(guard.fetch({ url: "https://example.com/" }));
    assert.equal(viaRedirect.details.reason, "blocked_port", `redirect to ${port}`);
    assert.equal(calls.length, 1);
  }
  for (const port of [80, 443, 8080, 8443, 3000, 5000, 9000]) {
    const { guard, calls } = guardWith(() => new Response("ok"));
    await guard.fetch({ url: `http://example.com:${port}/` });
    assert.equal(calls.length, 1, `port ${port} is an ordinary web port`);
  }
});

Deno.test("egress hands its transport exactly the addresses it checked", async () => {
  const seen: (readonly string[])[] = [];
  const dns = fakeResolver(DEFAULT_DNS);
  const guard = createEgressGuard({
    resolve: dns.resolve,
    fetch: (url, _init, addresses) => {
      seen.push(addresses);
      return Promise.resolve(
        url.startsWith("https://example.com/")
          ? redirect(302, "https://other.example/")
          : new Response("ok"),
      );
    },
  });
  await guard.fetch({ url: "https://example.com/" });
  await guard.fetch({ url: `http://[${PUBLIC_V6}]:8080/` });
  await guard.fetch({ url: `http://${PUBLIC_V4}/` });
  assert.deepEqual(seen, [[PUBLIC_V4, PUBLIC_V6], [PUBLIC_V4], [PUBLIC_V6], [PUBLIC_V4]]);
});

Deno.test("egress rejects malformed requests with invalid_input", async () => {
  const cases: { req: EgressRequest; reason: string }[] = [
    { req: { url: "https://example.com/", method: "CONNECT" }, reason: "method_not_allowed" },
    { req: { url: "https://example.com/", method: "trace" }, reason: "method_not_allowed" },
    { req: { url: "https://example.com/", method: "GE T" }, reason: "invalid_method" },
    { req: { url: "https://example.com/", body: text("x") }, reason: "body_not_allowed" },
    {
      req: { url: "https://example.com/", method: "HEAD", body: text("x") },
      reason: "body_not_allowed",
    },
    {
      req: { url: "https://example.com/", headers: [["x-bad", "a\r\nhost: evil"]] },
      reason: "invalid_header",
    },
    {
      req: { url: "https://example.com/", headers: [["bad name", "v"]] },
      reason: "invalid_header",
    },
  ];
  for (const c of cases) {
    const { guard, calls } = guardWith(() => new Response("x"));
    const err = await rejection(guard.fetch(c.req));
    assert.equal(err.code, "invalid_input", JSON.stringify(c.req.method));
    assert.equal(err.details.reason, c.reason);
    assert.equal(calls.length, 0);
  }
});

Deno.test("egress passes a public request through with method, cleaned headers and body", async () => {
  const { guard, calls, asked } = guardWith(() =>
    new Response("hello back", {
      status: 201,
      statusText: "Created",
      headers: { "x-reply": "1", "content-type": "text/plain" },
    })
  );
  const res = await guard.fetch({
    url: "https://example.com:8443/api?q=1",
    method: "post",
    headers: [
      ["Content-Type", "application/json"],
      ["X-Custom", "yes"],
      ["Cookie", "session=abc"],
      ["Authorization", "Bearer t"],
      ["Host", "internal.example"],
      ["Connection", "keep-alive, X-Drop-Me"],
      ["X-Drop-Me", "1"],
      ["Keep-Alive", "timeout=5"],
      ["Proxy-Authorization", "Basic xyz"],
      ["Proxy-Connection", "keep-alive"],
      ["Transfer-Encoding", "chunked"],
      ["Content-Length", "999"],
      ["TE", "trailers"],
      ["Upgrade", "websocket"],
    ],
    body: text('{"a":1}'),
  });
  assert.deepEqual(asked, ["example.com"]);
  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.equal(call.url, "https://example.com:8443/api?q=1");
  assert.equal(call.method, "POST");
  assert.deepEqual(call.headers, {
    "authorization": "Bearer t",
    "content-type": "application/json",
    "cookie": "session=abc",
    "user-agent": "fazt-app",
    "x-custom": "yes",
  });
  assert.deepEqual(call.body, text('{"a":1}'));
  assert.equal(res.status, 201);
  assert.equal(res.statusText, "Created");
  assert.equal(new TextDecoder().decode(res.body), "hello back");
  assert.deepEqual(Object.fromEntries(res.headers)["x-reply"], "1");
  assert.equal(res.url, "https://example.com:8443/api?q=1");
  assert.equal(res.redirected, false);
});

Deno.test("egress keeps an app's own user-agent and reaches public IP literals", async () => {
  const { guard, calls, asked } = guardWith(() => new Response(null, { status: 204 }));
  const res = await guard.fetch({
    url: `http://${PUBLIC_V4}/`,
    headers: [["User-Agent", "my-app/1.0"]],
  });
  await guard.fetch({ url: `http://[${PUBLIC_V6}]:8080/` });
  assert.equal(res.status, 204);
  assert.equal(res.body.byteLength, 0);
  assert.equal(calls[0].headers["user-agent"], "my-app/1.0");
  assert.equal(calls[1].headers["user-agent"], "fazt-app");
  assert.deepEqual(asked, [], "IP literals are checked without the resolver");
});

function redirect(status: number, location: string): Response {
  return new Response("moved", { status, headers: { location } });
}

Deno.test("egress re-checks every redirect hop and never fetches a refused one", async () => {
  const cases: { location: string; code: string; reason: string }[] = [
    { location: "http://127.0.0.1/", code: "forbidden", reason: "private_address" },
    { location: "http://169.254.169.254/latest/", code: "forbidden", reason: "private_address" },
    { location: "http://[::ffff:10.0.0.1]/", code: "forbidden", reason: "private_address" },
    { location: "http://localhost:8080/", code: "forbidden", reason: "local_name" },
    { location: "http://evil.example/", code: "forbidden", reason: "private_address" },
    { location: "file:///etc/passwd", code: "forbidden", reason: "unsupported_scheme" },
    { location: "http://u:p@other.example/", code: "forbidden", reason: "credentials_in_url" },
    { location: "http://[::1", code: "unavailable", reason: "bad_redirect" },
  ];
  for (const c of cases) {
    for (const status of [301, 302, 303, 307, 308]) {
      const { guard, calls } = guardWith(() => redirect(status, c.location));
      const err = await rejection(guard.fetch({ url: "https://example.com/start" }));
      assert.equal(err.code, c.code, `${status} → ${c.location}: ${err.message}`);
      assert.equal(err.details.reason, c.reason, `${status} → ${c.location}`);
      assert.equal(calls.length, 1, `${status} → ${c.location} fetched the second hop`);
    }
  }
});

Deno.test("egress follows public redirects, relative ones included", async () => {
  const { guard, calls } = guardWith((call) => {
    if (call.url === "https://example.com/a") return redirect(301, "/b");
    if (call.url === "https://example.com/b") return redirect(307, "https://other.example/c?x=1");
    return new Response(`final ${call.url}`);
  });
  const res = await guard.fetch({ url: "https://example.com/a" });
  assert.deepEqual(calls.map((c) => c.url), [
    "https://example.com/a",
    "https://example.com/b",
    "https://other.example/c?x=1",
  ]);
  assert.equal(res.status, 200);
  assert.equal(res.url, "https://other.example/c?x=1");
  assert.equal(res.redirected, true);
  assert.equal(new TextDecoder().decode(res.body), "final https://other.example/c?x=1");
});

Deno.test("egress returns 3xx responses it does not follow as they are", async () => {
  const cases = [
    new Response(null, { status: 304 }),
    new Response("choices", { status: 300, headers: { location: "http://127.0.0.1/" } }),
    new Response("no location", { status: 302 }),
  ];
  for (const answer of cases) {
    const { guard, calls } = guardWith(() => answer);
    const res = await guard.fetch({ url: "https://example.com/" });
    assert.equal(res.status, answer.status);
    assert.equal(res.redirected, false);
    assert.equal(calls.length, 1);
  }
});

Deno.test("egress enforces the redirect limit", async () => {
  const cases: { maxRedirects: number | undefined; hops: number; ok: boolean }[] = [
    { maxRedirects: undefined, hops: 5, ok: true },
    { maxRedirects: undefined, hops: 6, ok: false },
    { maxRedirects: 2, hops: 2, ok: true },
    { maxRedirects: 2, hops: 3, ok: false },
    { maxRedirects: 0, hops: 0, ok: true },
    { maxRedirects: 0, hops: 1, ok: false },
  ];
  for (const c of cases) {
    const { guard, calls } = guardWith((call) => {
      const n = Number(new URL(call.url).searchParams.get("n"));
      return n < c.hops ? redirect(302, `/loop?n=${n + 1}`) : new Response("done");
    }, { maxRedirects: c.maxRedirects });
    const attempt = guard.fetch({ url: "https://example.com/loop?n=0" });
    if (c.ok) {
      const res = await attempt;
      assert.equal(res.status, 200, JSON.stringify(c));
      assert.equal(calls.length, c.hops + 1);
    } else {
      const err = await rejection(attempt);
      assert.equal(err.code, "unavailable");
      assert.equal(err.details.reason, "too_many_redirects");
      assert.equal(calls.length, (c.maxRedirects ?? 5) + 1, JSON.stringify(c));
    }
  }
});

Deno.test("egress switches to GET without a body where browsers do", async () => {
  const cases: { status: number; method: string; next: string; keepsBody: boolean }[] = [
    { status: 303, method: "POST", next: "GET", keepsBody: false },
    { status: 303, method: "PUT", next: "GET", keepsBody: false },
    { status: 303, method: "DELETE", next: "GET", keepsBody: false },
    { status: 301, method: "POST", next: "GET", keepsBody: false },
    { status: 302, method: "POST", next: "GET", keepsBody: false },
    { status: 302, method: "PUT", next: "PUT", keepsBody: true },
    { status: 307, method: "POST", next: "POST", keepsBody: true },
    { status: 308, method: "PUT", next: "PUT", keepsBody: true },
  ];
  for (const c of cases) {
    const { guard, calls } = guardWith((call) =>
      call.url.endsWith("/form") ? redirect(c.status, "/done") : new Response("ok")
    );
    await guard.fetch({
      url: "https://example.com/form",
      method: c.method,
      headers: [["content-type", "application/x-www-form-urlencoded"], ["x-keep", "1"]],
      body: text("a=1"),
    });
    const label = `${c.method} + ${c.status}`;
    assert.equal(calls.length, 2, label);
    assert.equal(calls[1].method, c.next, label);
    assert.deepEqual(calls[1].body, c.keepsBody ? text("a=1") : null, label);
    assert.equal("content-type" in calls[1].headers, c.keepsBody, label);
    assert.equal(calls[1].headers["x-keep"], "1", label);
  }
});

Deno.test("egress drops authorization and cookie on a cross-origin redirect only", async () => {
  const { guard, calls } = guardWith((call) => {
    if (call.url === "https://example.com/1") return redirect(302, "/2");
    if (call.url === "https://example.com/2") return redirect(302, "https://other.example/3");
    return new Response("ok");
  });
  await guard.fetch({
    url: "https://example.com/1",
    headers: [["authorization", "Bearer t"], ["cookie", "s=1"], ["x-app", "a"]],
  });
  assert.equal(calls[1].headers.authorization, "Bearer t");
  assert.equal(calls[1].headers.cookie, "s=1");
  assert.equal(calls[2].headers.authorization, undefined);
  assert.equal(calls[2].headers.cookie, undefined);
  assert.equal(calls[2].headers["x-app"], "a");
});

Deno.test("egress stops reading a response body past its limit", async () => {
  const chunk = 64 * 1024;
  const cap = 1024 * 1024;
  const cases = [
    { name: "exactly the cap", total: cap, ok: true },
    { name: "one byte over", total: cap + 1, ok: false },
    { name: "endless", total: Infinity, ok: false },
  ];
  for (const c of cases) {
    let produced = 0;
    let cancelled = false;
    const { guard } = guardWith(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            const size = Math.min(chunk, c.total - produced);
            if (size <= 0) return controller.close();
            produced += size;
            controller.enqueue(new Uint8Array(size));
          },
          cancel() {
            cancelled = true;
          },
        }, { highWaterMark: 0 }),
      ), { maxResponseBytes: cap });
    const attempt = guard.fetch({ url: "https://example.com/big" });
    if (c.ok) {
      const res = await attempt;
      assert.equal(res.body.byteLength, cap, c.name);
    } else {
      const err = await rejection(attempt);
      assert.equal(err.code, "payload_too_large", c.name);
      assert.equal(err.details.reason, "response_too_large");
      assert.equal(err.details.limit, cap);
      assert.ok(produced <= cap + chunk, `${c.name}: read ${produced} bytes`);
      assert.ok(cancelled, `${c.name}: the body stream was not cancelled`);
    }
  }
});

Deno.test("egress refuses a declared Content-Length over the limit before reading", async () => {
  let pulled = 0;
  const { guard } = guardWith(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(10));
        },
      }, { highWaterMark: 0 }),
      { headers: { "content-length": "5000" } },
    ), { maxResponseBytes: 4096 });
  const err = await rejection(guard.fetch({ url: "https://example.com/" }));
  assert.equal(err.code, "payload_too_large");
  assert.equal(pulled, 0);
});

Deno.test("egress refuses a request body over the limit before sending", async () => {
  const cases = [
    { size: 1024, cap: 1024, ok: true },
    { size: 1025, cap: 1024, ok: false },
    { size: 10 * 1024 * 1024 + 1, cap: undefined, ok: false },
  ];
  for (const c of cases) {
    const { guard, calls } = guardWith(() => new Response("ok"), { maxRequestBytes: c.cap });
    const attempt = guard.fetch({
      url: "https://example.com/upload",
      method: "PUT",
      body: new Uint8Array(c.size),
    });
    if (c.ok) {
      await attempt;
      assert.equal(calls[0].body?.byteLength, c.size);
    } else {
      const err = await rejection(attempt);
      assert.equal(err.code, "payload_too_large");
      assert.equal(err.details.reason, "request_too_large");
      assert.equal(calls.length, 0);
    }
  }
});

Deno.test("egress times out the whole exchange with unavailable", async () => {
  const neverAnswers = (_call: Call, signal: AbortSignal | undefined) =>
    new Promise<Response>((_resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  const stallsBody = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(text("partial"));
        },
      }),
    );
  const cases = [
    { name: "no response", handler: neverAnswers, resolve: undefined },
    { name: "stalled body", handler: stallsBody, resolve: undefined },
    {
      name: "slow DNS",
      handler: () => new Response("x"),
      resolve: () => new Promise<string[]>(() => {}),
    },
  ];
  for (const c of cases) {
    let aborted = false;
    const { guard } = guardWith((call, signal) => {
      signal?.addEventListener("abort", () => aborted = true);
      return c.handler(call, signal);
    }, { timeoutMs: 50, ...(c.resolve ? { resolve: c.resolve } : {}) });
    const started = performance.now();
    const err = await rejection(guard.fetch({ url: "https://example.com/slow" }));
    assert.equal(err.code, "unavailable", c.name);
    assert.equal(err.details.reason, "timeout", c.name);
    assert.match(err.message, /within 50 ms/);
    assert.ok(performance.now() - started < 2000, c.name);
    if (!c.resolve) assert.ok(aborted, `${c.name}: the transport was not aborted`);
  }
});

Deno.test("egress honours the caller's abort signal", async () => {
  const { guard } = guardWith((_call, signal) =>
    new Promise<Response>((_resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    })
  );
  const controller = new AbortController();
  const attempt = guard.fetch({ url: "https://example.com/" }, controller.signal);
  setTimeout(() => controller.abort(), 10);
  const err = await rejection(attempt);
  assert.equal(err.code, "unavailable");
  assert.equal(err.details.reason, "cancelled");

  const already = await rejection(
    guard.fetch({ url: "https://example.com/" }, AbortSignal.abort()),
  );
  assert.equal(already.details.reason, "cancelled");
});

Deno.test("egress turns transport failures into unavailable", async () => {
  const { guard } = guardWith(() => {
    throw new TypeError("error sending request: connection refused");
  });
  const err = await rejection(guard.fetch({ url: "https://example.com/?key=secret" }));
  assert.equal(err.code, "unavailable");
  assert.equal(err.details.reason, "network_error");
  assert.equal(err.details.url, "https://example.com/");
  assert.doesNotMatch(err.message, /secret/);
});

Deno.test("egress with the real transport and resolver refuses a listening loopback server", async () => {
  let received = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    received++;
    return new Response("you reached the kernel's network");
  });
  try {
    const port = server.addr.port;
    const guard = createEgressGuard({ timeoutMs: 5_000 });
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
    ];
    for (const url of urls) {
      const err = await rejection(guard.fetch({ url }));
      assert.equal(err.code, "forbidden", `${url}: ${err.message}`);
    }
    assert.equal(received, 0, "the loopback server received a request through the guard");
    // The server really is listening: an unguarded fetch reaches it.
    const direct = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await direct.text(), "you reached the kernel's network");
    assert.equal(received, 1);
  } finally {
    await server.shutdown();
  }
});
