/**
 * End-to-end specification of the per-IP rate limit on real `fazt serve`
 * processes: behind a trusted proxy (`--trust-proxy`) the client named by
 * `X-Forwarded-For` gets its burst, then 429 + `Retry-After` in the JSON
 * error shape, while another client and the cockpit are still served;
 * without `--trust-proxy` the header is ignored, and the loopback peer the
 * tests connect from is exempt.
 *
 * @module
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { startServer, type TestServer } from "../_helpers/server.ts";

const HOST = "site.localhost";
const CLIENT = "203.0.113.7";

async function deploySite(server: TestServer): Promise<void> {
  const zip = zipSync({ "index.html": new TextEncoder().encode("<h1>site</h1>") });
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=site`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zip as Uint8Array<ArrayBuffer>,
  });
  assert.equal(res.status, 200, await res.text());
}

/** Sends up to `max` requests as `xff`; returns the statuses up to the first 429. */
async function untilLimited(server: TestServer, xff: string, max: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < max; i++) {
    const res = await server.fetch(HOST, "/", { headers: { "x-forwarded-for": xff } });
    await res.body?.cancel();
    statuses.push(res.status);
    if (res.status === 429) break;
  }
  return statuses;
}

Deno.test("behind --trust-proxy a client past its burst gets 429; others and the cockpit do not", async () => {
  // 1 request/s, burst 4.
  const server = await startServer({ args: ["--trust-proxy", "--rate-limit", "1"] });
  try {
    await deploySite(server);
    const statuses = await untilLimited(server, `198.51.100.250, ${CLIENT}`, 20);
    assert.equal(statuses.at(-1), 429, `never limited: ${statuses.join(" ")}`);
    const served = statuses.filter((s) => s === 200).length;
    // 4 from the burst, one more only if the requests took over a second.
    assert.ok(served >= 4 && served <= 5, `served ${served} before the 429`);
    assert.ok(statuses.slice(0, -1).every((s) => s === 200), statuses.join(" "));

    const res = await server.fetch(HOST, "/", { headers: { "x-forwarded-for": CLIENT } });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(await res.json(), {
      error: {
        code: "rate_limited",
        message: "Too many requests from your address. Try again in 1 second.",
        details: { retryAfterSeconds: 1 },
      },
    });

    // Another client has its own bucket.
    const other = await server.fetch(HOST, "/", {
      headers: { "x-forwarded-for": "198.51.100.9" },
    });
    assert.equal(other.status, 200);
    assert.equal(await other.text(), "<h1>site</h1>");
    // The cockpit is never rate limited by this limiter.
    for (let i = 0; i < 10; i++) {
      const health = await server.fetch("localhost", "/_fazt/health", {
        headers: { "x-forwarded-for": CLIENT },
      });
      assert.equal(health.status, 200);
      await health.body?.cancel();
    }
    // The bucket refills at the sustained rate.
    await new Promise((r) => setTimeout(r, 1_100));
    const later = await server.fetch(HOST, "/", { headers: { "x-forwarded-for": CLIENT } });
    assert.equal(later.status, 200);
    await later.body?.cancel();

    const status = await (await server.api("GET", "/system/status")).json();
    assert.equal(status.rateLimit.rate, 1);
    assert.equal(status.rateLimit.burst, 4);
    assert.ok(status.rateLimit.limited >= 2, JSON.stringify(status.rateLimit));
    assert.ok(status.rateLimit.trackedIps >= 2, JSON.stringify(status.rateLimit));
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("without --trust-proxy X-Forwarded-For is ignored and the loopback peer is exempt", async () => {
  const server = await startServer({ args: ["--rate-limit", "1"] });
  try {
    await deploySite(server);
    const statuses = await untilLimited(server, CLIENT, 20);
    assert.deepEqual(statuses, new Array(20).fill(200));
    const status = await (await server.api("GET", "/system/status")).json();
    assert.deepEqual(
      { limited: status.rateLimit.limited, trackedIps: status.rateLimit.trackedIps },
      { limited: 0, trackedIps: 0 },
    );
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("FAZT_RATE_LIMIT sets the limit and --rate-limit 0 turns it off", async () => {
  const viaEnv = await startServer({ env: { FAZT_RATE_LIMIT: "7" } });
  try {
    const status = await (await viaEnv.api("GET", "/system/status")).json();
    assert.equal(status.rateLimit.rate, 7);
    assert.equal(status.rateLimit.burst, 28);
  } finally {
    await viaEnv.stop();
    await Deno.remove(viaEnv.dataDir, { recursive: true });
  }
  const off = await startServer({ args: ["--trust-proxy", "--rate-limit", "0"] });
  try {
    await deploySite(off);
    const statuses = await untilLimited(off, CLIENT, 30);
    assert.deepEqual(statuses, new Array(30).fill(200));
    assert.equal((await (await off.api("GET", "/system/status")).json()).rateLimit.rate, 0);
  } finally {
    await off.stop();
    await Deno.remove(off.dataDir, { recursive: true });
  }
});
