/**
 * A streamed `/api` answer that the kernel cuts at the request time limit
 * must reach the client as an error. The head (200) is long gone by then,
 * so the only way to say so is to end the connection without the chunked
 * body's terminating `0\r\n\r\n`: then curl reports a transfer error, fetch
 * rejects the body, and no client takes a cut answer for a complete one.
 * Checked on the wire with a raw TCP client, for streams that trickle,
 * stall, flood and spin, and with fetch; a stream that ends by itself is the
 * control that ends cleanly.
 */
import assert from "node:assert/strict";
import { type Ctx, type HostileCase, runHostileSuite } from "../_helpers/hostile.ts";

const TIMEOUT_MS = 2_000;

const STREAMS = {
  "api/main.js": `const enc = new TextEncoder();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export default (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/api/trickle") {
    return new Response(new ReadableStream({
      async pull(c) {
        await sleep(100);
        c.enqueue(enc.encode("tick\\n"));
      },
    }));
  }
  if (path === "/api/stall") {
    return new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode("one part")); } }));
  }
  if (path === "/api/flood") {
    const block = new Uint8Array(64 * 1024).fill(46);
    return new Response(new ReadableStream({ pull(c) { c.enqueue(block); } }));
  }
  if (path === "/api/spin") {
    let parts = 0;
    return new Response(new ReadableStream({
      async pull(c) {
        if (parts++ === 0) return c.enqueue(enc.encode("one part"));
        // Long enough for the head and the first part to be on their way.
        await sleep(300);
        while (true) {}
      },
    }));
  }
  if (path === "/api/finite") {
    let left = 3;
    return new Response(new ReadableStream({
      async pull(c) {
        if (left-- === 0) return c.close();
        await sleep(100);
        c.enqueue(enc.encode("part\\n"));
      },
    }));
  }
  return "alive";
};
`,
};

/** What a raw client saw of one chunked response. */
interface Wire {
  head: string;
  /** Body bytes, decoded from the chunks. */
  bodyBytes: number;
  /** The terminating zero-size chunk arrived. */
  terminated: boolean;
  /** How the connection ended: the server closed it, reset it, or it was still open. */
  end: "closed" | "reset" | "open";
  ms: number;
}

/**
 * Sends `GET path` over a raw keep-alive connection and decodes the chunked
 * body as it comes, until it is complete, the connection ends or `boundMs`
 * pass.
 */
async function rawGet(ctx: Ctx, host: string, path: string, boundMs: number): Promise<Wire> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: ctx.server.port });
  const started = Date.now();
  const timer = setTimeout(() => conn.close(), boundMs);
  const wire: Wire = { head: "", bodyBytes: 0, terminated: false, end: "open", ms: 0 };
  try {
    await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\n\r\n`));
    const buf = new Uint8Array(256 * 1024);
    let pending = new Uint8Array(0);
    let inHead = true;
    /** Bytes of the current chunk still to skip (data plus its CRLF), or -1 at a size line. */
    let skip = -1;
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (err) {
        if (err instanceof Deno.errors.BadResource) break; // closed by the bound
        wire.end = "reset";
        break;
      }
      if (n === null) {
        wire.end = "closed";
        break;
      }
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(buf.subarray(0, n), pending.length);
      let at = 0;
      if (inHead) {
        const text = new TextDecoder().decode(joined);
        const end = text.indexOf("\r\n\r\n");
        if (end === -1) {
          pending = joined;
          continue;
        }
        wire.head = text.slice(0, end);
        inHead = false;
        at = end + 4;
      }
      while (at < joined.length && !wire.terminated) {
        if (skip > 0) {
          const take = Math.min(skip, joined.length - at);
          // The last two bytes of each skip are the chunk's CRLF.
          wire.bodyBytes += Math.max(0, Math.min(take, skip - 2));
          skip -= take;
          at += take;
          continue;
        }
        const lineEnd = joined.indexOf(10, at);
        if (lineEnd === -1) break;
        const size = parseInt(new TextDecoder().decode(joined.subarray(at, lineEnd)), 16);
        at = lineEnd + 1;
        if (size === 0) wire.terminated = true;
        else skip = size + 2;
      }
      pending = joined.slice(at);
      if (wire.terminated) break; // complete; the connection stays open for the next request
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the bound
    }
  }
  wire.ms = Date.now() - started;
  return wire;
}

/** A fetch client that reaches app hosts through the server itself (no DNS for *.localhost). */
function appClient(ctx: Ctx): Deno.HttpClient {
  return Deno.createHttpClient({ proxy: { url: ctx.server.url } });
}

const CASES: HostileCase[] = [
  {
    name: "a stream that ends by itself ends its chunked body cleanly (the control)",
    async run(ctx) {
      await ctx.deploy("streams", STREAMS);
      const wire = await rawGet(ctx, "streams.localhost", "/api/finite", 5_000);
      assert.match(wire.head, /^HTTP\/1\.1 200/);
      assert.match(wire.head, /transfer-encoding: chunked/i);
      assert.equal(wire.terminated, true);
      assert.equal(wire.bodyBytes, 15);
      assert.equal(wire.end, "open", "the connection ended with the response");
    },
  },
  {
    name:
      "a stream cut at the time limit (trickling, stalled, flooding or spinning) never gets its terminating chunk, and the connection ends",
    async run(ctx) {
      for (const path of ["/api/trickle", "/api/stall", "/api/flood", "/api/spin"]) {
        const wire = await rawGet(ctx, "streams.localhost", path, TIMEOUT_MS + 4_000);
        assert.match(wire.head, /^HTTP\/1\.1 200/, path);
        assert.ok(wire.bodyBytes > 0, `${path}: no body arrived before the cut`);
        assert.equal(wire.terminated, false, `${path} ended like a complete response`);
        assert.notEqual(wire.end, "open", `${path}: the connection was still open`);
        assert.ok(wire.ms >= TIMEOUT_MS - 100, `${path} was cut after ${wire.ms} ms`);
        assert.ok(wire.ms < TIMEOUT_MS + 2_000, `${path} was cut after ${wire.ms} ms`);
      }
      const again = await ctx.get("streams", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
    },
  },
  {
    name: "fetch reading a cut stream rejects, and the app's logs say the stream was cut",
    async run(ctx) {
      const client = appClient(ctx);
      try {
        for (const path of ["/api/trickle", "/api/stall"]) {
          const res = await fetch(`http://streams.localhost${path}`, { client });
          assert.equal(res.status, 200);
          await assert.rejects(res.text(), TypeError, path);
        }
        // The control reads whole through the same client.
        const finite = await fetch("http://streams.localhost/api/finite", { client });
        assert.equal(await finite.text(), "part\npart\npart\n");
      } finally {
        client.close();
      }
      const logs = await (await ctx.server.api("GET", "/apps/streams/logs?limit=200")).text();
      assert.match(logs, /The response stream was cut at the time limit/);
    },
  },
];

runHostileSuite("a cut stream reaches the client as an error", CASES, {
  args: ["--api-timeout", String(TIMEOUT_MS / 1000)],
});
