import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  type AcmeClientOptions,
  createAcmeClient,
  exportAccountKey,
  generateAccountKey,
  type Http01Responder,
  importAccountKey,
  jwkThumbprint,
} from "../../../../kernel/services/tls/acme_client.ts";
import { freePort, type Pebble, startPebble } from "../../../_helpers/pebble.ts";
import { type Http01Fixture, startHttp01Fixture } from "./http01_fixture.ts";

const answers = new Map<string, string>();
const responder: Http01Responder = {
  add: (token, keyAuthorization) => answers.set(token, keyAuthorization),
  remove: (token) => answers.delete(token),
};
let fixture: Http01Fixture;
let pebble: Pebble;

Deno.test.beforeAll(async () => {
  fixture = startHttp01Fixture((token) => answers.get(token) ?? null);
  pebble = await startPebble({ httpPort: fixture.port });
});

Deno.test.afterAll(async () => {
  await pebble.stop();
  await fixture.close();
});

function certificateKey(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
}

async function withClient(
  options: Partial<AcmeClientOptions>,
  fn: (client: ReturnType<typeof createAcmeClient>) => Promise<void>,
): Promise<void> {
  const client = createAcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey: await generateAccountKey(),
    caCerts: [pebble.acmeCaPem],
    ...options,
  });
  try {
    await fn(client);
  } finally {
    client.close();
  }
}

/** Runs `fn`, which must fail with a FaztError; returns it. */
async function faztFailure(fn: () => Promise<unknown>): Promise<FaztError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof FaztError, `not a FaztError: ${err}`);
    return err;
  }
  assert.fail("it succeeded");
}

Deno.test("an issuance against pebble: the chain verifies up to pebble's root and matches the key", async () => {
  const registered: string[] = [];
  await withClient(
    { email: "owner@example.test", onAccount: (u) => void registered.push(u) },
    async (client) => {
      const keys = await certificateKey();
      const ordersBefore = await pebble.orders();
      const pem = await client.issue(["app.example.test"], keys, responder);
      assert.equal(await pebble.orders(), ordersBefore + 1);
      assert.equal(answers.size, 0, "the challenge token is withdrawn after the order");
      assert.equal(registered.length, 1);
      assert.equal(await client.account(), registered[0]);

      const [leaf, intermediate] = pem.match(
        /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g,
      )!
        .map((b) => new X509Certificate(b));
      const root = new X509Certificate(pebble.rootPem);
      assert.equal(await Deno.readTextFile(pebble.acmeCaFile), pebble.acmeCaPem);
      assert.ok(intermediate.checkIssued(root) && leaf.checkIssued(intermediate));
      assert.equal(
        new X509Certificate(pebble.intermediatePem).fingerprint256,
        intermediate.fingerprint256,
      );
      assert.equal(leaf.subjectAltName, "DNS:app.example.test");
      assert.ok(leaf.verify(intermediate.publicKey), "the leaf is signed by the intermediate");
      assert.ok(intermediate.verify(root.publicKey), "the intermediate is signed by pebble's root");
      const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
      assert.deepEqual(
        new Uint8Array(leaf.publicKey.export({ format: "der", type: "spki" })),
        spki,
        "the certificate is for the key that signed the CSR",
      );
    },
  );
});

Deno.test("an exported account key comes back whole and keeps its thumbprint", async () => {
  const keys = await generateAccountKey();
  const back = await importAccountKey(await exportAccountKey(keys));
  assert.equal(await jwkThumbprint(back.publicKey), await jwkThumbprint(keys.publicKey));
  assert.match(await jwkThumbprint(keys.publicKey), /^[A-Za-z0-9_-]{43}$/);
  const data = new TextEncoder().encode("x");
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, back.privateKey, data);
  assert.ok(
    await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, keys.publicKey, sig, data),
  );
});

Deno.test("a known account URL skips registration; one the CA does not know is registered again", async () => {
  const accountKey = await generateAccountKey();
  let accountUrl = "";
  await withClient(
    { accountKey, onAccount: (u) => void (accountUrl = u) },
    (c) => c.account().then(() => {}),
  );
  const requests = await pebble.accountRequests();
  await withClient({ accountKey, accountUrl }, async (client) => {
    await client.issue(["known.example.test"], await certificateKey(), responder);
    assert.equal(await pebble.accountRequests(), requests, "no newAccount request");
  });

  const stale = pebble.directoryUrl.replace(/\/dir$/, "/my-account/0000");
  const seen: string[] = [];
  await withClient({ accountUrl: stale, onAccount: (u) => void seen.push(u) }, async (client) => {
    await client.issue(["stale.example.test"], await certificateKey(), responder);
    assert.equal(seen.length, 1);
    assert.notEqual(seen[0], stale);
  });
});

Deno.test("a refused HTTP-01 challenge names the name and carries the CA's detail", async () => {
  await withClient({}, async (client) => {
    fixture.failing = true;
    try {
      const err = await faztFailure(async () =>
        client.issue(["fail.example.test"], await certificateKey(), responder)
      );
      assert.equal(err.code, "bad_gateway");
      assert.match(
        err.message,
        /^The ACME server refused the HTTP-01 challenge for fail\.example\.test: .*returned 404/,
      );
      assert.match(String(err.details.problem), /^urn:ietf:params:acme:error:/);
      assert.equal(answers.size, 0, "the token is withdrawn after a failure too");
    } finally {
      fixture.failing = false;
    }
  });
});

Deno.test("a refused order carries the CA's detail; a name without HTTP-01 says so", async () => {
  await withClient({}, async (client) => {
    const refused = await faztFailure(async () =>
      client.issue(["a_b.example.test"], await certificateKey(), responder)
    );
    assert.equal(
      refused.message,
      "The ACME server refused the new order for a_b.example.test: Order included DNS identifier with a value containing an illegal character: '_'",
    );
    assert.equal(refused.details.problem, "urn:ietf:params:acme:error:malformed");
    const wildcard = await faztFailure(async () =>
      client.issue(["*.example.test"], await certificateKey(), responder)
    );
    assert.match(wildcard.message, /offers no HTTP-01 challenge for example\.test/);
  });
});

Deno.test("badNonce is retried once, then reported", async () => {
  const rejecting = await startPebble({ httpPort: fixture.port, nonceRejectPercent: 100 });
  const client = createAcmeClient({
    directoryUrl: rejecting.directoryUrl,
    accountKey: await generateAccountKey(),
    caCerts: [rejecting.acmeCaPem],
  });
  try {
    const err = await faztFailure(() => client.account());
    assert.match(err.message, /^The ACME server refused the account registration: .*nonce/i);
    assert.equal(err.details.problem, "urn:ietf:params:acme:error:badNonce");
    assert.equal(await rejecting.accountRequests(), 2, "one try and one retry");
  } finally {
    client.close();
    await rejecting.stop();
  }
});

Deno.test("no CA, an untrusted CA, a silent CA, a stalled answer, a wrong URL: each a clear FaztError", async () => {
  const closed = `https://127.0.0.1:${freePort()}/dir`;
  const unreachable = createAcmeClient({
    directoryUrl: closed,
    accountKey: await generateAccountKey(),
  });
  try {
    const err = await faztFailure(() => unreachable.account());
    assert.equal(err.code, "bad_gateway");
    assert.match(
      err.message,
      /^Could not reach the ACME server at https:\/\/127\.0\.0\.1:\d+ for the directory request: /,
    );
  } finally {
    unreachable.close();
  }

  const untrusted = createAcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey: await generateAccountKey(),
  });
  try {
    const err = await faztFailure(() => untrusted.account());
    assert.match(err.message, /^Could not reach the ACME server .*certificate.*trust that CA/i);
  } finally {
    untrusted.close();
  }

  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const slow = createAcmeClient({
    directoryUrl: `http://127.0.0.1:${silent.addr.port}/dir`,
    accountKey: await generateAccountKey(),
    requestTimeoutMs: 200,
  });
  try {
    const err = await faztFailure(() => slow.account());
    assert.equal(err.code, "gateway_timeout");
    assert.match(err.message, /did not answer the directory request within 0\.2 s/);
  } finally {
    slow.close();
    silent.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }

  const stalling = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stalled: Deno.Conn[] = [];
  const answering = (async () => {
    for await (const conn of stalling) {
      stalled.push(conn);
      await conn.read(new Uint8Array(4096));
      await conn.write(
        new TextEncoder().encode('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"newNonce"'),
      );
    }
  })();
  const halfway = createAcmeClient({
    directoryUrl: `http://127.0.0.1:${stalling.addr.port}/dir`,
    accountKey: await generateAccountKey(),
    requestTimeoutMs: 300,
  });
  try {
    const err = await faztFailure(() => halfway.account());
    assert.equal(err.code, "bad_gateway");
    assert.match(err.message, /did not send its whole answer to the directory request/);
  } finally {
    halfway.close();
    stalling.close();
    await answering.catch(() => {});
    for (const c of stalled) c.close();
  }

  const notAcme = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ hello: "world" }),
  );
  const wrong = createAcmeClient({
    directoryUrl: `http://127.0.0.1:${notAcme.addr.port}/`,
    accountKey: await generateAccountKey(),
  });
  try {
    const err = await faztFailure(() => wrong.account());
    assert.match(err.message, /is not an ACME directory/);
  } finally {
    wrong.close();
    await notAcme.shutdown();
  }
});

Deno.test("an aborted signal cancels the order with a FaztError", async () => {
  const stop = new AbortController();
  stop.abort();
  await withClient({ signal: stop.signal }, async (client) => {
    const err = await faztFailure(async () =>
      client.issue(["cancel.example.test"], await certificateKey(), responder)
    );
    assert.equal(err.code, "unavailable");
    assert.match(err.message, /cancelled: fazt is shutting down/);
  });
});
