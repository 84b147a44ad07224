/**
 * Known devices (OWASP "device cookies"): the service (secrets stored
 * hashed, renewal, expiry, a bounded number per owner, forgetting), the
 * cookie a login sets (attributes, and the paths and hosts a real cookie
 * jar sends it to), and the REST operations that list and forget devices.
 */
import assert from "node:assert/strict";
import { CookieJar } from "tough-cookie";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";
import { createKnownDeviceService } from "../../../../kernel/services/auth/known_devices.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";
const WRONG = "wrong horse battery";

async function createOwner(t: TestKernel): Promise<string> {
  const token = await t.kernel.services.owners.issueSetupToken(60_000);
  return (await t.kernel.services.owners.setup(token, EMAIL, PASSWORD)).owner.id;
}

function clock(): { now: () => number; advance(ms: number): void } {
  let t = Date.now();
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** POSTs /auth/login through the kernel's handler from a peer at `ip`. */
async function login(
  t: TestKernel,
  password: string,
  ip: string,
  options: { cookie?: string; url?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.cookie) headers.cookie = options.cookie;
  return await t.kernel.handler(
    new Request(options.url ?? "http://127.0.0.1/_fazt/api/auth/login", {
      method: "POST",
      headers,
      body: JSON.stringify({ email: EMAIL, password }),
    }),
    { remoteAddr: { hostname: ip } },
  );
}

/** The `Set-Cookie` header of the device cookie. */
function deviceSetCookie(res: Response): string {
  const header = res.headers.getSetCookie().find((c) => /^(__Secure-)?fazt_device=/.test(c));
  assert.ok(header, `no device cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return header;
}

/** `fazt_device=<secret>`, as the browser sends it back. */
function devicePair(res: Response): string {
  return deviceSetCookie(res).split(";")[0];
}

/** Two attacking addresses spend their free failures: new devices must wait. */
async function tripAccountLimit(t: TestKernel): Promise<void> {
  for (const ip of ["198.51.100.1", "198.51.100.2"]) {
    for (let i = 0; i < 5; i++) {
      const res = await login(t, WRONG, ip);
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
  }
  const res = await login(t, PASSWORD, "203.0.113.50");
  assert.equal(res.status, 429, "a new device now waits");
  await res.body?.cancel();
}

Deno.test("devices: a secret is stored only as a hash, renewed by each login, and expires", async () => {
  await withKernel(async (t) => {
    const ownerId = await createOwner(t);
    const c = clock();
    const devices = createKnownDeviceService({ db: t.kernel.db, ttlMs: 10_000, now: c.now });
    const first = await devices.remember(ownerId, "198.51.100.7");
    assert.match(first.secret, /^[A-Za-z0-9_-]{43}$/);
    const rows = t.kernel.db.read.prepare("SELECT * FROM known_devices").all();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(first.secret), "the secret is not stored");
    const known = devices.recognize(first.secret);
    assert.equal(known?.ownerId, ownerId);
    assert.equal(known?.lastIp, "198.51.100.7");

    c.advance(6000);
    const renewed = await devices.remember(ownerId, "198.51.100.8", first.secret);
    assert.equal(renewed.secret, first.secret, "the browser keeps its cookie");
    assert.equal(renewed.expiresAt, c.now() + 10_000);
    assert.equal(devices.list().length, 1);
    assert.equal(devices.recognize(first.secret)?.lastIp, "198.51.100.8");

    c.advance(9_999);
    assert.ok(devices.recognize(first.secret));
    c.advance(1);
    assert.equal(devices.recognize(first.secret), undefined, "expired");
    assert.deepEqual(devices.list(), []);
    const after = await devices.remember(ownerId, "198.51.100.8", first.secret);
    assert.notEqual(after.secret, first.secret, "an expired device is not renewed");

    for (const bad of ["", "x", "a".repeat(43) + ";", first.secret.slice(1)]) {
      assert.equal(devices.recognize(bad), undefined, bad);
    }
  });
});

Deno.test("devices: an owner keeps at most the most recently used devices", async () => {
  await withKernel(async (t) => {
    const ownerId = await createOwner(t);
    const c = clock();
    const devices = createKnownDeviceService({ db: t.kernel.db, maxPerOwner: 3, now: c.now });
    const secrets: string[] = [];
    for (let i = 0; i < 3; i++) {
      secrets.push((await devices.remember(ownerId, `198.51.100.${i}`)).secret);
      c.advance(1000);
    }
    await devices.remember(ownerId, "198.51.100.0", secrets[0]); // the oldest is used again
    c.advance(1000);
    await devices.remember(ownerId, "198.51.100.9");
    assert.equal(devices.list().length, 3);
    assert.ok(devices.recognize(secrets[0]));
    assert.equal(devices.recognize(secrets[1]), undefined, "the least recently used went");
    assert.ok(devices.recognize(secrets[2]));
  });
});

Deno.test("devices: the cookie is HttpOnly, SameSite=Strict, for the login route only, __Secure- over HTTPS", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const plain = await login(t, PASSWORD, "198.51.100.1");
    assert.equal(plain.status, 200);
    const body = await plain.json();
    assert.equal(body.device, undefined, "the secret travels only in the cookie");
    const header = deviceSetCookie(plain);
    assert.match(
      header,
      /^fazt_device=[A-Za-z0-9_-]{43}; Path=\/_fazt\/api\/auth\/login; HttpOnly; SameSite=Strict; Max-Age=(\d+)$/,
    );
    const maxAge = Number(header.match(/Max-Age=(\d+)/)![1]);
    assert.ok(maxAge > 89 * 86_400 && maxAge <= 90 * 86_400, `${maxAge}`);

    const jar = new CookieJar();
    await jar.setCookie(header, "http://localhost:4698/_fazt/api/auth/login");
    const sent = (url: string) => jar.getCookieString(url);
    assert.match(await sent("http://localhost:4698/_fazt/api/auth/login"), /^fazt_device=/);
    for (
      const url of [
        "http://localhost:4698/_fazt/api/apps",
        "http://localhost:4698/_fazt/",
        "http://localhost:4698/",
        "http://blog.localhost:4698/_fazt/api/auth/login",
        "http://evil.localhost:4698/api/steal",
      ]
    ) {
      assert.equal(await sent(url), "", `the device cookie would be sent to ${url}`);
    }

    const secure = await login(t, PASSWORD, "198.51.100.1", {
      url: "https://localhost/_fazt/api/auth/login",
    });
    assert.equal(secure.status, 200);
    await secure.body?.cancel();
    assert.match(
      deviceSetCookie(secure),
      /^__Secure-fazt_device=[A-Za-z0-9_-]{43}; Path=\/_fazt\/api\/auth\/login; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/,
    );
  });
});

Deno.test("devices: a known device logs in while new devices wait; a wrong or foreign cookie does not help", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const first = await login(t, PASSWORD, "192.0.2.10");
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const cookie = devicePair(first);
    await tripAccountLimit(t);

    // The owner's browser, from a new address: in at once, same cookie renewed.
    const known = await login(t, PASSWORD, "192.0.2.99", { cookie });
    assert.equal(known.status, 200, await known.clone().text());
    await known.body?.cancel();
    assert.equal(devicePair(known), cookie);

    // A made-up cookie, or the plain-HTTP cookie name sent over HTTPS, is a new device.
    for (
      const attempt of [
        { cookie: "fazt_device=" + "A".repeat(43) },
        { cookie, url: "https://localhost/_fazt/api/auth/login" },
      ]
    ) {
      const res = await login(t, PASSWORD, "192.0.2.98", attempt);
      assert.equal(res.status, 429, JSON.stringify(attempt));
      await res.body?.cancel();
    }
  });
});

Deno.test("devices: the owner lists devices and forgets one or all; a forgotten device is a new one again", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const a = await login(t, PASSWORD, "192.0.2.1");
    const b = await login(t, PASSWORD, "192.0.2.2");
    await Promise.all([a.body?.cancel(), b.body?.cancel()]);
    const list = await (await t.api("GET", "/owner/devices")).json() as {
      id: string;
      lastIp: string;
      createdAt: string;
      lastUsedAt: string;
      expiresAt: string;
    }[];
    assert.deepEqual(list.map((d) => d.lastIp), ["192.0.2.2", "192.0.2.1"]);
    for (const d of list) {
      assert.match(d.id, /^dev_[0-9a-f]{12}$/);
      assert.ok(Date.parse(d.expiresAt) > Date.parse(d.lastUsedAt));
    }

    const one = await t.api("POST", "/owner/devices/forget", { body: { id: list[1].id } });
    assert.deepEqual(await one.json(), { forgotten: 1 });
    const missing = await t.api("POST", "/owner/devices/forget", { body: { id: list[1].id } });
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "not_found");

    await tripAccountLimit(t);
    const forgotten = await login(t, PASSWORD, "192.0.2.1", { cookie: devicePair(a) });
    assert.equal(forgotten.status, 429, "device a was forgotten");
    await forgotten.body?.cancel();
    const kept = await login(t, PASSWORD, "192.0.2.2", { cookie: devicePair(b) });
    assert.equal(kept.status, 200, "device b is still known");
    await kept.body?.cancel();

    const all = await t.api("POST", "/owner/devices/forget", { body: {} });
    assert.deepEqual(await all.json(), { forgotten: 1 });
    assert.deepEqual(await (await t.api("GET", "/owner/devices")).json(), []);
  });
});

Deno.test("devices: a password reset clears every login limit and keeps the devices", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const first = await login(t, PASSWORD, "192.0.2.10");
    await first.body?.cancel();
    await tripAccountLimit(t);
    const reset = await t.api("POST", "/owner/reset-password", { body: { password: PASSWORD } });
    assert.equal(reset.status, 200);
    await reset.body?.cancel();
    for (const ip of ["198.51.100.1", "203.0.113.50"]) {
      const res = await login(t, PASSWORD, ip);
      assert.equal(res.status, 200, `${ip} may log in at once after the reset`);
      await res.body?.cancel();
    }
    assert.equal(
      (await (await t.api("GET", "/owner/devices")).json() as unknown[]).length,
      3,
      "the owner's browser stays known (and the two new logins were added)",
    );
  });
});
