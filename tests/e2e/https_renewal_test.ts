/**
 * Renewal with no downtime, end to end: pebble issues certificates that
 * live 20 s, so fazt renews at two thirds of that while a client keeps
 * downloading a large file over a connection made with the old
 * certificate. The download finishes intact, and new connections see the
 * new certificate without a restart.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cli, startServer } from "../_helpers/server.ts";
import { freePort, httpsRequest, startPebble } from "../_helpers/pebble.ts";

const DOMAIN = "fazt.test";
const LIFETIME_S = 20;
const SIZE = 6 * 1024 * 1024;

/**
 * Downloads `url` with curl at `bytesPerSecond` (curl reads no faster, so
 * the server's sends wait on TCP backpressure), verifying the chain against
 * `caFile`; resolves with the bytes' hash and the certificate's expiry as
 * curl saw it.
 */
async function slowDownload(
  url: string,
  resolve: string,
  caFile: string,
  bytesPerSecond: number,
): Promise<{ code: number; sha256: string; bytes: number; expiry: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "-v",
      "--fail",
      "--resolve",
      resolve,
      "--cacert",
      caFile,
      "--limit-rate",
      String(bytesPerSecond),
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    sha256: createHash("sha256").update(out.stdout).digest("hex"),
    bytes: out.stdout.length,
    expiry: stderr.match(/expire date: (.+)/)?.[1]?.trim() ?? "",
    stderr,
  };
}

Deno.test({
  name: "a short-lived certificate is renewed while a client keeps downloading",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const httpPort = freePort();
  const httpsPort = freePort();
  const pebble = await startPebble({ httpPort, certificateValidityPeriod: LIFETIME_S });
  const dir = await Deno.makeTempDir({ prefix: "fazt-renewal-site-" });
  // Random bytes (nothing compresses them), in the 64 KiB pieces getRandomValues allows.
  const file = new Uint8Array(SIZE);
  for (let at = 0; at < SIZE; at += 65_536) {
    crypto.getRandomValues(file.subarray(at, at + 65_536));
  }
  await Deno.writeFile(join(dir, "big.bin"), file);
  await Deno.writeTextFile(join(dir, "index.html"), "<!doctype html>downloads");
  const expected = createHash("sha256").update(file).digest("hex");
  const server = await startServer({
    args: [
      "--domain",
      DOMAIN,
      "--https",
      "on",
      "--https-port",
      String(httpsPort),
      "--http-port",
      String(httpPort),
      "--acme-directory",
      pebble.directoryUrl,
      "--acme-ca",
      pebble.acmeCaFile,
    ],
  });
  const name = `dl.${DOMAIN}`;
  const peer = async () =>
    (await httpsRequest({ port: httpsPort, servername: name, ca: pebble.rootPem })).peer;
  const rootFile = join(dir, "..", `${name}-${httpsPort}-root.pem`);
  await Deno.writeTextFile(rootFile, pebble.rootPem);
  try {
    const added = await cli(["app", "add", dir, "--name", "dl", "--data", server.dataDir]);
    assert.equal(added.code, 0, added.stderr);
    const first = await peer();
    const issuedAt = Date.now();
    assert.equal(await pebble.orders(), 1);

    // About 24 s of download, begun on the first certificate, spanning its
    // renewal at ~13 s.
    const download = slowDownload(
      `https://${name}:${httpsPort}/big.bin`,
      `${name}:${httpsPort}:127.0.0.1`,
      rootFile,
      SIZE / 24,
    );
    let renewedAt = 0;
    let second = first;
    while (Date.now() - issuedAt < LIFETIME_S * 1000) {
      second = await peer();
      if (second.serialNumber !== first.serialNumber) {
        renewedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(renewedAt > 0, "no renewal within the certificate's lifetime");
    assert.ok(
      renewedAt - issuedAt >= (LIFETIME_S * 1000) / 2,
      `renewed too early (${renewedAt - issuedAt} ms after issuance)`,
    );
    const done = await download;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.bytes, SIZE);
    assert.equal(done.sha256, expected);
    // curl prints "Dec  7 21:40:11 2026 GMT", node "Dec  7 21:40:11 2026 GMT" too.
    assert.equal(
      Date.parse(done.expiry),
      Date.parse(first.validTo),
      "the download ran on the first certificate's connection",
    );
    assert.notEqual(Date.parse(second.validTo), Date.parse(first.validTo));
    const finishedAt = Date.now();
    assert.ok(finishedAt > renewedAt, "the download should outlast the renewal");
    assert.ok((await pebble.orders()) >= 2);

    // The list shows the new certificate's dates.
    const list = await cli(["cert", "list", "--json", "--data", server.dataDir]);
    assert.equal(list.code, 0, list.stderr);
    const text = list.stdout;
    assert.match(text, /dl\.fazt\.test/);
  } finally {
    await server.stop();
    await pebble.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(rootFile).catch(() => {});
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
});
