/**
 * The egress guard through real sockets on loopback: it connects to the
 * address it checked, not to a second lookup. A loopback server on
 * 127.0.0.2 stands in for "the public host" (the guard's test seam counts that
 * one address as public); a rebinding resolver answers 127.0.0.2 to the check
 * and 127.0.0.3 afterwards, where a tripwire listens on the same port.
 */
import assert from "node:assert/strict";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { createEgressGuard } from "../../../../kernel/services/egress/egress_guard.ts";
import { type RecordingServer, startPair, testCa, type Tripwire } from "./tls_fixture.ts";

const CHECKED = "127.0.0.2";
const REBOUND = "127.0.0.3";
const PLAIN = "a gzip-encoded answer ".repeat(100);
const GZ = new Uint8Array(
  await new Response(new Blob([PLAIN]).stream().pipeThrough(new CompressionStream("gzip")))
    .arrayBuffer(),
);

/** Answers `first` to the first lookup of `name` and `later` to every later one. */
function rebindingResolver(name: string, first: string[], later: string[]) {
  const asked: string[] = [];
  return {
    asked,
    resolve: (host: string) => {
      asked.push(host);
      if (host !== name) return Promise.reject(new Error(`NXDOMAIN ${host}`));
      return Promise.resolve(asked.length === 1 ? first : later);
    },
  };
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

async function closeAll(server: RecordingServer, trap: Tripwire): Promise<void> {
  await server.close();
  await trap.close();
}

Deno.test("a rebinding DNS answer cannot redirect the connection: the guard connects to the address it checked", async () => {
  const { server, trap } = await startPair(
    CHECKED,
    REBOUND,
    (_req, res) => res.end("checked host"),
  );
  try {
    const dns = rebindingResolver("rebind.test", [CHECKED], [REBOUND]);
    const guard = createEgressGuard({ resolve: dns.resolve, allowLoopbackForTests: [CHECKED] });
    const url = `http://rebind.test:${server.port}/data`;
    const res = await guard.fetch({ url });
    assert.equal(res.status, 200);
    assert.equal(new TextDecoder().decode(res.body), "checked host");
    assert.deepEqual(dns.asked, ["rebind.test"], "the name was looked up once, by the check");
    assert.deepEqual(
      server.arrivals.map((a) => [a.localAddress, a.headers.find(([n]) => n === "host")?.[1]]),
      [[CHECKED, `rebind.test:${server.port}`]],
    );
    assert.equal(trap.connections(), 0);

    // The next fetch is checked again, sees the new answer and is refused.
    const err = await rejection(guard.fetch({ url }));
    assert.equal(err.code, "forbidden");
    assert.equal(err.details.address, REBOUND);
    assert.equal(err.details.range, "loopback");
    assert.equal(trap.connections(), 0);
    assert.equal(server.arrivals.length, 1);
  } finally {
    await closeAll(server, trap);
  }
});

Deno.test("over https the guard connects to the checked address with the name's SNI and certificate", async () => {
  const ca = await testCa();
  const { server, trap } = await startPair(
    CHECKED,
    REBOUND,
    (_req, res) => res.end("secure checked host"),
    await ca.issue(["DNS:rebind.test"]),
  );
  try {
    const dns = rebindingResolver("rebind.test", [CHECKED], [REBOUND]);
    const guard = createEgressGuard({
      resolve: dns.resolve,
      allowLoopbackForTests: [CHECKED],
      caCerts: [ca.caPem],
    });
    const res = await guard.fetch({ url: `https://rebind.test:${server.port}/secure` });
    assert.equal(new TextDecoder().decode(res.body), "secure checked host");
    assert.deepEqual(
      server.arrivals.map((a) => [a.localAddress, a.sni]),
      [[CHECKED, "rebind.test"]],
    );
    assert.equal(trap.connections(), 0);
    assert.deepEqual(dns.asked, ["rebind.test"]);
  } finally {
    await closeAll(server, trap);
  }
});

Deno.test("over https a certificate for the pinned IP instead of the name is refused as a network error", async () => {
  const ca = await testCa();
  const { server, trap } = await startPair(
    CHECKED,
    REBOUND,
    (_req, res) => res.end("must not be read"),
    await ca.issue([`IP:${CHECKED}`]),
  );
  try {
    const dns = rebindingResolver("rebind.test", [CHECKED], [REBOUND]);
    const guard = createEgressGuard({
      resolve: dns.resolve,
      allowLoopbackForTests: [CHECKED],
      caCerts: [ca.caPem],
    });
    const err = await rejection(guard.fetch({ url: `https://rebind.test:${server.port}/` }));
    assert.equal(err.code, "unavailable");
    assert.equal(err.details.reason, "network_error");
    assert.equal(server.arrivals.length, 0);
    assert.equal(trap.connections(), 0);
  } finally {
    await closeAll(server, trap);
  }
});

Deno.test("a redirect back to the same name is checked again and the rebound address refused", async () => {
  const { server, trap } = await startPair(CHECKED, REBOUND, (req, res) => {
    res.statusCode = 302;
    res.setHeader("location", `/again${req.url}`);
    res.end();
  });
  try {
    const dns = rebindingResolver("rebind.test", [CHECKED], [REBOUND]);
    const guard = createEgressGuard({ resolve: dns.resolve, allowLoopbackForTests: [CHECKED] });
    const err = await rejection(guard.fetch({ url: `http://rebind.test:${server.port}/start` }));
    assert.equal(err.code, "forbidden");
    assert.equal(err.details.address, REBOUND);
    assert.deepEqual(dns.asked, ["rebind.test", "rebind.test"], "one check per hop");
    assert.equal(server.arrivals.length, 1);
    assert.equal(trap.connections(), 0);
  } finally {
    await closeAll(server, trap);
  }
});

Deno.test("through real sockets the guard still decodes, limits the body and keeps its deadline", async () => {
  const { server, trap } = await startPair(CHECKED, REBOUND, (req, res) => {
    if (req.url === "/gzip") {
      res.setHeader("content-encoding", "gzip");
      res.end(GZ);
    } else if (req.url === "/endless") {
      const piece = new Uint8Array(64 * 1024);
      const pump = () => {
        while (!res.destroyed) if (!res.write(piece)) return void res.once("drain", pump);
      };
      pump();
    } // "/silent" never answers
  });
  try {
    const resolve = (host: string) =>
      host === "public.test" ? Promise.resolve([CHECKED]) : Promise.reject(new Error("NXDOMAIN"));
    const base = `http://public.test:${server.port}`;
    const guard = createEgressGuard({
      resolve,
      allowLoopbackForTests: [CHECKED],
      maxResponseBytes: 1024 * 1024,
      timeoutMs: 300,
    });
    const decoded = await guard.fetch({ url: `${base}/gzip` });
    assert.equal(new TextDecoder().decode(decoded.body), PLAIN);
    assert.equal(Object.fromEntries(decoded.headers)["content-encoding"], "gzip");

    const tooLarge = await rejection(guard.fetch({ url: `${base}/endless` }));
    assert.equal(tooLarge.code, "payload_too_large");
    assert.equal(tooLarge.details.reason, "response_too_large");

    const started = performance.now();
    const late = await rejection(guard.fetch({ url: `${base}/silent` }));
    assert.equal(late.details.reason, "timeout");
    assert.ok(performance.now() - started < 5_000);
    assert.equal(trap.connections(), 0);
  } finally {
    await closeAll(server, trap);
  }
});

Deno.test("the loopback test seam accepts IPv4 loopback addresses only, and only those it names", async () => {
  for (const bad of ["10.0.0.1", "169.254.169.254", "168.63.129.16", "::1", "localhost", ""]) {
    assert.throws(
      () => createEgressGuard({ allowLoopbackForTests: [bad] }),
      /127\.0\.0\.0\/8 addresses only/,
      bad,
    );
  }
  const guard = createEgressGuard({ allowLoopbackForTests: [CHECKED] });
  for (const url of ["http://127.0.0.1/", "http://127.0.0.3/", "http://[::1]/"]) {
    const err = await rejection(guard.fetch({ url }));
    assert.equal(err.details.reason, "private_address", url);
  }
});
