import assert from "node:assert/strict";
import { createServer } from "node:https";
import { join } from "node:path";
import { findExecutable } from "../../bench/process.ts";
import { makeBenchCertificate } from "../../bench/tls_cert.ts";
import {
  buildShim,
  parseShimCounts,
  probeTls,
  TLS_CLIENT,
  writeClientConfig,
} from "../../bench/tls_client.ts";
import { runWrk } from "../../bench/wrk.ts";

const openssl = await findExecutable("openssl");
const cc = await findExecutable("cc");
const wrk = await findExecutable("wrk");

Deno.test("parseShimCounts reads the shim's last line and nothing else", () => {
  assert.deepEqual(
    parseShimCounts(
      "noise\ntls-shim: 3 full handshakes, 0 resumed\ntls-shim: 7 full handshakes, 12 resumed\n",
    ),
    { full: 7, resumed: 12 },
  );
  assert.equal(parseShimCounts("wrk: nothing here"), undefined);
});

/** A node:https server on 127.0.0.1 with the benchmark certificate, answering 2 KB per request. */
async function withTlsServer(
  fn: (port: number, dir: string, caFile: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-tls-client-test-" });
  const cert = await makeBenchCertificate(openssl!, join(dir, "cert"), ["localhost"]);
  const body = "x".repeat(2048);
  const server = createServer({
    cert: await Deno.readTextFile(cert.certFile),
    key: await Deno.readTextFile(cert.keyFile),
  }, (_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn((server.address() as { port: number }).port, dir, cert.caFile);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "the client configuration pins TLS 1.3, P-256 and one cipher; the probe reports them",
  ignore: !openssl,
  fn: () =>
    withTlsServer(async (port, dir, caFile) => {
      const clientConfig = await writeClientConfig(dir);
      const probe = await probeTls(openssl!, {
        port,
        servername: "localhost",
        caFile,
        clientConfig,
      });
      assert.equal(probe.protocol, "TLSv1.3");
      assert.equal(probe.cipher, TLS_CLIENT.cipher);
      assert.match(probe.keyExchange, /prime256v1/);
      assert.equal(probe.signature, "ECDSA");
      assert.equal(probe.verified, true);
      assert.equal(probe.alpn, "http/1.1"); // node:https picks http/1.1 from h2, http/1.1
      // A name the certificate does not cover fails verification.
      await assert.rejects(
        probeTls(openssl!, { port, servername: "other.example", caFile, clientConfig }),
        /failed/,
      );
    }),
});

Deno.test({
  name: "wrk with the shim: resumes after Connection: close, and does full handshakes when told",
  ignore: !openssl || !cc || !wrk,
  fn: () =>
    withTlsServer(async (port, dir) => {
      const shim = await buildShim(cc!, dir);
      const env = { OPENSSL_CONF: await writeClientConfig(dir), LD_PRELOAD: shim };
      const options = {
        url: `https://localhost:${port}/`,
        threads: 1,
        connections: 2,
        duration: "1s",
        headers: ["Connection: close"],
      };
      const resumed = await runWrk(wrk!, options, { env });
      const counts = parseShimCounts(resumed.stderr);
      assert.ok(counts, resumed.stderr);
      assert.ok(resumed.requests > 20, resumed.raw);
      assert.ok(counts.resumed > counts.full, JSON.stringify(counts));
      const full = await runWrk(wrk!, options, { env: { ...env, TLS_SHIM_FRESH: "1" } });
      const fresh = parseShimCounts(full.stderr);
      assert.ok(fresh, full.stderr);
      assert.equal(fresh.resumed, 0);
      assert.ok(fresh.full >= full.requests, `${JSON.stringify(fresh)} ${full.requests}`);
    }),
});
