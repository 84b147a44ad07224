import assert from "node:assert/strict";
import { withKernel } from "../../_helpers/kernel.ts";
import { isWatched, WATCH_SEND_FROM } from "../../../kernel/http/send_watch.ts";
import { createHttpHandler, type HttpHandler } from "../../../kernel/http/handler.ts";
import type { Mount } from "../../../kernel/http/mounts.ts";
import { createLoadShedder } from "../../../kernel/services/cockpit/load_shedder.ts";
import { createIpRateLimiter } from "../../../kernel/services/cockpit/ip_rate_limiter.ts";
import { createRouteTable } from "../../../kernel/services/routing/route_table.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

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

/** One request through `handler`; the status, a few headers and the body's start. */
async function probe(
  handler: HttpHandler,
  method: string,
  host: string,
  path: string,
  headers: Record<string, string> = {},
  peer = "127.0.0.1",
): Promise<{ status: number; type: string | null; allow: string | null; body: string }> {
  const res = await handler(
    new Request(`http://${host}${path}`, { method, headers: { host, ...headers } }),
    { remoteAddr: { hostname: peer } },
  );
  return {
    status: res.status,
    type: res.headers.get("content-type")?.split(";")[0] ?? null,
    allow: res.headers.get("allow"),
    body: (await res.text()).slice(0, 200),
  };
}

Deno.test("every kind of request reaches the mount it always did (status, type, Allow)", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "<h1>site</h1>" });
    const JSON_ = "application/json";
    const HTML = "text/html";
    const GH = "GET, HEAD";
    const cases: [
      string,
      string,
      string,
      Record<string, string>,
      number,
      string | null,
      string?,
    ][] = [
      // The admin host.
      ["GET", "127.0.0.1", "/", {}, 200, HTML],
      ["GET", "127.0.0.1", "/nope", {}, 404, HTML],
      ["GET", "127.0.0.1", "/api/x", {}, 404, HTML],
      ["GET", "127.0.0.1", "/_faztx", {}, 404, HTML],
      ["POST", "127.0.0.1", "/", {}, 405, JSON_, GH],
      ["GET", "127.0.0.1", "/_fazt/health", {}, 200, JSON_],
      ["GET", "127.0.0.1", "/_fazt/api/openapi.json", {}, 200, JSON_],
      ["HEAD", "127.0.0.1", "/_fazt/api/openapi.json", {}, 200, JSON_],
      ["POST", "127.0.0.1", "/_fazt/api/openapi.json", {}, 405, JSON_, GH],
      ["GET", "127.0.0.1", "/_fazt/api/apps", {}, 401, JSON_],
      ["GET", "127.0.0.1", "/_fazt/api", {}, 404, JSON_],
      ["GET", "127.0.0.1", "/_fazt", {}, 200, HTML],
      ["GET", "127.0.0.1", "/_fazt/", {}, 200, HTML],
      ["GET", "127.0.0.1", "/_fazt/apps/x", {}, 200, HTML],
      ["POST", "127.0.0.1", "/_fazt/login", {}, 404, JSON_],
      ["GET", "127.0.0.1", "/_fazt/nothing", {}, 404, JSON_],
      ["GET", "127.0.0.1", "/.well-known/oauth-protected-resource", {}, 200, JSON_],
      ["GET", "127.0.0.1", "/.well-known/oauth-protected-resource/_fazt/mcp", {}, 200, JSON_],
      ["GET", "127.0.0.1", "/.well-known/oauth-protected-resource/x", {}, 404, HTML],
      ["GET", "127.0.0.1", "/_fazt/", { "service-worker": "script" }, 403, JSON_],
      ["GET", "127.0.0.1", "/", { "service-worker": "script" }, 403, JSON_],
      ["POST", "127.0.0.1", "/", { "service-worker": "script" }, 403, JSON_],
      // An app's host.
      ["GET", "site.localhost", "/", {}, 200, HTML],
      ["GET", "site.localhost", "/", { "service-worker": "script" }, 200, HTML],
      ["POST", "site.localhost", "/", {}, 405, null, GH],
      ["GET", "site.localhost", "/api/x", {}, 404, HTML],
      ["GET", "site.localhost", "/_fazt/health", {}, 200, JSON_],
      ["GET", "site.localhost", "/_fazt/", {}, 404, JSON_],
      ["GET", "site.localhost", "/_fazt/api/openapi.json", {}, 404, JSON_],
      ["GET", "site.localhost", "/.well-known/oauth-protected-resource", {}, 404, HTML],
      // A host that names nothing.
      ["GET", "nowhere.localhost", "/", {}, 404, HTML],
      ["POST", "nowhere.localhost", "/", {}, 405, JSON_, GH],
      ["GET", "nowhere.localhost", "/_fazt/health", {}, 200, JSON_],
      ["GET", "nowhere.localhost", "/_fazt/", {}, 404, JSON_],
    ];
    for (const [method, host, path, headers, status, type, allow] of cases) {
      const got = await probe(t.kernel.handler, method, host, path, headers);
      const what = `${method} ${host}${path} ${JSON.stringify(headers)}`;
      assert.equal(got.status, status, `${what}: ${got.body}`);
      assert.equal(got.type, type, what);
      assert.equal(got.allow, allow ?? null, what);
    }
  }, { rateLimit: 0 });
});

Deno.test("cockpit requests are `/_fazt` mounts on an admin host; everything else is app traffic", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "<h1>site</h1>" });
    // --rate-limit 1 (burst 4) limits user traffic only: a client that spent its
    // burst gets 429 for user requests, and cockpit requests go through.
    const cases: [string, string, "cockpit" | "user"][] = [
      ["127.0.0.1", "/_fazt/health", "cockpit"],
      ["127.0.0.1", "/_fazt/api/apps", "cockpit"],
      ["127.0.0.1", "/_fazt/api/openapi.json", "cockpit"],
      ["127.0.0.1", "/_fazt/mcp", "cockpit"],
      ["127.0.0.1", "/_fazt", "cockpit"],
      ["127.0.0.1", "/_fazt/apps", "cockpit"],
      ["127.0.0.1", "/_fazt/nothing", "cockpit"],
      ["127.0.0.1", "/", "user"],
      ["127.0.0.1", "/_faztx", "user"],
      ["127.0.0.1", "/.well-known/oauth-protected-resource", "user"],
      ["site.localhost", "/_fazt/health", "user"],
      ["site.localhost", "/_fazt/", "user"],
      ["site.localhost", "/", "user"],
      ["site.localhost", "/api/x", "user"],
      ["nowhere.localhost", "/_fazt/health", "user"],
    ];
    for (const [i, [host, path, kind]] of cases.entries()) {
      const peer = `198.51.100.${i + 1}`;
      for (let n = 0; n < 4; n++) {
        assert.equal(
          (await probe(t.kernel.handler, "GET", "site.localhost", "/", {}, peer)).status,
          200,
        );
      }
      const got = await probe(t.kernel.handler, "GET", host, path, {}, peer);
      assert.equal(got.status === 429, kind === "user", `${host}${path} is ${kind} traffic`);
    }
  }, { rateLimit: 1 });
});

Deno.test("a new mount is one entry: the dispatcher applies its host rule, class and methods", async () => {
  await withKernel(async (t) => {
    await t.deploy("site", { "index.html": "hi" });
    const shedder = createLoadShedder({ userConcurrency: 8, cockpitConcurrency: 8 });
    const budgets = () => {
      const s = shedder.stats();
      return { user: s.user.inflight, cockpit: s.cockpit.inflight };
    };
    const mounts: Mount[] = [
      // What the ACME subsystem will add: a challenge path on every host.
      {
        name: "acme",
        path: { prefix: "/.well-known/acme-challenge/" },
        host: "any",
        class: "user",
        methods: ["GET", "HEAD"],
        handle: (r) => new Response(r.pathname.slice(28)),
      },
      // A cockpit mount on every host: the owner's on the admin host only.
      {
        name: "ping",
        path: { exact: "/_fazt/ping" },
        host: "any",
        class: "cockpit",
        handle: () => Response.json(budgets()),
      },
      {
        name: "hook",
        path: { exact: "/_fazt/hooks/test" },
        host: "admin",
        class: "cockpit",
        methods: ["POST"],
        handle: () => Promise.resolve(Response.json(budgets())),
      },
      {
        name: "boom",
        path: { exact: "/boom" },
        host: "any",
        class: "user",
        handle: () => {
          throw new FaztError("conflict", "Boom now.");
        },
      },
      {
        name: "boom-later",
        path: { exact: "/boom-later" },
        host: "any",
        class: "user",
        handle: () => Promise.reject(new FaztError("conflict", "Boom later.")),
      },
      {
        name: "files",
        path: { prefix: "/" },
        host: "app",
        class: "user",
        handle: () => new Response("app files"),
      },
    ];
    const handler = createHttpHandler({
      routes: createRouteTable(t.kernel.db.read, "localhost"),
      mounts,
      trustProxy: false,
      shedder,
      ipLimiter: createIpRateLimiter({ rate: 1 }),
    });
    const text = async (...args: Parameters<typeof probe>) => {
      const got = await probe(...args);
      return `${got.status} ${got.body}`;
    };

    for (const host of ["site.localhost", "127.0.0.1", "nowhere.localhost"]) {
      assert.equal(await text(handler, "GET", host, "/.well-known/acme-challenge/tok"), "200 tok");
    }
    const post = await probe(handler, "POST", "site.localhost", "/.well-known/acme-challenge/tok");
    assert.equal(post.status, 405);
    assert.equal(post.allow, "GET, HEAD");
    assert.match(post.body, /POST is not allowed here; use GET\./);
    assert.equal(
      await text(handler, "GET", "site.localhost", "/.well-known/other"),
      "200 app files",
    );
    assert.match(
      await text(handler, "GET", "127.0.0.1", "/.well-known/other"),
      /^404 .*Nothing is served at \/\.well-known\/other on this host\./,
    );

    // The class decides the budget: cockpit on the admin host, user anywhere else.
    assert.equal(
      await text(handler, "GET", "127.0.0.1", "/_fazt/ping"),
      '200 {"user":0,"cockpit":1}',
    );
    assert.equal(
      await text(handler, "GET", "site.localhost", "/_fazt/ping"),
      '200 {"user":1,"cockpit":0}',
    );
    assert.equal(
      await text(handler, "POST", "127.0.0.1", "/_fazt/hooks/test"),
      '200 {"user":0,"cockpit":1}',
    );
    assert.equal((await probe(handler, "GET", "127.0.0.1", "/_fazt/hooks/test")).status, 405);
    assert.equal(
      await text(handler, "POST", "site.localhost", "/_fazt/hooks/test"),
      "200 app files",
    );
    // The admin origin's guard holds for every mount there.
    const sw = { "service-worker": "script" };
    assert.equal((await probe(handler, "GET", "127.0.0.1", "/_fazt/ping", sw)).status, 403);

    // A mount's FaztError, thrown or rejected, is the JSON error; its slot is given back.
    const boom = await probe(handler, "GET", "site.localhost", "/boom");
    assert.equal(boom.status, 409);
    assert.match(boom.body, /"code":"conflict","message":"Boom now\."/);
    assert.match(
      await text(handler, "GET", "site.localhost", "/boom-later"),
      /^409 .*Boom later\./,
    );
    assert.deepEqual(budgets(), { user: 0, cockpit: 0 });

    // The rate limit applies to user traffic only (burst 4 at --rate-limit 1).
    const peer = "198.51.100.9";
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await probe(handler, "GET", "site.localhost", "/", {}, peer)).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    assert.equal((await probe(handler, "GET", "127.0.0.1", "/_fazt/ping", {}, peer)).status, 200);
    assert.equal(
      (await probe(handler, "GET", "site.localhost", "/_fazt/ping", {}, peer)).status,
      429,
    );
  });
});

Deno.test("a full budget, or a full priority gate, answers the shed 503 with Retry-After", async () => {
  await withKernel(async (t) => {
    const shedder = createLoadShedder({ userConcurrency: 1, cockpitConcurrency: 1 });
    let finish = () => {};
    const held = new Promise<void>((resolve) => finish = resolve);
    const handler = createHttpHandler({
      routes: createRouteTable(t.kernel.db.read, "localhost"),
      mounts: [{
        name: "slow",
        path: { prefix: "/" },
        host: "any",
        class: "cockpit",
        handle: () => held.then(() => new Response("done")),
      }],
      trustProxy: false,
      shedder,
      // A gate whose queue is always full.
      gate: { run: () => null },
    });
    const first = handler(new Request("http://127.0.0.1/a"));
    const shed = await probe(handler, "GET", "127.0.0.1", "/b");
    assert.equal(shed.status, 503);
    assert.match(shed.body, /cockpit/);
    const user = await handler(new Request("http://site.localhost/"));
    assert.equal(user.status, 503);
    assert.equal(user.headers.get("retry-after"), "5");
    assert.equal((await user.json()).error.code, "unavailable");
    assert.equal(shedder.stats().user.shed, 1, "a request the gate could not queue counts as shed");
    finish();
    assert.equal(await (await first).text(), "done");
    assert.deepEqual(shedder.stats().cockpit, { inflight: 0, shed: 1 });
  });
});

Deno.test("a streamed /api answer is watched for a client that stops reading; a whole one is not", async () => {
  await withKernel(async (t) => {
    const deployed = await t.deploy("site", {
      "api/main.js": `const enc = new TextEncoder();
export default (req) => {
  if (new URL(req.url).pathname === "/api/stream") {
    // Parts that take a moment: a body done at once goes out whole.
    let left = 2;
    return new Response(new ReadableStream({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 20));
        if (left-- === 0) c.close(); else c.enqueue(enc.encode("part "));
      },
    }));
  }
  return new Response("whole");
};
`,
    });
    assert.equal(deployed.status, 200, await deployed.text());
    const whole = await get(t.kernel.handler, "/api/whole", "127.0.0.1");
    assert.equal(whole.status, 200);
    assert.equal(isWatched(whole), false);
    assert.equal(await whole.text(), "whole");
    const streamed = await get(t.kernel.handler, "/api/stream", "127.0.0.1");
    assert.equal(streamed.status, 200);
    assert.ok(isWatched(streamed));
    assert.equal(await streamed.text(), "part part ");
  }, { rateLimit: 0 });
});
