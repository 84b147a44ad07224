/**
 * The plain-HTTP port while HTTPS is on, driven by the real plain listener
 * on 127.0.0.1: ACME challenge answers, 404s, and redirects to HTTPS.
 */
import assert from "node:assert/strict";
import { listen } from "../../../kernel/http/server.ts";
import { createPlainPortHandler } from "../../../kernel/http/plain_port_handler.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw HTTP/1.1 exchange (the request must say `Connection: close`). */
async function exchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode(request));
    let text = "";
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return text;
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

async function withPlainPort(
  httpsPort: number,
  fn: (port: number, asked: string[]) => Promise<void>,
): Promise<void> {
  const asked: string[] = [];
  const l = listen({ hostname: "127.0.0.1", port: 0 });
  l.setHandler(createPlainPortHandler({
    httpsPort,
    challengeAnswer: (token) => {
      asked.push(token);
      return token === "tok_EN-1" ? "tok_EN-1.thumbprint" : null;
    },
  }));
  try {
    await fn(l.port, asked);
  } finally {
    await l.shutdown();
  }
}

Deno.test("a waiting ACME challenge is answered as text/plain; others get fazt's 404", async () => {
  await withPlainPort(443, async (port, asked) => {
    const ok = await exchange(
      port,
      "GET /.well-known/acme-challenge/tok_EN-1 HTTP/1.1\r\nHost: shop.example.org\r\nConnection: close\r\n\r\n",
    );
    assert.match(ok, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(header(ok, "content-type") ?? "", /^text\/plain/);
    assert.ok(ok.endsWith("\r\n\r\ntok_EN-1.thumbprint"), ok);

    const head = await exchange(
      port,
      "HEAD /.well-known/acme-challenge/tok_EN-1 HTTP/1.1\r\nHost: a.example.org\r\nConnection: close\r\n\r\n",
    );
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(head.endsWith("\r\n\r\n"), "a HEAD answer has no body");

    for (const token of ["unknown", "a.b", "%2e%2e", "x/y", ""]) {
      const raw = await exchange(
        port,
        `GET /.well-known/acme-challenge/${token} HTTP/1.1\r\nHost: a.example.org\r\nConnection: close\r\n\r\n`,
      );
      assert.match(raw, /^HTTP\/1\.1 404 /, token);
      const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
      assert.equal(body.error.code, "not_found", token);
    }
    // Tokens outside base64url never reach the TLS service.
    assert.deepEqual(asked, ["tok_EN-1", "tok_EN-1", "unknown"]);
  });
});

Deno.test("everything else is redirected to HTTPS: 301 for GET/HEAD, 308 otherwise, the port when not 443", async () => {
  await withPlainPort(8443, async (port) => {
    const get = await exchange(
      port,
      "GET /docs/a%20b?x=1&y=%2F HTTP/1.1\r\nHost: Shop.Example.org.:80\r\nConnection: close\r\n\r\n",
    );
    assert.match(get, /^HTTP\/1\.1 301 /);
    assert.equal(header(get, "location"), "https://shop.example.org:8443/docs/a%20b?x=1&y=%2F");

    const post = await exchange(
      port,
      "POST /_fazt/api/x HTTP/1.1\r\nHost: admin.example.org\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    );
    assert.match(post, /^HTTP\/1\.1 308 /);
    assert.equal(header(post, "location"), "https://admin.example.org:8443/_fazt/api/x");

    const ipv6 = await exchange(
      port,
      "GET / HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n",
    );
    assert.equal(header(ipv6, "location"), "https://[::1]:8443/");

    // A POST to the challenge path is not a challenge fetch.
    const acmePost = await exchange(
      port,
      "POST /.well-known/acme-challenge/tok_EN-1 HTTP/1.1\r\nHost: a.example.org\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert.match(acmePost, /^HTTP\/1\.1 308 /);
  });
  await withPlainPort(443, async (port) => {
    const get = await exchange(
      port,
      "GET /p?q HTTP/1.1\r\nHost: example.org:8080\r\nConnection: close\r\n\r\n",
    );
    assert.equal(header(get, "location"), "https://example.org/p?q");
  });
});

Deno.test("a bad Host gets the usual 400, from the listener's gate and from the handler itself", async () => {
  await withPlainPort(443, async (port) => {
    for (const host of ["", "a b", "a@b", "x:99999"]) {
      const raw = await exchange(
        port,
        `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(raw, /^HTTP\/1\.1 400 /, host);
    }
  });
  const handler = createPlainPortHandler({ httpsPort: 443, challengeAnswer: () => null });
  const res = await handler(new Request("http://x/", { headers: { host: "a b" } }));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "bad_request");
});
