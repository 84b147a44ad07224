import assert from "node:assert/strict";
import { httpsRequest, type Pebble, startPebble } from "../../../_helpers/pebble.ts";
import { type Http01Fixture, startHttp01Fixture } from "./http01_fixture.ts";
import { serviceFor, startSniServer, testStore } from "./tls_test_kit.ts";
import { eventually } from "../../../_helpers/process.ts";
import type {
  CertificateKeyPair,
  TlsService,
} from "../../../../kernel/services/tls/tls_service.ts";

/** Lifetime of pebble's certificates here (s): renewal is due after about 5 s. */
const VALIDITY_S = 8;

let fixture: Http01Fixture;
let pebble: Pebble;
let current: TlsService | null = null;

Deno.test.beforeAll(async () => {
  fixture = startHttp01Fixture((token) => current?.challengeAnswer(token) ?? null);
  pebble = await startPebble({ httpPort: fixture.port, certificateValidityPeriod: VALIDITY_S });
});

Deno.test.afterAll(async () => {
  await pebble.stop();
  await fixture.close();
});

Deno.test("renewal at two thirds of the lifetime swaps the pair with no gap; a failed renewal keeps the old one and retries", async () => {
  const store = await testStore();
  const name = "renew.example.test";
  const gone = "gone.example.test";
  const served = new Set([name, gone]);
  const { service, logs } = serviceFor(store, pebble, served, { retryBaseMs: 400 });
  current = service;
  const sni = await startSniServer(() => service);
  try {
    const first = await service.certificateFor(name);
    assert.ok(first);
    const info = service.infoFor(name)!;
    assert.ok(info.notAfter! - info.notBefore! <= VALIDITY_S * 1000);
    const goneFirst = await service.certificateFor(gone);
    assert.ok(goneFirst);
    served.delete(gone); // its app was deleted: no renewal
    service.start();
    const orders = await pebble.orders();

    // The renewal's challenge fails once: the old pair keeps serving.
    fixture.failing = true;
    const seen: CertificateKeyPair[] = [];
    const serials = new Set<string>();
    let failedAt = 0;
    const deadline = info.notAfter!;
    while (Date.now() < deadline) {
      const pair = await service.certificateFor(name);
      assert.ok(pair, "a certificate at every moment of the renewal");
      seen.push(pair);
      const answer = await httpsRequest({ port: sni.port, servername: name, ca: pebble.rootPem });
      assert.equal(answer.status, 200);
      serials.add(answer.peer.serialNumber);
      const now = service.infoFor(name)!;
      if (failedAt === 0 && now.lastError !== null) {
        failedAt = Date.now();
        assert.ok(failedAt >= info.renewAt!, "not renewed before two thirds of the lifetime");
        assert.match(now.lastError, /refused the HTTP-01 challenge for renew\.example\.test/);
        assert.equal(pair.version, first.version, "the old pair serves after the failure");
        fixture.failing = false;
      }
      if (pair.version !== first.version) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = seen[seen.length - 1];
    assert.ok(failedAt > 0, "the first renewal failed");
    assert.notEqual(last.version, first.version, "renewed before the old certificate expired");
    assert.ok(last.notAfter > first.notAfter);
    assert.equal(serials.size, 2, "clients saw the old, then the new certificate");
    const versions = seen.map((p) => p.version);
    assert.deepEqual(
      [...new Set(versions)],
      [first.version, last.version],
      "old until the swap, then new",
    );
    await eventually(
      3_000,
      "the renewal of the name no longer served is skipped",
      () => logs.some((l) => l.message.startsWith(`Not renewing the certificate for ${gone} now`)),
    );
    assert.equal((await service.certificateFor(gone))?.version, goneFirst.version);
    assert.equal(
      await pebble.orders(),
      orders + 2,
      "one failed renewal, one retry, none for the other",
    );
    const renewed = service.infoFor(name)!;
    assert.equal(renewed.lastError, null);
    assert.ok(renewed.renewAt! > info.renewAt!);
    assert.ok(
      logs.some((l) => l.level === "info" && l.message === `Renewing the certificate for ${name}.`),
    );
  } finally {
    fixture.failing = false;
    await sni.close();
    await service.close();
    current = null;
    await store.remove();
  }
});
