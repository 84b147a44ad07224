import assert from "node:assert/strict";
import { withKernel } from "../../_helpers/kernel.ts";
import { isWatched, WATCH_SEND_FROM } from "../../../kernel/http/send_watch.ts";

const HOST = "site.localhost";

function get(
  handler: (
    req: Request,
    info?: { remoteAddr: { hostname: string } },
  ) => Response | Promise<Response>,
  path: string,
  peer: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(handler(
    new Request(`http://${HOST}${path}`, { headers: { host: HOST, ...headers } }),
    { remoteAddr: { hostname: peer } },
  ));
}

Deno.test("a rate-limited request gets 429 and is not counted as served traffic", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("site", { "index.html": "<h1>hi</h1>" })).status, 200);
    const { handler, services } = t.kernel;
    const appId = services.apps.resolve("site").id;
    const served = () => services.guards.meter.usage(appId).servedBytes;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await get(handler, "/", "198.51.100.1");
      await res.body?.cancel();
      statuses.push(res.status);
    }
    // --rate-limit 1: burst 4, then one per second.
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    const traffic = services.traffic.totals(appId, 0);
    assert.equal(traffic.requests, 4, "refused requests are not app traffic");
    assert.equal(traffic.s4xx, 0);
    const before = served();
    const refused = await get(handler, "/", "198.51.100.1");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal((await refused.json()).error.code, "rate_limited");
    assert.equal(served(), before, "no egress is metered for a refused request");

    // Another client, loopback peers and the cockpit are still served.
    assert.equal((await get(handler, "/", "198.51.100.2")).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await get(handler, "/", "127.0.0.1")).status, 200);
    const health = await handler(
      new Request("http://127.0.0.1/_fazt/health"),
      { remoteAddr: { hostname: "198.51.100.1" } },
    );
    assert.equal(health.status, 200);
    // On an app's host `/_fazt/health` is app traffic: the limited client is refused there.
    const appHealth = await get(handler, "/_fazt/health", "198.51.100.1");
    assert.equal(appHealth.status, 429);

    const status = await (await t.api("GET", "/system/status")).json();
    assert.deepEqual(status.rateLimit, {
      rate: 1,
      burst: 4,
      trackedIps: 2,
      maxIps: 10_000,
      limited: 4,
    });
    assert.equal(status.shedding.userShed, 0, "rate limiting is not load shedding");
  }, { rateLimit: 1 });
});

Deno.test("without --trust-proxy X-Forwarded-For does not choose the bucket", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "hi" });
    const { handler } = t.kernel;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A client rotating the header is still one peer.
      const res = await get(handler, "/", "198.51.100.1", { "x-forwarded-for": `192.0.2.${i}` });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
  }, { rateLimit: 1, trustProxy: false });
});

Deno.test("the default limit is on (100/s, burst 400) and rate 0 turns it off", async () => {
  await withKernel(async (t) => {
    const status = await (await t.api("GET", "/system/status")).json();
    assert.equal(status.rateLimit.rate, 100);
    assert.equal(status.rateLimit.burst, 400);
  });
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "hi" });
    for (let i = 0; i < 50; i++) {
      const res = await get(t.kernel.handler, "/", "198.51.100.1");
      await res.body?.cancel();
      assert.equal(res.status, 200);
    }
    const status = await (await t.api("GET", "/system/status")).json();
    assert.equal(status.rateLimit.rate, 0);
    assert.equal(status.rateLimit.trackedIps, 0);
  }, { rateLimit: 0 });
});

Deno.test("app requests take turns on a busy thread; cockpit requests never wait for them", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "<h1>hi</h1>".repeat(100) });
    const { handler } = t.kernel;
    const finished: string[] = [];
    const pending: Promise<void>[] = [];
    // One synchronous burst, as Deno hands over a batch of arrivals: more app
    // work than one turn (1 ms) holds.
    const start = performance.now();
    for (let i = 0; performance.now() - start < 20 || i < 50; i++) {
      pending.push(
        Promise.resolve(handler(
          new Request(`http://${HOST}/`, { headers: { host: HOST } }),
          { remoteAddr: { hostname: "127.0.0.1" } },
        )).then(async (res) => {
          assert.equal(res.status, 200);
          await res.body?.cancel();
          finished.push("app");
        }),
      );
    }
    const queued = t.kernel.services.guards.gate.stats().queued;
    assert.ok(queued > 0, "app requests past the turn wait");
    pending.push(
      Promise.resolve(handler(new Request("http://127.0.0.1/_fazt/health"))).then(async (res) => {
        assert.equal(res.status, 200);
        await res.body?.cancel();
        finished.push("cockpit");
      }),
    );
    await Promise.all(pending);
    const cockpitAt = finished.indexOf("cockpit");
    assert.ok(
      cockpitAt < finished.length - queued,
      `the cockpit answered before the waiting app requests (at ${cockpitAt} of ${finished.length}, ${queued} waited)`,
    );
    const status = await (await t.api("GET", "/system/status")).json();
    assert.equal(status.shedding.userQueued, 0);
    assert.equal(status.shedding.userDeferred, queued);
    assert.equal(status.shedding.userShed, 0);
  });
});

Deno.test("large static responses are watched for a client that stops reading; small ones are not", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", {
      "index.html": "<h1>hi</h1>",
      "big.bin": "x".repeat(WATCH_SEND_FROM),
    });
    const small = await get(t.kernel.handler, "/", "127.0.0.1");
    assert.equal(small.status, 200);
    assert.equal(isWatched(small), false);
    await small.body?.cancel();
    const big = await get(t.kernel.handler, "/big.bin", "127.0.0.1", {
      "accept-encoding": "identity",
    });
    assert.equal(big.status, 200);
    assert.ok(isWatched(big));
    assert.equal((await big.arrayBuffer()).byteLength, WATCH_SEND_FROM);
    const head = await t.kernel.handler(
      new Request(`http://${HOST}/big.bin`, { method: "HEAD", headers: { host: HOST } }),
    );
    assert.equal(isWatched(head), false, "no body, nothing to watch");
  });
});
