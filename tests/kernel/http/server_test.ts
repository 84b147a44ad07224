import assert from "node:assert/strict";
import { listen } from "../../../kernel/http/server.ts";
import type { ConnectionLimits, Listener } from "../../../kernel/http/listener.ts";
import type { HttpHandler } from "../../../kernel/http/handler.ts";
import { watchSend } from "../../../kernel/http/send_watch.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Short timeouts so each test runs in about a second. */
const SHORT: Partial<ConnectionLimits> = {
  headerTimeoutMs: 600,
  idleTimeoutMs: 600,
  bodyTimeoutMs: 600,
};

async function withListener(
  limits: Partial<ConnectionLimits>,
  handler: HttpHandler,
  fn: (l: Listener) => Promise<void>,
): Promise<void> {
  const l = listen({ hostname: "127.0.0.1", port: 0, limits });
  l.setHandler(handler);
  try {
    await fn(l);
  } finally {
    await l.shutdown();
  }
}

/** A raw client connection that records what it reads and when the server closes it. */
class RawClient {
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

  static async open(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async write(text: string): Promise<boolean> {
    try {
      await this.#conn.write(enc.encode(text));
      return true;
    } catch {
      return false;
    }
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

const hello: HttpHandler = () => new Response("hello");

Deno.test("a slowloris connection (header bytes trickling in) is closed at the header timeout", async () => {
  await withListener({ ...SHORT, idleTimeoutMs: 5_000 }, hello, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      assert.ok(await c.write("GET / HTTP/1.1\r\nHost: x\r\n"));
      let sent = 0;
      const trickle = (async () => {
        // One header byte every 100 ms, for up to 3 s unless the server closes first.
        for (let i = 0; i < 30; i++) {
          await sleep(100);
          if (!await c.write("X")) return;
          sent++;
        }
      })();
      const ms = await c.closedWithin(2_000);
      assert.ok(ms >= 500, `closed after ${ms.toFixed(0)} ms, before the header timeout`);
      assert.ok(sent >= 3, "the client kept sending header bytes");
      assert.equal(c.received, "", "no response to an incomplete request");
      await trickle;
    } finally {
      await c.close();
    }
  });
});

Deno.test("a connection that sends nothing is closed at the header timeout", async () => {
  await withListener({ ...SHORT, idleTimeoutMs: 5_000 }, hello, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      const ms = await c.closedWithin(2_000);
      assert.ok(ms >= 500, `closed after ${ms.toFixed(0)} ms`);
    } finally {
      await c.close();
    }
  });
});

Deno.test("an idle keep-alive connection is closed at the idle timeout after its response", async () => {
  await withListener({ ...SHORT, headerTimeoutMs: 5_000 }, hello, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      await sleep(300);
      assert.ok(await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const ms = await c.closedWithin(2_500);
      assert.match(c.received, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
      assert.ok(ms >= 800, `closed after ${ms.toFixed(0)} ms, before the idle timeout`);
    } finally {
      await c.close();
    }
  });
});

Deno.test("a kept-alive connection serves requests in a row; each resets the idle timeout", async () => {
  await withListener(SHORT, hello, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      for (let i = 0; i < 4; i++) {
        assert.ok(await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), `request ${i} not sent`);
        await sleep(400);
      }
      await c.closedWithin(2_000);
      assert.equal(c.received.match(/HTTP\/1\.1 200 OK/g)?.length, 4);
    } finally {
      await c.close();
    }
  });
});

Deno.test("the connection cap closes extra connections at once; requests succeed once slots free up", async () => {
  await withListener({ maxConnections: 2 }, hello, async (l) => {
    const held = [await RawClient.open(l.port), await RawClient.open(l.port)];
    const extra: RawClient[] = [];
    try {
      await sleep(100);
      for (let i = 0; i < 3; i++) {
        const c = await RawClient.open(l.port);
        extra.push(c);
        await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const ms = await c.closedWithin(1_000);
        assert.ok(ms < 500, `the extra connection lived ${ms.toFixed(0)} ms`);
        assert.equal(c.received, "", "an extra connection got an answer");
      }
      for (const c of held) await c.close();
      let res: Response | undefined;
      for (let i = 0; i < 20 && !res; i++) {
        await sleep(50);
        res = await fetch(`http://127.0.0.1:${l.port}/`, { headers: { connection: "close" } })
          .catch(() => undefined);
      }
      assert.ok(res, "no request succeeded after the held connections closed");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "hello");
    } finally {
      for (const c of [...held, ...extra]) await c.close();
    }
  });
});

Deno.test("a request body that stalls is cut off: the read fails and the connection closes", async () => {
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
  await withListener({ ...SHORT, idleTimeoutMs: 5_000 }, handler, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      await c.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
      const sent = performance.now();
      const ms = await c.closedWithin(2_000) - (sent - c.opened);
      assert.ok(ms >= 500, `closed ${ms.toFixed(0)} ms after the body stalled`);
      assert.doesNotMatch(c.received, /read it all/);
      for (let i = 0; i < 20 && failure === undefined; i++) await sleep(20);
      assert.ok(failure instanceof Error, "the handler's body read did not fail");
    } finally {
      await c.close();
    }
  });
});

Deno.test("a slow but moving body, and a handler slow to read it, are not cut off", async () => {
  const handler: HttpHandler = async (req) => {
    await sleep(900); // longer than the body timeout: only time waiting for the client counts
    const text = await req.text();
    return new Response(`got ${text.length}`);
  };
  await withListener(SHORT, handler, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      await c.write("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (let i = 0; i < 5; i++) {
        await sleep(300);
        assert.ok(await c.write("a\r\n0123456789\r\n"), "the server closed a moving upload");
      }
      await c.write("0\r\n\r\n");
      await c.closedWithin(3_000);
      assert.match(c.received, /^HTTP\/1\.1 200 OK[\s\S]*got 50$/);
    } finally {
      await c.close();
    }
  });
});

Deno.test("shutdown lets an in-flight streamed response finish and refuses new connections", async () => {
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
  const l = listen({ hostname: "127.0.0.1", port: 0, limits: SHORT });
  l.setHandler(handler);
  const res = await fetch(`http://127.0.0.1:${l.port}/`);
  const stopped = l.shutdown();
  assert.equal(await res.text(), "chunk;".repeat(5));
  await stopped;
  await l.finished;
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: l.port }));
});

Deno.test("the handler gets the peer address; before it is set, requests get 503", async () => {
  const l = listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const early = await fetch(`http://127.0.0.1:${l.port}/`);
    assert.equal(early.status, 503);
    assert.equal(early.headers.get("retry-after"), "1");
    await early.body?.cancel();
    l.setHandler((_req, info) => new Response(info?.remoteAddr?.hostname ?? "none"));
    const res = await fetch(`http://127.0.0.1:${l.port}/`);
    assert.equal(await res.text(), "127.0.0.1");
    const head = await fetch(`http://127.0.0.1:${l.port}/`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    await l.shutdown();
  }
});

Deno.test("a request with a body keeps its method, URL, headers, body and the connection's signal", async () => {
  await withListener(SHORT, async (req) => {
    const body = await req.text();
    return Response.json({
      method: req.method,
      url: req.url,
      headers: ["content-type", "content-length", "host", "cookie", "origin"].map((h) =>
        req.headers.get(h)
      ),
      body,
      signal: req.signal instanceof AbortSignal && !req.signal.aborted,
    });
  }, async (l) => {
    const res = await fetch(`http://127.0.0.1:${l.port}/x?y=1`, {
      method: "PUT",
      headers: { "content-type": "text/plain", cookie: "s=1", origin: "http://a.localhost" },
      body: "data",
    });
    assert.deepEqual(await res.json(), {
      method: "PUT",
      url: `http://127.0.0.1:${l.port}/x?y=1`,
      headers: ["text/plain", "4", `127.0.0.1:${l.port}`, "s=1", "http://a.localhost"],
      body: "data",
      signal: true,
    });
  });
});

Deno.test("a handler slower than the idle timeout still answers; then the connection closes", async () => {
  await withListener(SHORT, async () => {
    await sleep(1_200);
    return new Response("late");
  }, async (l) => {
    const c = await RawClient.open(l.port);
    try {
      assert.ok(await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const ms = await c.closedWithin(3_000);
      assert.match(c.received, /^HTTP\/1\.1 200 OK[\s\S]*late$/);
      assert.ok(ms >= 1_150, `closed after ${ms.toFixed(0)} ms`);
    } finally {
      await c.close();
    }
  });
});

Deno.test("a slow reader of a large response gets all of it past the idle timeout", async () => {
  const size = 16 * 1024 * 1024;
  await withListener(SHORT, () => new Response(new Uint8Array(size)), async (l) => {
    const started = performance.now();
    // ~10 MB/s at most: well past the 600 ms idle timeout.
    const { got, cut } = await download(l.port, size, { chunkBytes: 256 * 1024, pauseMs: 25 });
    assert.equal(cut, false, "the download was cut short");
    assert.equal(got, size);
    assert.ok(performance.now() - started > 1_000, "the reader was not slow enough to test this");
  });
});

/** A response of `size` zero bytes, with its length declared as fazt's static files have it. */
function bytesResponse(size: number): Response {
  return new Response(new Uint8Array(size), { headers: { "content-length": String(size) } });
}

/**
 * Sends `GET /` and reads the response body: `chunkBytes` at a time with
 * `pauseMs` between reads, and one pause of `stallMs` once `stallAfter` body
 * bytes arrived. Returns the body bytes read and whether the server ended the
 * connection before `size` bytes came.
 */
async function download(
  port: number,
  size: number,
  options: { chunkBytes: number; pauseMs: number; stallAfter?: number; stallMs?: number },
): Promise<{ got: number; cut: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const buf = new Uint8Array(options.chunkBytes);
    let got = 0;
    let head = "";
    let stalled = false;
    while (got < size) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        n = null; // reset
      }
      if (n === null) return { got, cut: true };
      if (!head.includes("\r\n\r\n")) {
        head += dec.decode(buf.subarray(0, n));
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) got += head.length - end - 4; // ASCII headers, zero bytes body
        continue;
      }
      got += n;
      if (!stalled && options.stallAfter !== undefined && got >= options.stallAfter) {
        stalled = true;
        await sleep(options.stallMs ?? 0);
      } else if (options.pauseMs > 0) await sleep(options.pauseMs);
    }
    return { got, cut: false };
  } finally {
    conn.close();
  }
}

/** 48 MiB (far more than the socket buffers hold), read by a client that stops for 2.5 s after 1 MiB. */
async function stalledRead(watched: boolean): Promise<{ got: number; cut: boolean; size: number }> {
  const size = 48 * 1024 * 1024;
  let result = { got: 0, cut: false };
  await withListener(
    { ...SHORT, sendTimeoutMs: 600 },
    () => watched ? watchSend(bytesResponse(size)) : bytesResponse(size),
    async (l) => {
      result = await download(l.port, size, {
        chunkBytes: 256 * 1024,
        pauseMs: 0,
        stallAfter: 1024 * 1024,
        stallMs: 2_500,
      });
    },
  );
  return { ...result, size };
}

Deno.test("a client that stops reading a watched large response is cut at the send timeout", async () => {
  const { got, cut, size } = await stalledRead(true);
  assert.ok(cut, "the connection was not cut");
  assert.ok(got < size, `${got} of ${size} bytes`);
});

Deno.test("without the watch, the same stalled reader keeps its connection (what the watch is for)", async () => {
  const { got, cut, size } = await stalledRead(false);
  assert.equal(cut, false);
  assert.equal(got, size);
});

Deno.test("a slow but steady reader of a watched response gets all of it", async () => {
  const size = 24 * 1024 * 1024;
  await withListener(
    { ...SHORT, sendTimeoutMs: 600 },
    () => watchSend(bytesResponse(size)),
    async (l) => {
      const started = performance.now();
      // 256 KiB every 40 ms (~6 MB/s): each piece is taken well within 600 ms.
      const { got, cut } = await download(l.port, size, { chunkBytes: 256 * 1024, pauseMs: 40 });
      assert.equal(cut, false);
      assert.equal(got, size);
      assert.ok(performance.now() - started > 1_500, "the reader was not slow enough to test this");
    },
  );
});

Deno.test("time a watched response's producer takes does not count as a stalled client", async () => {
  const piece = new Uint8Array(100 * 1024).fill(1);
  await withListener(
    { ...SHORT, sendTimeoutMs: 600 },
    () => {
      let left = 3;
      return watchSend(
        new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (left-- === 0) return controller.close();
              await sleep(1_000); // longer than the send timeout
              controller.enqueue(piece);
            },
          }),
          { headers: { "content-length": String(3 * piece.length) } },
        ),
      );
    },
    async (l) => {
      const { got, cut } = await download(l.port, 3 * piece.length, {
        chunkBytes: 64 * 1024,
        pauseMs: 0,
      });
      assert.equal(cut, false);
      assert.equal(got, 3 * piece.length);
    },
  );
});

Deno.test("a body nobody reads that stalls (POST, or GET with a body) is cut off", async () => {
  await withListener({ ...SHORT, idleTimeoutMs: 5_000 }, hello, async (l) => {
    for (const method of ["POST", "GET"]) {
      const c = await RawClient.open(l.port);
      try {
        await c.write(`${method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789`);
        const ms = await c.closedWithin(2_000);
        assert.match(c.received, /^HTTP\/1\.1 200 OK[\s\S]*hello$/, method);
        assert.ok(ms >= 500, `${method}: closed after ${ms.toFixed(0)} ms`);
      } finally {
        await c.close();
      }
    }
  });
});

Deno.test("shutdown waits for a moving upload and cuts a stalled one", async () => {
  const l = listen({ hostname: "127.0.0.1", port: 0, limits: SHORT });
  l.setHandler(async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}`));
  const moving = await RawClient.open(l.port);
  const stalled = await RawClient.open(l.port);
  try {
    await moving.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n0123456789");
    await stalled.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n0123456789");
    await sleep(100);
    const started = performance.now();
    let stopped = false;
    const stopping = l.shutdown().then(() => stopped = true);
    for (let i = 0; i < 3; i++) {
      await sleep(300);
      assert.ok(await moving.write("0123456789"), "the server closed a moving upload");
    }
    await moving.closedWithin(1_000);
    assert.match(moving.received, /^HTTP\/1\.1 200 OK[\s\S]*got 40$/);
    await stalled.closedWithin(2_000);
    assert.doesNotMatch(stalled.received, /200 OK/);
    await Promise.race([stopping, sleep(2_000)]);
    assert.ok(stopped, "shutdown did not finish");
    assert.ok(performance.now() - started < 2_000);
  } finally {
    await moving.close();
    await stalled.close();
    await l.shutdown();
  }
});
