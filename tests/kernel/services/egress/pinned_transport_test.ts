import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  createPinnedTransport,
  type TransportRequest,
  type TransportResponse,
} from "../../../../kernel/services/egress/pinned_transport.ts";
import { startPair, startRecordingServer, startTripwire, testCa } from "./tls_fixture.ts";
import { FAZT_FLAGS } from "../../../_helpers/server.ts";

const STAND_IN = "127.0.0.2";
const text = (s: string) => new TextEncoder().encode(s);

function init(overrides: Partial<TransportRequest> = {}): TransportRequest {
  return {
    method: "GET",
    headers: new Headers({ "user-agent": "fazt-app" }),
    body: null,
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
    ...overrides,
  };
}

async function readAll(res: TransportResponse): Promise<Uint8Array> {
  return new Uint8Array(await new Response(res.body).arrayBuffer());
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof Error, `expected an Error, got ${err}`);
    return err;
  }
  assert.fail("expected a failure, but it succeeded");
}

Deno.test("the transport connects to the checked address even when the name resolves elsewhere", async () => {
  // The system resolves "localhost" to 127.0.0.1, where the trap listens on
  // the same port: any second lookup of the name would land there.
  const { server, trap } = await startPair(STAND_IN, "127.0.0.1", (_req, res) => res.end("pinned"));
  try {
    const send = createPinnedTransport();
    const res = await send(`http://localhost:${server.port}/x?y=1`, init(), [STAND_IN]);
    assert.equal(new TextDecoder().decode(await readAll(res)), "pinned");
    assert.equal(server.arrivals.length, 1);
    assert.equal(server.arrivals[0].localAddress, STAND_IN);
    assert.equal(server.arrivals[0].path, "/x?y=1");
    assert.deepEqual(
      server.arrivals[0].headers.find(([name]) => name === "host"),
      ["host", `localhost:${server.port}`],
    );
    assert.equal(trap.connections(), 0, "the transport resolved the name again");
    // Control: Deno's fetch resolves the name itself and walks into the trap,
    // so this test would catch a transport that does the same.
    await fetch(`http://localhost:${server.port}/`).then((r) => r.body?.cancel(), () => {});
    assert.equal(trap.connections(), 1);
  } finally {
    await server.close();
    await trap.close();
  }
});

Deno.test("over https the pinned connection sends the name as SNI and verifies the certificate against it", async () => {
  const ca = await testCa();
  const tls = await ca.issue(["DNS:localhost"]);
  const { server, trap } = await startPair(
    STAND_IN,
    "127.0.0.1",
    (_req, res) => res.end("secure"),
    tls,
  );
  try {
    const send = createPinnedTransport({ caCerts: [ca.caPem] });
    const res = await send(`https://localhost:${server.port}/s`, init(), [STAND_IN]);
    assert.equal(res.status, 200);
    assert.equal(new TextDecoder().decode(await readAll(res)), "secure");
    assert.deepEqual(
      server.arrivals.map((a) => [a.localAddress, a.sni]),
      [[STAND_IN, "localhost"]],
    );
    assert.equal(trap.connections(), 0);
  } finally {
    await server.close();
    await trap.close();
  }
});

Deno.test("the certificate must be valid for the host name: the pinned IP, another name or an unknown CA do not do", async () => {
  const ca = await testCa();
  const cases: { name: string; sans: string[]; trusted: boolean; env?: boolean }[] = [
    { name: "certificate for the pinned IP only", sans: [`IP:${STAND_IN}`], trusted: true },
    { name: "certificate for another name", sans: ["DNS:other.test"], trusted: true },
    { name: "certificate from an unknown CA", sans: ["DNS:pinned.test"], trusted: false },
    {
      name: "unknown CA, with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment",
      sans: ["DNS:pinned.test"],
      trusted: false,
      env: true,
    },
  ];
  for (const c of cases) {
    const server = await startRecordingServer(
      STAND_IN,
      0,
      (_req, res) => res.end("must not be read"),
      await ca.issue(c.sans),
    );
    if (c.env) Deno.env.set("NODE_TLS_REJECT_UNAUTHORIZED", "0");
    try {
      const send = createPinnedTransport(c.trusted ? { caCerts: [ca.caPem] } : {});
      await rejects(send(`https://pinned.test:${server.port}/`, init(), [STAND_IN]));
      assert.equal(server.arrivals.length, 0, `${c.name}: a request was sent`);
    } finally {
      if (c.env) Deno.env.delete("NODE_TLS_REJECT_UNAUTHORIZED");
      await server.close();
    }
  }
});

Deno.test("the transport tries each checked address in turn and uses no other", async () => {
  const server = await startRecordingServer(STAND_IN, 0, (_req, res) => res.end("second"));
  try {
    const send = createPinnedTransport();
    // 127.0.0.9 refuses the connection; the next checked address answers.
    const res = await send(`http://multi.test:${server.port}/`, init(), ["127.0.0.9", STAND_IN]);
    assert.equal(new TextDecoder().decode(await readAll(res)), "second");
    // No checked address, or a literal that is not among them: nothing is sent.
    await rejects(send(`http://multi.test:${server.port}/`, init(), []));
    await rejects(send(`http://127.0.0.3:${server.port}/`, init(), [STAND_IN]));
    assert.equal(server.arrivals.length, 1);
  } finally {
    await server.close();
  }
});

/** Headers a server saw, without the connection-management ones the two clients word differently. */
function seen(headers: [string, string][]): [string, string][] {
  return headers.filter(([name]) => name !== "connection" && name !== "keep-alive")
    .sort(([a], [b]) => a.localeCompare(b));
}

Deno.test("the transport sends the same request headers as Deno's fetch", async () => {
  const server = await startRecordingServer(STAND_IN, 0, (req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  const cases: { name: string; method: string; headers: Record<string, string>; body?: string }[] =
    [
      { name: "plain GET", method: "GET", headers: {} },
      { name: "own accept", method: "GET", headers: { accept: "application/json" } },
      { name: "own accept-encoding", method: "GET", headers: { "accept-encoding": "deflate" } },
      { name: "range", method: "GET", headers: { range: "bytes=0-9", "accept-encoding": "br" } },
      {
        name: "POST with a body",
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "hi",
      },
      { name: "bodyless POST", method: "POST", headers: {} },
      { name: "bodyless PUT", method: "PUT", headers: {} },
      { name: "bodyless DELETE", method: "DELETE", headers: {} },
      { name: "HEAD", method: "HEAD", headers: { "accept-language": "fr" } },
    ];
  try {
    const send = createPinnedTransport();
    const url = `http://${STAND_IN}:${server.port}/h`;
    for (const c of cases) {
      const headers = { "user-agent": "fazt-app", ...c.headers };
      const body = c.body === undefined ? null : text(c.body);
      const ours = await send(
        url,
        init({ method: c.method, headers: new Headers(headers), body }),
        [
          STAND_IN,
        ],
      );
      await readAll(ours);
      const theirs = await fetch(url, { method: c.method, headers, body });
      await theirs.arrayBuffer();
      const [a, b] = server.arrivals.splice(0, 2);
      assert.deepEqual(seen(a.headers), seen(b.headers), c.name);
    }
  } finally {
    await server.close();
  }
});

const SAMPLE = text("hello, compressed world ".repeat(200));

function encode(coding: string, body: Uint8Array): Uint8Array {
  switch (coding.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.gzipSync(body);
    case "br":
      return zlib.brotliCompressSync(body);
    case "deflate":
      return zlib.deflateSync(body);
    default:
      return body;
  }
}

Deno.test("responses are decoded exactly when Deno's fetch decodes them", async () => {
  const server = await startRecordingServer(STAND_IN, 0, (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const coding = url.searchParams.get("ce") ?? "";
    const body = url.searchParams.has("empty") ? new Uint8Array(0) : encode(coding, SAMPLE);
    res.setHeader("content-encoding", coding);
    res.setHeader("content-length", body.byteLength);
    res.end(body);
  });
  const cases: { ce: string; headers?: Record<string, string>; empty?: boolean }[] = [
    { ce: "gzip" },
    { ce: "br" },
    { ce: "GZIP" },
    { ce: "Br" },
    { ce: "x-gzip" },
    { ce: "deflate" },
    { ce: "gzip, br" },
    { ce: "identity" },
    { ce: "bogus" },
    { ce: "gzip", headers: { "accept-encoding": "identity" } },
    { ce: "br", headers: { "accept-encoding": "IDENTITY" } },
    { ce: "gzip", headers: { "accept-encoding": "deflate" } },
    { ce: "gzip", headers: { "accept-encoding": "" } },
    { ce: "gzip", headers: { range: "bytes=0-" } },
    { ce: "gzip", empty: true },
    { ce: "br", empty: true },
  ];
  try {
    const send = createPinnedTransport();
    for (const c of cases) {
      const url = `http://${STAND_IN}:${server.port}/?ce=${encodeURIComponent(c.ce)}${
        c.empty ? "&empty" : ""
      }`;
      const headers = { "user-agent": "fazt-app", ...c.headers };
      const ours = await send(url, init({ headers: new Headers(headers) }), [STAND_IN]);
      const ourBody = await readAll(ours);
      const theirs = await fetch(url, { headers });
      const theirBody = new Uint8Array(await theirs.arrayBuffer());
      const label = JSON.stringify(c);
      assert.deepEqual(ourBody, theirBody, label);
      const kept = (h: Headers) => [...h].filter(([name]) => name.startsWith("content-"));
      assert.deepEqual(kept(ours.headers), kept(theirs.headers), label);
    }
  } finally {
    await server.close();
  }
});

Deno.test("status text, repeated headers and bodyless answers look as they do through fetch", async () => {
  const server = await startRecordingServer(STAND_IN, 0, (req, res) => {
    const status = Number(new URL(req.url ?? "/", "http://x").searchParams.get("s"));
    res.statusCode = status;
    res.statusMessage = "Whatever The Server Says";
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    res.setHeader("x-multi", ["1", "2"]);
    res.end(status === 204 || status === 304 ? undefined : "body");
  });
  try {
    const send = createPinnedTransport();
    for (
      const [status, method] of [
        [200, "GET"],
        [299, "GET"],
        [418, "GET"],
        [599, "GET"],
        [
          204,
          "GET",
        ],
        [304, "GET"],
        [200, "HEAD"],
      ] as const
    ) {
      const url = `http://${STAND_IN}:${server.port}/?s=${status}`;
      const ours = await send(url, init({ method }), [STAND_IN]);
      const theirs = await fetch(url, { method });
      const label = `${method} ${status}`;
      assert.equal(ours.status, theirs.status, label);
      assert.equal(ours.statusText, theirs.statusText, label);
      assert.deepEqual(
        [...ours.headers].filter(([n]) => n !== "date" && n !== "keep-alive"),
        [...theirs.headers].filter(([n]) => n !== "date" && n !== "keep-alive"),
        label,
      );
      assert.equal(ours.body === null, theirs.body === null, label);
      if (ours.body) {
        assert.deepEqual(await readAll(ours), new Uint8Array(await theirs.arrayBuffer()), label);
      }
    }
  } finally {
    await server.close();
  }
});

/**
 * A raw TCP server answering each request with the bytes `answer` gives for
 * its path and its rank on the connection (`null`: drop the connection
 * unanswered). With `keepAlive` false it closes each connection after one answer.
 */
function rawServer(answer: (path: string, nth: number) => string | null, keepAlive = false) {
  const listener = Deno.listen({ hostname: STAND_IN, port: 0 });
  let connections = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      connections++;
      (async () => {
        const buf = new Uint8Array(65536);
        for (let nth = 1;; nth++) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) break;
          const path = new TextDecoder().decode(buf.subarray(0, n)).split(" ")[1];
          const reply = answer(path, nth);
          if (reply === null) break;
          await conn.write(text(reply)).catch(() => {});
          if (!keepAlive) break;
        }
        try {
          conn.close();
        } catch {
          // already closed by the client
        }
      })();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    connections: () => connections,
    close: async () => {
      listener.close();
      await serving;
    },
  };
}

Deno.test("a body cut short, at the HTTP level or inside gzip, is an error and never a short success", async () => {
  const gz = zlib.gzipSync(SAMPLE);
  const bin = (b: Uint8Array) => String.fromCharCode(...b);
  const answers: Record<string, string> = {
    "/short": "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this",
    "/chunks": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
    "/gzip": `HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\n\r\n${
      bin(gz.subarray(0, gz.length - 8))
    }`,
    "/garbage": "SSH-2.0-OpenSSH_9.6\r\n\r\n",
  };
  const server = rawServer((path) => answers[path] ?? null);
  try {
    const send = createPinnedTransport();
    for (const path of Object.keys(answers)) {
      const url = `http://${STAND_IN}:${server.port}${path}`;
      const err = await rejects(
        send(url, init(), [STAND_IN]).then((res) => readAll(res)),
      );
      assert.ok(err.message.length > 0, path);
      await rejects(fetch(url).then((r) => r.arrayBuffer()));
    }
  } finally {
    await server.close();
  }
});

Deno.test("unusual but valid answers, and broken ones, end as they do through fetch", async () => {
  const answers: Record<string, string> = {
    "/early-hints": "HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n" +
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    "/until-close": "HTTP/1.1 200 OK\r\n\r\nread until close",
    "/http10": "HTTP/1.0 200 OK\r\n\r\nhttp/1.0 body",
    "/chunk-ext": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
      "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\ntrailer: x\r\n\r\n",
    "/te-and-cl": "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n0\r\n\r\n",
    "/same-cl-twice": "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok",
    "/no-reason": "HTTP/1.1 200\r\ncontent-length: 2\r\n\r\nok",
    "/status-999": "HTTP/1.1 999 Nine\r\ncontent-length: 2\r\n\r\nok",
    "/204-with-body": "HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\nhello",
    "/big-header": `HTTP/1.1 200 OK\r\nx-big: ${
      "a".repeat(100 * 1024)
    }\r\ncontent-length: 2\r\n\r\nok`,
    "/conflicting-cl": "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok",
    "/nul-in-header": "HTTP/1.1 200 OK\r\nx-a: a\x00b\r\ncontent-length: 2\r\n\r\nok",
    "/not-http": "SSH-2.0-OpenSSH_9.6\r\n\r\n",
    "/bad-chunk": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "/silence": "",
  };
  const server = rawServer((path) => answers[path] ?? null);
  const outcome = async (p: Promise<{ status: number; body: Uint8Array }>) => {
    try {
      const { status, body } = await p;
      return `${status} ${new TextDecoder().decode(body)}`;
    } catch {
      return "error";
    }
  };
  try {
    const send = createPinnedTransport();
    for (const path of Object.keys(answers)) {
      const url = `http://${STAND_IN}:${server.port}${path}`;
      const ours = await outcome(
        send(url, init(), [STAND_IN]).then(async (r) => ({
          status: r.status,
          body: await readAll(r),
        })),
      );
      const theirs = await outcome(
        fetch(url).then(async (r) => ({
          status: r.status,
          body: new Uint8Array(await r.arrayBuffer()),
        })),
      );
      assert.equal(ours, theirs, path);
    }
  } finally {
    await server.close();
  }
});

Deno.test("a server that switches protocols (101) gets an error, not a hang", async () => {
  const server = rawServer(
    () =>
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\nraw",
    true,
  );
  try {
    const send = createPinnedTransport();
    const err = await rejects(send(`http://${STAND_IN}:${server.port}/`, init(), [STAND_IN]));
    assert.match(err.message, /switched protocols/);
  } finally {
    await server.close();
  }
});

Deno.test("a body sent in tiny chunks is joined into large pieces, not handled chunk by chunk", async () => {
  const count = 200_000;
  const listener = Deno.listen({ hostname: STAND_IN, port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(65536));
    const bytes = text(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + "1\r\nx\r\n".repeat(count) +
        "0\r\n\r\n",
    );
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    conn.close();
  })();
  try {
    const send = createPinnedTransport();
    const res = await send(`http://${STAND_IN}:${listener.addr.port}/`, init(), [STAND_IN]);
    const reader = res.body!.getReader();
    let total = 0;
    let pieces = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      total += r.value.byteLength;
      pieces++;
      assert.ok(r.value.every((b) => b === 0x78));
    }
    assert.equal(total, count);
    assert.ok(pieces < count / 100, `${pieces} pieces for ${count} chunks`);
  } finally {
    listener.close();
    await serving;
  }
});

Deno.test("response headers are limited in size", async () => {
  const server = await startRecordingServer(STAND_IN, 0, (req, res) => {
    const kib = Number(new URL(req.url ?? "/", "http://x").searchParams.get("kib"));
    res.setHeader("x-big", "a".repeat(kib * 1024));
    res.end("ok");
  });
  try {
    const send = createPinnedTransport();
    const ok = await send(`http://${STAND_IN}:${server.port}/?kib=100`, init(), [STAND_IN]);
    assert.equal(ok.headers.get("x-big")?.length, 100 * 1024);
    await readAll(ok);
    await rejects(send(`http://${STAND_IN}:${server.port}/?kib=300`, init(), [STAND_IN]));
  } finally {
    await server.close();
  }
});

Deno.test("a compression bomb is read in small pieces and abandoned without inflating", async () => {
  const zeros = new Uint8Array(32 * 1024 * 1024);
  const bombs: Record<string, Uint8Array> = {
    gzip: zlib.gzipSync(zeros, { level: 9 }),
    br: zlib.brotliCompressSync(zeros),
  };
  const server = await startRecordingServer(STAND_IN, 0, (req, res) => {
    const coding = (req.url ?? "/").slice(1);
    res.setHeader("content-encoding", coding);
    res.end(bombs[coding]);
  });
  try {
    const send = createPinnedTransport();
    for (const coding of Object.keys(bombs)) {
      const res = await send(`http://${STAND_IN}:${server.port}/${coding}`, init(), [STAND_IN]);
      const reader = res.body!.getReader();
      let total = 0;
      let largest = 0;
      while (total < 4 * 1024 * 1024) {
        const { done, value } = await reader.read();
        assert.equal(done, false, coding);
        total += value!.byteLength;
        largest = Math.max(largest, value!.byteLength);
      }
      await reader.cancel();
      assert.ok(largest <= 64 * 1024, `${coding}: a piece of ${largest} bytes`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("the body is read on demand; cancelling it or aborting closes the connection", async () => {
  let served = 0;
  const closed: Promise<void>[] = [];
  const server = await startRecordingServer(STAND_IN, 0, (req, res) => {
    closed.push(new Promise((resolve) => res.on("close", () => resolve())));
    if (req.url === "/silent") return; // never answers
    const piece = new Uint8Array(64 * 1024);
    const pump = () => {
      while (!res.destroyed) {
        served += piece.byteLength;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
    };
    pump();
  });
  try {
    const send = createPinnedTransport();
    const res = await send(`http://${STAND_IN}:${server.port}/endless`, init(), [STAND_IN]);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(served < 16 * 1024 * 1024, `the server could push ${served} bytes unread`);
    await reader.cancel();
    await closed[0];

    const controller = new AbortController();
    const pending = send(
      `http://${STAND_IN}:${server.port}/silent`,
      init({ signal: controller.signal }),
      [STAND_IN],
    );
    while (server.arrivals.length < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("deadline"));
    assert.equal((await rejects(pending)).message, "deadline");
    await closed[1];
  } finally {
    await server.close();
  }
});

Deno.test("connections are reused; one closed by the server just as it is reused is retried once on a new connection", async () => {
  const ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok";
  let answers = 0;
  let budget = Infinity;
  // Each connection answers its first request and drops the second unanswered,
  // as a server does when it closes an idle connection just as it is reused.
  const server = rawServer((_path, nth) => {
    if (nth !== 1 || answers >= budget) return null;
    answers++;
    return ok;
  }, true);
  try {
    const url = `http://${STAND_IN}:${server.port}/`;
    for (const method of ["GET", "POST"]) {
      const send = createPinnedTransport();
      const before = server.connections();
      await readAll(await send(url, init({ method }), [STAND_IN]));
      const again = await send(url, init({ method }), [STAND_IN]);
      assert.equal(new TextDecoder().decode(await readAll(again)), "ok", method);
      assert.equal(
        server.connections() - before,
        2,
        `${method}: one reuse, then one new connection`,
      );
    }
    // When the new connection fails too, the request fails: one retry only.
    budget = answers + 1;
    const send = createPinnedTransport();
    const before = server.connections();
    await readAll(await send(url, init(), [STAND_IN]));
    await rejects(send(url, init(), [STAND_IN]));
    assert.equal(server.connections() - before, 2);
  } finally {
    await server.close();
  }
});

Deno.test("a tripwire on the checked address's port elsewhere stays silent across many requests", async () => {
  // Reuse and retries never leave the checked address either.
  const server = await startRecordingServer(STAND_IN, 0, (_req, res) => res.end("x"));
  const trap = startTripwire("127.0.0.1", server.port);
  try {
    const send = createPinnedTransport();
    for (let i = 0; i < 20; i++) {
      await readAll(await send(`http://localhost:${server.port}/${i}`, init(), [STAND_IN]));
    }
    assert.equal(server.arrivals.length, 20);
    assert.ok(server.connections() <= 2, `${server.connections()} connections for 20 requests`);
    assert.equal(trap?.connections() ?? 0, 0);
  } finally {
    await server.close();
    await trap?.close();
  }
});

Deno.test("under the kernel's own permissions https works with the default roots and DENO_CERT, as fetch does", async () => {
  const ca = await testCa();
  const server = await startRecordingServer(
    STAND_IN,
    0,
    (_req, res) => res.end("trusted"),
    await ca.issue(["DNS:kernel.test"]),
  );
  const dir = await Deno.makeTempDir({ prefix: "fazt-egress-perm-" });
  try {
    const transport =
      new URL("../../../../kernel/services/egress/pinned_transport.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/probe.ts`,
      `import { createPinnedTransport } from ${JSON.stringify(transport)};
const send = createPinnedTransport();
try {
  const res = await send("https://kernel.test:${server.port}/", {
    method: "GET", headers: new Headers(), body: null, redirect: "manual",
    signal: AbortSignal.timeout(5_000),
  }, [${JSON.stringify(STAND_IN)}]);
  console.log("answer: " + await new Response(res.body).text());
} catch (err) {
  console.log("error: " + err);
}
send.close();
`,
    );
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.caPem);
    const run = async (env: Record<string, string>) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...FAZT_FLAGS, `${dir}/probe.ts`],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stdout).trim() + new TextDecoder().decode(out.stderr);
    };
    // The private CA is unknown to the default roots: a certificate error,
    // not a missing permission.
    const untrusted = await run({});
    assert.match(untrusted, /^error: .*(certificate|UnknownIssuer)/, untrusted);
    assert.doesNotMatch(untrusted, /NotCapable|Requires .* access/);
    // DENO_CERT adds a root for the transport as it does for fetch.
    assert.equal(await run({ DENO_CERT: `${dir}/ca.pem` }), "answer: trusted");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
