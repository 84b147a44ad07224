/**
 * The HTTPS listener on real sockets: certificates per server name (from a
 * throwaway CA, verified by every client), hot swaps, and every protection
 * of the plain listener over TLS.
 */
import assert from "node:assert/strict";
import { listenTls, type TlsConnectionLimits } from "../../../kernel/http/tls_server.ts";
import type { Listener } from "../../../kernel/http/listener.ts";
import type { HttpHandler } from "../../../kernel/http/handler.ts";
import type { CertificateKeyPair } from "../../../kernel/services/tls/tls_service.ts";
import { makeTestCa, type TestCa, type TestLeaf } from "../../_helpers/test_ca.ts";
import { withKernel } from "../../_helpers/kernel.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Short timeouts so each test runs in about a second. */
const SHORT: Partial<TlsConnectionLimits> = {
  handshakeTimeoutMs: 600,
  headerTimeoutMs: 600,
  idleTimeoutMs: 600,
  bodyTimeoutMs: 600,
};

/** One CA and a leaf each for `localhost`, `a.test` and `b.test`, made once for the file. */
const ca: TestCa = await makeTestCa();
const leaves: Record<string, TestLeaf> = {};
for (const name of ["localhost", "a.test", "b.test"]) leaves[name] = await ca.issue([name]);
globalThis.addEventListener("unload", () => void ca.remove().catch(() => {}));

/** Certificates by name (version "1"), recording every name asked for. */
function certificates(
  pairs: Record<string, TestLeaf> = leaves,
): ((name: string) => Promise<CertificateKeyPair | null>) & { asked: string[] } {
  const asked: string[] = [];
  const source = (name: string) => {
    asked.push(name);
    const leaf = pairs[name];
    return Promise.resolve(
      leaf ? { ...leaf, version: "1", notAfter: Date.now() + 86_400_000 } : null,
    );
  };
  return Object.assign(source, { asked });
}

async function withTls(
  limits: Partial<TlsConnectionLimits>,
  handler: HttpHandler,
  fn: (l: Listener) => Promise<void>,
  options: {
    hsts?: string | null;
    certificate?: (name: string) => Promise<CertificateKeyPair | null>;
  } = {},
): Promise<void> {
  const l = await listenTls({
    hostname: "127.0.0.1",
    port: 0,
    limits,
    certificate: options.certificate ?? certificates(),
    hsts: options.hsts,
  });
  l.setHandler(handler);
  try {
    await fn(l);
  } finally {
    await l.shutdown();
  }
}

/**
 * A TLS client connection (verifying the server against `caPem` for
 * `serverName`) that records what it reads and when the server closes it.
 */
class TlsClient {
  readonly opened = performance.now();
  received = "";
  /** Milliseconds from opening until the server closed the connection. */
  readonly closed: Promise<number>;
  #conn: Deno.Conn;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.closed = (async () => {
      const buf = new Uint8Array(16 * 1024);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          this.received += dec.decode(buf.subarray(0, n));
        }
      } catch {
        // A reset counts as closed.
      }
      return performance.now() - this.opened;
    })();
  }

  /** Connects and completes the handshake (rejects when it fails). */
  static async open(
    port: number,
    serverName = "localhost",
    caPem = ca.caPem,
  ): Promise<TlsClient> {
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
    const tls = await Deno.startTls(tcp, { hostname: serverName, caCerts: [caPem] });
    try {
      await tls.handshake();
    } catch (err) {
      tls.close();
      throw err;
    }
    return new TlsClient(tls);
  }

  async write(text: string): Promise<boolean> {
    try {
      await this.#conn.write(enc.encode(text));
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until what was received matches `pattern` (rejects after `boundMs`). */
  async until(pattern: RegExp, boundMs = 2_000): Promise<string> {
    const end = performance.now() + boundMs;
    while (!pattern.test(this.received)) {
      if (performance.now() > end) {
        throw new Error(`no ${pattern} within ${boundMs} ms; got ${JSON.stringify(this.received)}`);
      }
      await sleep(5);
    }
    return this.received;
  }

  /** Resolves with the close time, or rejects if the connection is still open after `boundMs`. */
  async closedWithin(boundMs: number): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the connection was still open after ${boundMs} ms`)),
        boundMs,
      );
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    await this.closed;
  }
}

/** Sends one request on a new connection and returns the whole raw response (`Connection: close`). */
async function exchange(
  port: number,
  request: string,
  serverName = "localhost",
): Promise<string> {
  const c = await TlsClient.open(port, serverName);
  try {
    await c.write(request);
    await c.closedWithin(3_000);
    return c.received;
  } finally {
    await c.close();
  }
}

/** The body of a raw HTTP/1.1 response with a length (not chunked). */
function bodyOf(raw: string): string {
  return raw.slice(raw.indexOf("\r\n\r\n") + 4);
}

const echoUrl: HttpHandler = (req) => new Response(req.url);

Deno.test("each server name gets its own certificate; the handler sees an https URL", async () => {
  const source = certificates();
  await withTls(SHORT, echoUrl, async (l) => {
    for (const name of ["a.test", "b.test", "localhost"]) {
      const raw = await exchange(
        l.port,
        `GET /x?y=1 HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`,
        name,
      );
      assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(bodyOf(raw), `https://${name}/x?y=1`);
    }
    // b.test's certificate does not cover a.test: the client's check proves which one came.
    assert.deepEqual(source.asked, ["a.test", "b.test", "localhost"]);
  }, { certificate: source });
});

Deno.test("a name without a certificate, or no server name at all, fails the handshake", async () => {
  const source = certificates();
  await withTls(SHORT, echoUrl, async (l) => {
    await assert.rejects(TlsClient.open(l.port, "unknown.test"));
    // Clients send no server name for an IP address: there is no default certificate.
    await assert.rejects(TlsClient.open(l.port, "127.0.0.1"));
    assert.deepEqual(source.asked, ["unknown.test"]);
    // The listener keeps serving.
    const raw = await exchange(
      l.port,
      "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
      "a.test",
    );
    assert.match(raw, /^HTTP\/1\.1 200 OK/);
  }, { certificate: source });
});

Deno.test("a new certificate version serves new handshakes while open connections keep working", async () => {
  const otherCa = await makeTestCa("fazt second CA");
  try {
    const renewed = await otherCa.issue(["a.test"]);
    let current: CertificateKeyPair = { ...leaves["a.test"], version: "1", notAfter: 0 };
    const contexts = new Set<string>();
    await withTls(SHORT, echoUrl, async (l) => {
      const old = await TlsClient.open(l.port, "a.test");
      try {
        await old.write("GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
        await old.until(/https:\/\/a\.test\/1$/);
        current = { ...renewed, version: "2", notAfter: 0 };
        await old.write("GET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
        await old.until(/https:\/\/a\.test\/2$/);
        // New connections get the renewed certificate: only its CA verifies it.
        await assert.rejects(TlsClient.open(l.port, "a.test", ca.caPem));
        const fresh = await TlsClient.open(l.port, "a.test", otherCa.caPem);
        await fresh.write("GET /3 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        await fresh.closedWithin(2_000);
        assert.match(fresh.received, /https:\/\/a\.test\/3$/);
        // The old connection still works after the swap.
        await old.write("GET /4 HTTP/1.1\r\nHost: a.test\r\n\r\n");
        await old.until(/https:\/\/a\.test\/4$/);
        assert.deepEqual([...contexts], ["1", "2"]);
      } finally {
        await old.close();
      }
    }, {
      certificate: (name) => {
        if (name !== "a.test") return Promise.resolve(null);
        contexts.add(current.version);
        return Promise.resolve(current);
      },
    });
  } finally {
    await otherCa.remove();
  }
});

Deno.test("the connection cap counts TCP connections before their handshake", async () => {
  await withTls({ ...SHORT, handshakeTimeoutMs: 5_000, maxConnections: 2 }, echoUrl, async (l) => {
    const held = [
      await Deno.connect({ hostname: "127.0.0.1", port: l.port }),
      await Deno.connect({ hostname: "127.0.0.1", port: l.port }),
    ];
    try {
      await sleep(100);
      await assert.rejects(TlsClient.open(l.port, "a.test"), "a third connection was served");
    } finally {
      for (const c of held) c.close();
    }
    let raw: string | undefined;
    for (let i = 0; i < 20 && raw === undefined; i++) {
      await sleep(50);
      raw = await exchange(
        l.port,
        "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
        "a.test",
      ).catch(() => undefined);
    }
    assert.match(raw ?? "", /^HTTP\/1\.1 200 OK/, "no request succeeded once the slots were free");
  });
});

Deno.test("a TCP connection that never sends a TLS hello is closed at the handshake timeout", async () => {
  await withTls({ ...SHORT, headerTimeoutMs: 5_000 }, echoUrl, async (l) => {
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
    const opened = performance.now();
    try {
      const end = await Promise.race([
        tcp.read(new Uint8Array(64)).catch(() => null),
        sleep(2_000).then(() => "open" as const),
      ]);
      const ms = performance.now() - opened;
      assert.equal(end, null, "the connection was still open");
      assert.ok(ms >= 500, `closed after ${ms.toFixed(0)} ms, before the handshake timeout`);
    } finally {
      tcp.close();
    }
  });
});

Deno.test("headers trickling in over TLS are cut off at the header timeout", async () => {
  await withTls({ ...SHORT, idleTimeoutMs: 5_000 }, echoUrl, async (l) => {
    const c = await TlsClient.open(l.port);
    try {
      assert.ok(await c.write("GET / HTTP/1.1\r\nHost: localhost\r\n"));
      let sent = 0;
      const trickle = (async () => {
        for (let i = 0; i < 30; i++) {
          await sleep(100);
          if (!await c.write("X")) return;
          sent++;
        }
      })();
      const ms = await c.closedWithin(2_500);
      assert.ok(ms >= 500, `closed after ${ms.toFixed(0)} ms, before the header timeout`);
      assert.ok(sent >= 3, "the client kept sending header bytes");
      assert.doesNotMatch(c.received, /200 OK/);
      await trickle;
    } finally {
      await c.close();
    }
  });
});

Deno.test("an idle kept-alive TLS connection is closed after the idle timeout", async () => {
  await withTls({ ...SHORT, headerTimeoutMs: 5_000 }, echoUrl, async (l) => {
    const c = await TlsClient.open(l.port);
    try {
      assert.ok(await c.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      await c.until(/https:\/\/localhost\/$/);
      const answered = performance.now() - c.opened;
      const ms = await c.closedWithin(4_000) - answered;
      // Node keeps a kept-alive connection one second past its advertised timeout.
      assert.ok(ms >= 550, `closed ${ms.toFixed(0)} ms after the response`);
      assert.ok(ms < 2_500, `closed only ${ms.toFixed(0)} ms after the response`);
    } finally {
      await c.close();
    }
  });
});

Deno.test("a request body that stalls over TLS fails the handler's read and cuts the connection", async () => {
  let failure: unknown;
  const handler: HttpHandler = async (req) => {
    try {
      await req.arrayBuffer();
      return new Response("read it all");
    } catch (err) {
      failure = err;
      throw err;
    }
  };
  await withTls({ ...SHORT, idleTimeoutMs: 5_000, headerTimeoutMs: 5_000 }, handler, async (l) => {
    const c = await TlsClient.open(l.port);
    try {
      await c.write("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789");
      const sent = performance.now();
      const ms = await c.closedWithin(2_500) - (sent - c.opened);
      assert.ok(ms >= 500, `closed ${ms.toFixed(0)} ms after the body stalled`);
      assert.doesNotMatch(c.received, /read it all/);
      for (let i = 0; i < 20 && failure === undefined; i++) await sleep(20);
      assert.ok(failure instanceof Error, "the handler's body read did not fail");
    } finally {
      await c.close();
    }
  });
});

Deno.test("a slow but moving upload is read to its end, streamed to the handler", async () => {
  const handler: HttpHandler = async (req) => {
    await sleep(900); // longer than the body timeout: only time waiting for the client counts
    return new Response(`got ${(await req.text()).length}`);
  };
  await withTls(SHORT, handler, async (l) => {
    const c = await TlsClient.open(l.port);
    try {
      await c.write("POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (let i = 0; i < 5; i++) {
        await sleep(300);
        assert.ok(await c.write("a\r\n0123456789\r\n"), "the server closed a moving upload");
      }
      await c.write("0\r\n\r\n");
      await c.until(/got 50$/, 3_000);
    } finally {
      await c.close();
    }
  });
});

Deno.test("a body nobody reads must still arrive: a stalled one is cut, a complete one keeps the connection", async () => {
  await withTls({ ...SHORT, idleTimeoutMs: 5_000 }, () => new Response("hello"), async (l) => {
    const stalled = await TlsClient.open(l.port);
    const complete = await TlsClient.open(l.port);
    try {
      await stalled.write("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123");
      await complete.write("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\n0123");
      await complete.until(/hello$/);
      const ms = await stalled.closedWithin(2_500);
      assert.match(stalled.received, /^HTTP\/1\.1 200 OK[\s\S]*hello$/);
      assert.ok(ms >= 500, `closed after ${ms.toFixed(0)} ms`);
      await complete.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await complete.until(/hello[\s\S]*hello$/);
    } finally {
      await stalled.close();
      await complete.close();
    }
  });
});

/**
 * Sends `GET /` over TLS and reads the response: about `chunkBytes` per
 * round (a TLS read returns one record, at most 16 KiB) with `pauseMs`
 * between rounds, and one pause of `stallMs` once `stallAfter` bytes came.
 * Returns the bytes read and whether the server ended the connection before
 * `size` bytes came.
 */
async function download(
  port: number,
  size: number,
  options: { chunkBytes: number; pauseMs: number; stallAfter?: number; stallMs?: number },
): Promise<{ got: number; cut: boolean }> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const conn = await Deno.startTls(tcp, { hostname: "localhost", caCerts: [ca.caPem] });
  try {
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const buf = new Uint8Array(options.chunkBytes);
    let got = 0;
    let head = "";
    let stalled = false;
    let round = 0;
    while (got < size) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return { got, cut: true };
      if (!head.includes("\r\n\r\n")) {
        head += dec.decode(buf.subarray(0, n));
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) got += head.length - end - 4;
        continue;
      }
      got += n;
      round += n;
      if (!stalled && options.stallAfter !== undefined && got >= options.stallAfter) {
        stalled = true;
        await sleep(options.stallMs ?? 0);
      } else if (round >= options.chunkBytes) {
        round = 0;
        if (options.pauseMs > 0) await sleep(options.pauseMs);
      }
    }
    return { got, cut: false };
  } finally {
    conn.close();
  }
}

const zeros = (size: number) => () =>
  new Response(new Uint8Array(size), { headers: { "content-length": String(size) } });

Deno.test("a client that stops reading a large response is cut at the send timeout", async () => {
  const size = 48 * 1024 * 1024;
  await withTls({ ...SHORT, sendTimeoutMs: 600 }, zeros(size), async (l) => {
    const { got, cut } = await download(l.port, size, {
      chunkBytes: 256 * 1024,
      pauseMs: 0,
      stallAfter: 1024 * 1024,
      stallMs: 2_500,
    });
    assert.ok(cut, "the connection was not cut");
    assert.ok(got < size, `${got} of ${size} bytes`);
  });
});

Deno.test("a slow but steady reader of a large response gets all of it", async () => {
  const size = 16 * 1024 * 1024;
  await withTls({ ...SHORT, sendTimeoutMs: 600 }, zeros(size), async (l) => {
    const started = performance.now();
    const { got, cut } = await download(l.port, size, { chunkBytes: 256 * 1024, pauseMs: 25 });
    assert.equal(cut, false);
    assert.equal(got, size);
    assert.ok(performance.now() - started > 1_000, "the reader was not slow enough to test this");
  });
});

Deno.test("the request gate refuses over TLS as over plain HTTP, in fazt's error shape, with HSTS", async () => {
  await withTls(SHORT, echoUrl, async (l) => {
    const cases: [string, number, string][] = [
      ["TRACE / HTTP/1.1\r\nHost: localhost\r\n", 405, "method_not_allowed"],
      ["CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\n", 405, "method_not_allowed"],
      ["PROPFIND / HTTP/1.1\r\nHost: localhost\r\n", 501, "not_implemented"],
      ["FOO / HTTP/1.1\r\nHost: localhost\r\n", 501, "not_implemented"],
      ["GET / HTTP/1.1\r\n", 400, "bad_request"],
      ["GET / HTTP/1.1\r\nHost: a b\r\n", 400, "bad_request"],
      ["GET / HTTP/1.0\r\n", 400, "bad_request"],
    ];
    for (const [head, status, code] of cases) {
      const raw = await exchange(l.port, `${head}Connection: close\r\n\r\n`);
      assert.match(raw, new RegExp(`^HTTP/1\\.1 ${status} `), head);
      assert.match(raw, /\r\ncontent-type: application\/json/i, head);
      assert.equal(JSON.parse(bodyOf(raw)).error.code, code, head);
      if (status === 405) assert.match(raw, /\r\nallow: GET, HEAD, POST/i, head);
      assert.match(raw, /\r\nstrict-transport-security: max-age=31536000\r\n/i, head);
    }
  });
});

Deno.test("every response gets HSTS unless it sets its own; hsts null adds none", async () => {
  const handler: HttpHandler = (req) =>
    new URL(req.url).pathname === "/own"
      ? new Response("own", { headers: { "strict-transport-security": "max-age=60" } })
      : new Response("default");
  await withTls(SHORT, handler, async (l) => {
    const plain = await exchange(
      l.port,
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(plain, /\r\nstrict-transport-security: max-age=31536000\r\n/i);
    const own = await exchange(
      l.port,
      "GET /own HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.equal(own.match(/strict-transport-security/gi)?.length, 1);
    assert.match(own, /\r\nstrict-transport-security: max-age=60\r\n/i);
  });
  await withTls(SHORT, handler, async (l) => {
    const raw = await exchange(
      l.port,
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(raw, /^HTTP\/1\.1 200 OK/);
    assert.doesNotMatch(raw, /strict-transport-security/i);
  }, { hsts: null });
});

Deno.test("streamed responses go out chunk by chunk; one-chunk bodies get a length; HEAD has no body", async () => {
  const handler: HttpHandler = (req) => {
    if (req.method === "HEAD") return new Response("not sent", { headers: { "x-head": "1" } });
    if (new URL(req.url).pathname === "/small") return new Response("small body");
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(200);
          if (n++ === 2) controller.close();
          else controller.enqueue(enc.encode(`part${n};`));
        },
      }),
    );
  };
  await withTls(SHORT, handler, async (l) => {
    const small = await exchange(
      l.port,
      "GET /small HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(small, /\r\ncontent-length: 10\r\n/i);
    assert.equal(bodyOf(small), "small body");
    const c = await TlsClient.open(l.port);
    try {
      await c.write("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await c.until(/part1;/, 1_000);
      assert.doesNotMatch(c.received, /part2/, "the first chunk waited for the second");
      assert.match(c.received, /\r\ntransfer-encoding: chunked\r\n/i);
      await c.until(/part2;\r\n0\r\n\r\n$/, 2_000);
      await c.write("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await c.until(/x-head: 1[\s\S]*\r\n\r\n$/);
      await sleep(100);
      assert.doesNotMatch(c.received, /not sent/);
    } finally {
      await c.close();
    }
  });
});

Deno.test("a body shorter than its declared length is never sent as if complete", async () => {
  const handler: HttpHandler = () => new Response("abc", { headers: { "content-length": "10" } });
  await withTls(SHORT, handler, async (l) => {
    const c = await TlsClient.open(l.port);
    try {
      await c.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await c.closedWithin(1_000);
      assert.doesNotMatch(c.received, /abc/);
    } finally {
      await c.close();
    }
  });
});

Deno.test("the handler gets the peer address; before it is set, requests get 503", async () => {
  const l = await listenTls({
    hostname: "127.0.0.1",
    port: 0,
    limits: SHORT,
    certificate: certificates(),
  });
  try {
    const early = await exchange(
      l.port,
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(early, /^HTTP\/1\.1 503 [\s\S]*\r\nretry-after: 1\r\n/i);
    l.setHandler((_req, info) => new Response(info?.remoteAddr?.hostname ?? "none"));
    const raw = await exchange(
      l.port,
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.equal(bodyOf(raw), "127.0.0.1");
  } finally {
    await l.shutdown();
  }
});

Deno.test("the request's signal aborts when the client goes away before the response", async () => {
  const aborted = Promise.withResolvers<boolean>();
  const handler: HttpHandler = (req) =>
    new Promise((resolve) => {
      req.signal.addEventListener("abort", () => {
        aborted.resolve(true);
        resolve(new Response("too late"));
      });
    });
  await withTls(SHORT, handler, async (l) => {
    const c = await TlsClient.open(l.port);
    await c.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await sleep(100);
    await c.close();
    const result = await Promise.race([aborted.promise, sleep(2_000).then(() => false)]);
    assert.equal(result, true, "the signal did not abort");
  });
});

Deno.test("shutdown finishes an in-flight response, closes idle connections and stops accepting", async () => {
  const handler: HttpHandler = () => {
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(100);
          if (n++ === 5) controller.close();
          else controller.enqueue(enc.encode("chunk;"));
        },
      }),
    );
  };
  const l = await listenTls({
    hostname: "127.0.0.1",
    port: 0,
    limits: SHORT,
    certificate: certificates(),
  });
  l.setHandler(handler);
  const busy = await TlsClient.open(l.port);
  const idle = await TlsClient.open(l.port);
  const handshaking = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
  try {
    await busy.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await busy.until(/chunk;/);
    const started = performance.now();
    const stopped = l.shutdown();
    await idle.closedWithin(300);
    assert.equal(await handshaking.read(new Uint8Array(16)).catch(() => null), null);
    await busy.closedWithin(2_000);
    assert.match(busy.received, /(chunk;[\s\S]*){5}0\r\n\r\n$/);
    await stopped;
    await l.finished;
    assert.ok(performance.now() - started < 2_000);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: l.port }));
  } finally {
    await busy.close();
    await idle.close();
    handshaking.close();
  }
});

Deno.test("through the kernel's real handler, the owner's session cookie is __Host- and Secure", async () => {
  await withKernel(async (t) => {
    const l = await listenTls({
      hostname: "127.0.0.1",
      port: 0,
      limits: SHORT,
      certificate: certificates(),
    });
    l.setHandler(t.kernel.handler);
    try {
      const token = await t.kernel.services.owners.issueSetupToken(60_000);
      const body = JSON.stringify({
        token,
        email: "owner@example.com",
        password: "correct horse battery",
      });
      const origin = `https://localhost:${l.port}`;
      const raw = await exchange(
        l.port,
        `POST /_fazt/api/auth/setup HTTP/1.1\r\nHost: localhost:${l.port}\r\nOrigin: ${origin}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${enc.encode(body).length}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      assert.match(raw, /^HTTP\/1\.1 201 /, raw);
      assert.match(raw, /\r\nset-cookie: __Host-fazt_session=[^;]+; Path=\/; Secure; HttpOnly/i);
      assert.match(raw, /\r\nstrict-transport-security: max-age=31536000\r\n/i);
    } finally {
      await l.shutdown();
    }
  });
});
