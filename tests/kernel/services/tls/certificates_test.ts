import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  isOrderableName,
  MAX_RETRY_MS,
  renewalTime,
} from "../../../../kernel/services/tls/certificates.ts";
import { httpsRequest, type Pebble, startPebble } from "../../../_helpers/pebble.ts";
import { createTestCa, type TestCa } from "../../../_helpers/openssl.ts";
import { eventually } from "../../../_helpers/process.ts";
import { type Http01Fixture, startHttp01Fixture } from "./http01_fixture.ts";
import { serviceFor, startSniServer, type TestStore, testStore } from "./tls_test_kit.ts";
import type { TlsService } from "../../../../kernel/services/tls/tls_service.ts";

let fixture: Http01Fixture;
let pebble: Pebble;
let ca: TestCa;
/** The service the fixture asks for challenge answers (the one under test). */
let current: TlsService | null = null;

Deno.test.beforeAll(async () => {
  fixture = startHttp01Fixture((token) => current?.challengeAnswer(token) ?? null);
  [pebble, ca] = await Promise.all([
    startPebble({ httpPort: fixture.port }),
    createTestCa("Owner Test CA"),
  ]);
});

Deno.test.afterAll(async () => {
  await pebble.stop();
  await fixture.close();
  await ca.remove();
});

/** Runs `fn` with a fresh store; closes every service it made. */
async function withStore(fn: (store: TestStore) => Promise<void>): Promise<void> {
  const store = await testStore();
  try {
    await fn(store);
  } finally {
    await current?.close();
    current = null;
    await store.remove();
  }
}

function use(service: TlsService): TlsService {
  current = service;
  return service;
}

Deno.test("names a CA can validate by HTTP-01: dotted DNS names, no IPs, localhost or wildcards", () => {
  for (const ok of ["app.example.com", "a.b.example.test", "xn--bcher-kva.example", "a-1.io"]) {
    assert.equal(isOrderableName(ok), true, ok);
  }
  for (
    const bad of [
      "",
      "localhost",
      "app.localhost",
      "example",
      "127.0.0.1",
      "10.0.0.300",
      "::1",
      "[::1]",
      "*.example.com",
      "-a.example.com",
      "a-.example.com",
      "a_b.example.com",
      "a..example.com",
      ".example.com",
      `${"a".repeat(64)}.example.com`,
      `${"a.".repeat(127)}com`,
    ]
  ) {
    assert.equal(isOrderableName(bad), false, bad);
  }
});

Deno.test("renewal is due at two thirds of the lifetime", () => {
  assert.equal(renewalTime(0, 90), 60);
  assert.equal(renewalTime(1_000, 7_000), 5_000);
  assert.equal(MAX_RETRY_MS, 3_600_000);
});

Deno.test("the first hello for a served name orders once; concurrent hellos share it; HTTPS verifies", async () => {
  await withStore(async (store) => {
    const served = new Set(["app.example.test"]);
    const { service, logs } = serviceFor(store, pebble, served);
    use(service);
    const orders = await pebble.orders();
    const pairs = await Promise.all(
      ["app.example.test", "APP.example.test.", "app.example.test"].map((n) =>
        service.certificateFor(n)
      ),
    );
    assert.equal(await pebble.orders(), orders + 1, "one order for three hellos");
    const [pair] = pairs;
    assert.ok(pair);
    assert.ok(pairs.every((p) => p === pair));
    const leaf = new X509Certificate(pair.certPem);
    assert.equal(leaf.subjectAltName, "DNS:app.example.test");
    assert.equal(pair.notAfter, Date.parse(leaf.validTo));
    assert.equal(pair.version, leaf.fingerprint256.replaceAll(":", ""));
    assert.match(pair.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(await service.certificateFor("app.example.test"), pair, "served from memory");
    assert.equal(await pebble.orders(), orders + 1);
    assert.ok(
      logs.some((l) =>
        l.level === "info" &&
        /^Obtained a certificate for app\.example\.test from Pebble Intermediate CA/.test(l.message)
      ),
      JSON.stringify(logs),
    );

    const info = service.infoFor("app.example.test")!;
    assert.equal(info.id, "app.example.test");
    assert.equal(info.source, "acme");
    assert.match(info.issuer!, /^Pebble Intermediate CA/);
    assert.equal(info.renewAt, renewalTime(info.notBefore!, info.notAfter!));
    assert.equal(info.lastError, null);
    assert.deepEqual(service.list(), [info]);
    assert.equal(service.challengeAnswer("no-such-token"), null);

    const sni = await startSniServer(() => service);
    try {
      const answer = await httpsRequest({
        port: sni.port,
        servername: "app.example.test",
        ca: pebble.rootPem,
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, "hello app.example.test");
      assert.equal(answer.peer.serialNumber, leaf.serialNumber);
      assert.equal(answer.peer.subjectaltname, "DNS:app.example.test");
      await assert.rejects(
        httpsRequest({ port: sni.port, servername: "app.example.test", ca: ca.caPem }),
        "verification is on: another CA does not verify pebble's chain",
      );
    } finally {
      await sni.close();
    }
  });
});

Deno.test("a name fazt does not serve, or no CA could validate, never reaches the CA", async () => {
  await withStore(async (store) => {
    const asked: string[] = [];
    const { service } = serviceFor(store, pebble, new Set(), {
      allowed: (name) => {
        asked.push(name);
        return name.endsWith(".served.test") && !name.startsWith("unknown.");
      },
    });
    use(service);
    const orders = await pebble.orders();
    for (
      const name of [
        "unknown.served.test",
        "localhost",
        "127.0.0.1",
        "nodot",
        "bad_label.served.test",
        "*.served.test",
        "",
      ]
    ) {
      assert.equal(await service.certificateFor(name), null, name);
    }
    assert.deepEqual(asked, ["unknown.served.test"], "invalid names are refused before asking");
    assert.equal(await pebble.orders(), orders);
    assert.deepEqual(service.list(), []);
  });
});

Deno.test("a failing challenge: a clear stored error, no order during the backoff, then a retry that succeeds", async () => {
  await withStore(async (store) => {
    const name = "flaky.example.test";
    const { service, logs } = serviceFor(store, pebble, new Set([name]), { retryBaseMs: 300 });
    use(service);
    const orders = await pebble.orders();
    fixture.failing = true;
    try {
      assert.equal(await service.certificateFor(name), null);
      const first = service.infoFor(name)!;
      assert.match(
        first.lastError!,
        /^The ACME server refused the HTTP-01 challenge for flaky\.example\.test: .*404/,
      );
      assert.equal(first.retryAt! - first.lastErrorAt!, 300);
      assert.equal(first.notAfter, null);
      assert.ok(logs.some((l) => l.level === "error" && l.message.includes(first.lastError!)));
      assert.equal(await service.certificateFor(name), null, "in backoff");
      assert.equal(await pebble.orders(), orders + 1, "no order during the backoff");

      await eventually(2_000, "the backoff ends", () => Date.now() > first.retryAt!);
      assert.equal(await service.certificateFor(name), null);
      const second = service.infoFor(name)!;
      assert.equal(await pebble.orders(), orders + 2);
      assert.equal(second.retryAt! - second.lastErrorAt!, 600, "the backoff doubles");
      const row = store.db.read.prepare(
        "SELECT last_error, retry_at, failures FROM certificates WHERE id = ?",
      ).get(name) as { last_error: string; retry_at: number; failures: number };
      assert.deepEqual({ ...row }, {
        last_error: second.lastError,
        retry_at: second.retryAt,
        failures: 2,
      });
      fixture.failing = false;
      await eventually(2_000, "the backoff ends", () => Date.now() > second.retryAt!);
      assert.ok(await service.certificateFor(name));
      assert.equal(await pebble.orders(), orders + 3);
      const healed = service.infoFor(name)!;
      assert.deepEqual([healed.lastError, healed.lastErrorAt, healed.retryAt], [null, null, null]);
    } finally {
      fixture.failing = false;
    }
  });
});

Deno.test("a restart serves stored certificates without a new order and keeps the account", async () => {
  await withStore(async (store) => {
    const served = new Set(["keep.example.test", "later.example.test"]);
    const first = use(serviceFor(store, pebble, served).service);
    const pair = await first.certificateFor("keep.example.test");
    assert.ok(pair);
    await first.close();
    const account = () => ({
      ...store.db.read.prepare("SELECT directory_url, account_url, key_sealed FROM acme_accounts")
        .get(),
    });
    const accountBefore = account();
    assert.equal(accountBefore.directory_url, pebble.directoryUrl);
    assert.match(String(accountBefore.account_url), /^https:\/\/127\.0\.0\.1:\d+\/my-account\//);

    const orders = await pebble.orders();
    const registrations = await pebble.accountRequests();
    const second = use(serviceFor(store, pebble, served).service);
    const again = await second.certificateFor("keep.example.test");
    assert.deepEqual(again, pair);
    assert.equal(await pebble.orders(), orders, "no new order after the restart");

    assert.ok(await second.certificateFor("later.example.test"));
    assert.equal(await pebble.orders(), orders + 1);
    assert.equal(await pebble.accountRequests(), registrations, "the stored account is reused");
    assert.deepEqual(account(), accountBefore);
  });
});

Deno.test("start() arms renewal far ahead for a long-lived certificate (no early timer)", async () => {
  await withStore(async (store) => {
    const { service } = serviceFor(store, pebble, new Set(["longlived.example.test"]));
    use(service);
    assert.ok(await service.certificateFor("longlived.example.test"));
    const info = service.infoFor("longlived.example.test")!;
    assert.ok(info.renewAt! - Date.now() > 365 * 86_400_000, "pebble's default lifetime is years");
    const orders = await pebble.orders();
    service.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      await pebble.orders(),
      orders,
      "a timeout beyond 2^31 ms would have fired at once",
    );
  });
});

Deno.test("the owner's certificates: checked, preferred, wildcards cover one label, removable", async () => {
  await withStore(async (store) => {
    const { service } = serviceFor(store, pebble, new Set(["own.example.test"]));
    use(service);
    const orders = await pebble.orders();
    const acme = await service.certificateFor("own.example.test");
    assert.ok(acme);

    const wildcard = await ca.issue({ sans: ["DNS:*.example.test"] });
    const info = await service.addManual(wildcard.certPem, wildcard.keyPem);
    assert.deepEqual(
      {
        id: info.id,
        names: info.names,
        source: info.source,
        issuer: info.issuer,
        renewAt: info.renewAt,
      },
      {
        id: "manual:*.example.test",
        names: ["*.example.test"],
        source: "manual",
        issuer: "Owner Test CA",
        renewAt: null,
      },
    );
    const manualPair = await service.certificateFor("a.example.test");
    assert.ok(manualPair);
    assert.equal(new X509Certificate(manualPair.certPem).subjectAltName, "DNS:*.example.test");
    assert.equal(
      (await service.certificateFor("own.example.test"))?.version,
      manualPair.version,
      "manual first",
    );
    assert.equal(await service.certificateFor("a.b.example.test"), null, "one label only");
    assert.equal(await service.certificateFor("example.test"), null);
    assert.equal(service.infoFor("a.example.test")?.id, "manual:*.example.test");
    assert.equal(service.infoFor("a.b.example.test"), null);
    assert.deepEqual(service.list().map((c) => c.id), [
      "manual:*.example.test",
      "own.example.test",
    ]);

    const replacement = await ca.issue({ sans: ["DNS:*.example.test"] });
    await service.addManual(replacement.certPem, replacement.keyPem);
    assert.equal(service.list().length, 2, "same names: replaced");
    assert.notEqual((await service.certificateFor("a.example.test"))?.version, manualPair.version);

    const other = await ca.issue({ sans: ["DNS:x.example.test"] });
    const expired = await ca.issue({
      sans: ["DNS:x.example.test"],
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2020-01-02T00:00:00Z"),
    });
    const refusals: [string, string, RegExp][] = [
      [wildcard.certPem, other.keyPem, /does not belong/],
      [expired.certPem, expired.keyPem, /expired on 2020-01-02/],
      ["garbage", "garbage", /no PEM certificate/],
      [other.certPem, "garbage", /not a PEM private key/],
    ];
    for (const [cert, key, message] of refusals) {
      await assert.rejects(service.addManual(cert, key), { code: "invalid_input", message });
    }
    assert.equal(service.list().length, 2);

    const local = await ca.issue({ sans: ["DNS:localhost", "DNS:*.localhost"] });
    const localInfo = await service.addManual(local.certPem, local.keyPem);
    assert.equal(localInfo.id, "manual:*.localhost,localhost");
    for (const name of ["localhost", "app.localhost"]) {
      assert.ok(
        await service.certificateFor(name),
        `${name}: the owner's certificate, never ordered`,
      );
    }
    await service.remove(localInfo.id);

    const removed = await service.remove("manual:*.example.test");
    assert.equal(removed.source, "manual");
    assert.equal(
      (await service.certificateFor("own.example.test"))?.version,
      acme.version,
      "back to ACME",
    );
    assert.equal(await service.certificateFor("a.example.test"), null);
    await assert.rejects(service.remove("manual:*.example.test"), { code: "not_found" });
    assert.equal(await pebble.orders(), orders + 1, "the owner's certificates never make an order");
  });
});

Deno.test("private keys are not in the database file in clear", async () => {
  await withStore(async (store) => {
    const { service } = serviceFor(store, pebble, new Set(["secret.example.test"]));
    use(service);
    const acme = await service.certificateFor("secret.example.test");
    assert.ok(acme);
    const own = await ca.issue({ sans: ["DNS:own.example.test"] });
    await service.addManual(own.certPem, own.keyPem);
    await store.db.checkpoint();
    const bytes = Buffer.from(await Deno.readFile(store.path));
    assert.equal(bytes.includes("PRIVATE KEY"), false);
    for (const pem of [acme.keyPem, own.keyPem]) {
      const body = pem.split("\n")[1];
      assert.equal(bytes.includes(body.slice(10, 50)), false, "a fragment of a key");
      const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
      assert.equal(bytes.includes(der.subarray(-40)), false, "the key's raw bytes");
    }
    assert.equal(
      bytes.includes("BEGIN CERTIFICATE"),
      true,
      "certificates are public and stored as is",
    );
  });
});

Deno.test("orders beyond the rate limit are not placed", async () => {
  await withStore(async (store) => {
    const names = ["r1.example.test", "r2.example.test", "r3.example.test"];
    const { service, logs } = serviceFor(store, pebble, new Set(names), {
      limits: { burst: 2, perHour: 1 },
    });
    use(service);
    const orders = await pebble.orders();
    const pairs = await Promise.all(names.map((n) => service.certificateFor(n)));
    assert.equal(pairs.filter((p) => p !== null).length, 2);
    assert.equal(await pebble.orders(), orders + 2);
    assert.ok(logs.some((l) => l.level === "warn" && /order limit is reached/.test(l.message)));
  });
});

Deno.test("close cancels an order in flight without recording an error, and orders nothing after", async () => {
  await withStore(async (store) => {
    const served = new Set(["closing.example.test", "after.example.test"]);
    const { service } = serviceFor(store, pebble, served);
    use(service);
    const pending = service.certificateFor("closing.example.test");
    assert.deepEqual(service.list().map((c) => [c.id, c.notAfter, c.lastError]), [
      ["closing.example.test", null, null],
    ], "a first order in flight is listed");
    assert.equal(service.infoFor("closing.example.test")?.source, "acme");
    await service.close();
    const result = await pending;
    assert.ok(result === null || result.certPem.includes("BEGIN CERTIFICATE"));
    assert.equal(service.infoFor("closing.example.test")?.lastError ?? null, null);
    const orders = await pebble.orders();
    assert.equal(await service.certificateFor("after.example.test"), null);
    assert.equal(await pebble.orders(), orders);
  });
});
