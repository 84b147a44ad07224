/**
 * Owner login over REST: brute-force limits (per address, per address and
 * account, which address counts behind a proxy; the lockout cases against
 * a real server are in tests/e2e/auth_lockout_test.ts), the session
 * cookie's attributes, session IDs, logout, expiry, and password resets.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";
const WRONG = "wrong horse battery";
const WEEK_SECONDS = 7 * 86_400;

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** Creates the owner account the way the setup link does. */
async function createOwner(t: TestKernel): Promise<void> {
  const token = await t.kernel.services.owners.issueSetupToken(60_000);
  await t.kernel.services.owners.setup(token, EMAIL, PASSWORD);
}

interface LoginOptions {
  /** The peer address the listener reports. */
  ip?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** The request URL (default plain http on the loopback address). */
  url?: string;
}

/** POSTs /auth/login through the kernel's handler, as from a peer at `ip`. */
async function login(
  t: TestKernel,
  email: string,
  password: string,
  options: LoginOptions = {},
): Promise<Response> {
  const req = new Request(options.url ?? "http://127.0.0.1/_fazt/api/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify({ email, password }),
  });
  return await t.kernel.handler(
    req,
    options.ip ? { remoteAddr: { hostname: options.ip } } : undefined,
  );
}

/** Logs in (expecting success) and returns the session cookie's value. */
async function sessionOf(t: TestKernel, options: LoginOptions = {}): Promise<string> {
  const res = await login(t, EMAIL, PASSWORD, options);
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
  return parseCookie(sessionSetCookie(res)).value;
}

/** The Set-Cookie header of the session cookie (a login also sets the known-device cookie). */
function sessionSetCookie(res: Response): string | null {
  return res.headers.getSetCookie().find((c) => /^(__Host-)?fazt_session=/.test(c)) ?? null;
}

/** A Set-Cookie header split into its name, value and (lower-cased) attributes. */
interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string | true>;
}

function parseCookie(header: string | null): SetCookie {
  assert.ok(header, "expected a Set-Cookie header");
  const [pair, ...attrs] = header.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string | true>();
  for (const a of attrs) {
    const i = a.indexOf("=");
    if (i === -1) attributes.set(a.toLowerCase(), true);
    else attributes.set(a.slice(0, i).toLowerCase(), a.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/** GET /apps authenticated by a session cookie only; returns the status. */
async function appsWithSession(t: TestKernel, session: string): Promise<number> {
  const res = await t.api("GET", "/apps", {
    token: null,
    headers: { cookie: `fazt_session=${session}` },
  });
  await res.body?.cancel();
  return res.status;
}

async function expectRateLimited(res: Response, what: RegExp): Promise<void> {
  assert.equal(res.status, 429);
  const body = await res.json() as ErrorBody;
  assert.equal(body.error.code, "rate_limited");
  assert.match(body.error.message, what);
  const retryAfter = Number(res.headers.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60,
    `${retryAfter}`,
  );
  assert.equal(body.error.details.retryAfterSeconds, retryAfter);
}

async function expectWrongCredentials(res: Response): Promise<ErrorBody> {
  assert.equal(res.status, 401);
  const body = await res.json() as ErrorBody;
  assert.equal(body.error.code, "unauthorized");
  assert.equal(body.error.message, "The email or password is wrong.");
  assert.equal(res.headers.get("set-cookie"), null);
  return body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("login: five wrong passwords slow down the address that sent them, not the owner elsewhere", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const attacker = { ip: "198.51.100.66" };
    for (let i = 0; i < 5; i++) {
      await expectWrongCredentials(await login(t, EMAIL, WRONG, attacker));
    }
    // The attacker's next guess must wait, whatever the password and however the email is spelt.
    await expectRateLimited(await login(t, EMAIL, PASSWORD, attacker), /from your address/);
    await expectRateLimited(
      await login(t, "OWNER@example.com", WRONG, attacker),
      /from your address/,
    );
    // The owner, from another address, logs in at once.
    await sessionOf(t, { ip: "198.51.100.20" });
  });
});

Deno.test("login: concurrent guesses from one address cannot get past its free attempts", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    // Ten guesses at once, the last one right: only the first five may be
    // checked, so the right one comes too late.
    const guesses = [...Array.from({ length: 9 }, () => WRONG), PASSWORD];
    const answers = await Promise.all(
      guesses.map((password) => login(t, EMAIL, password, { ip: "198.51.100.1" })),
    );
    const statuses = answers.map((r) => r.status);
    await Promise.all(answers.map((r) => r.body?.cancel()));
    assert.equal(statuses.filter((s) => s === 401).length, 5, `${statuses}`);
    assert.equal(statuses.at(-1), 429, `the right password got through: ${statuses}`);
    assert.deepEqual(statuses.filter((s) => s !== 401 && s !== 429), []);
  });
});

Deno.test("login: guesses from several addresses slow down new devices, all at once", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    // Two addresses spend their free failures: the account-wide delay starts.
    for (const ip of ["198.51.100.1", "198.51.100.2"]) {
      for (let i = 0; i < 5; i++) {
        await expectWrongCredentials(await login(t, EMAIL, WRONG, { ip }));
      }
    }
    // Ten fresh addresses at once, one with the right password: every new
    // device now waits (the e2e suite shows that known devices do not).
    const guesses = [...Array.from({ length: 9 }, () => WRONG), PASSWORD];
    const answers = await Promise.all(
      guesses.map((password, i) => login(t, EMAIL, password, { ip: `203.0.113.${i + 1}` })),
    );
    for (const res of answers) await expectRateLimited(res, /for this account from new devices/);
  });
});

Deno.test("login: a successful login forgets the failed attempts before it", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    for (let i = 0; i < 4; i++) await expectWrongCredentials(await login(t, EMAIL, WRONG));
    await sessionOf(t);
    // Had the four failures (and this login) still counted, this would be the sixth attempt.
    await expectWrongCredentials(await login(t, EMAIL, WRONG));
  });
});

Deno.test("login: an unknown email is answered exactly like a wrong password, and slowed the same way", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const wrongPassword = await login(t, EMAIL, WRONG);
    const unknownEmail = await login(t, "nobody@example.com", WRONG);
    assert.deepEqual(
      [...unknownEmail.headers.keys()].filter((k) => k !== "x-request-id"),
      [...wrongPassword.headers.keys()].filter((k) => k !== "x-request-id"),
    );
    assert.equal(unknownEmail.headers.get("www-authenticate"), 'Bearer realm="fazt"');
    assert.deepEqual(
      await expectWrongCredentials(unknownEmail),
      await expectWrongCredentials(wrongPassword),
    );
    for (let i = 0; i < 4; i++) {
      await expectWrongCredentials(await login(t, "nobody@example.com", WRONG));
    }
    await expectRateLimited(await login(t, "nobody@example.com", WRONG), /from your address/);
  });
});

Deno.test("login: twenty failures from one IP slow that IP (not others), whatever the email", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const ip = "203.0.113.7";
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(t, `user${i}@example.com`, WRONG, { ip })),
    );
    for (const res of attempts) await expectWrongCredentials(res);
    await expectRateLimited(await login(t, EMAIL, PASSWORD, { ip }), /from your address/);
    // Without a trusted proxy, X-Forwarded-For is the client's own claim and is ignored.
    await expectRateLimited(
      await login(t, EMAIL, PASSWORD, { ip, headers: { "x-forwarded-for": "192.0.2.99" } }),
      /from your address/,
    );
    // Another IP is unaffected.
    await sessionOf(t, { ip: "203.0.113.8" });
  });
});

Deno.test("login: behind a trusted proxy, the last X-Forwarded-For hop is the client", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const proxy = { ip: "10.0.0.1", headers: { "x-forwarded-for": "198.51.100.1" } };
    // The client spends its twenty free failures, at as many accounts.
    for (let i = 0; i < 20; i++) {
      await expectWrongCredentials(await login(t, `victim${i}@example.com`, WRONG, proxy));
    }
    const cases = [
      { name: "the same client", xff: "198.51.100.1", limited: true },
      {
        name: "the same client, spoofing an earlier hop",
        xff: "192.0.2.99, 198.51.100.1",
        limited: true,
      },
      { name: "another client behind the same proxy", xff: "198.51.100.2", limited: false },
    ];
    for (const c of cases) {
      const res = await login(t, EMAIL, PASSWORD, {
        ip: proxy.ip,
        headers: { "x-forwarded-for": c.xff },
      });
      if (c.limited) await expectRateLimited(res, /from your address/);
      else {
        assert.equal(res.status, 200, c.name);
        await res.body?.cancel();
      }
    }
  }, { trustProxy: true });
});

Deno.test("login: the session cookie is HttpOnly and SameSite=Strict; over HTTPS a __Host- cookie (Secure, Path=/), else scoped to /_fazt", async () => {
  const cases: {
    name: string;
    trustProxy: boolean;
    url?: string;
    headers?: Record<string, string>;
    secure: boolean;
  }[] = [
    { name: "plain http", trustProxy: false, secure: false },
    {
      name: "https",
      trustProxy: false,
      url: "https://localhost/_fazt/api/auth/login",
      secure: true,
    },
    {
      name: "X-Forwarded-Proto without a trusted proxy",
      trustProxy: false,
      headers: { "x-forwarded-proto": "https" },
      secure: false,
    },
    {
      name: "X-Forwarded-Proto: https from a trusted proxy",
      trustProxy: true,
      headers: { "x-forwarded-proto": "https" },
      secure: true,
    },
    {
      name: "X-Forwarded-Proto: http from a trusted proxy",
      trustProxy: true,
      headers: { "x-forwarded-proto": "http" },
      secure: false,
    },
  ];
  for (const trustProxy of [false, true]) {
    await withKernel(async (t) => {
      await createOwner(t);
      for (const c of cases.filter((c) => c.trustProxy === trustProxy)) {
        const res = await login(t, EMAIL, PASSWORD, { url: c.url, headers: c.headers });
        assert.equal(res.status, 200, c.name);
        const text = await res.text();
        const cookie = parseCookie(sessionSetCookie(res));
        assert.equal(cookie.name, c.secure ? "__Host-fazt_session" : "fazt_session", c.name);
        assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/, c.name);
        assert.ok(!text.includes(cookie.value), `${c.name}: the session ID is only in the cookie`);
        assert.equal((JSON.parse(text) as { session?: unknown }).session, undefined, c.name);
        const expected = ["path", "httponly", "samesite", "max-age"];
        if (c.secure) expected.push("secure");
        assert.deepEqual([...cookie.attributes.keys()].sort(), expected.sort(), c.name);
        assert.equal(cookie.attributes.get("path"), c.secure ? "/" : "/_fazt", c.name);
        assert.equal(cookie.attributes.get("httponly"), true, c.name);
        assert.equal(cookie.attributes.get("samesite"), "Strict", c.name);
        const maxAge = Number(cookie.attributes.get("max-age"));
        assert.ok(maxAge > WEEK_SECONDS - 60 && maxAge <= WEEK_SECONDS, `${c.name}: ${maxAge}`);
      }
    }, { trustProxy });
  }
});

Deno.test("login: every login starts a new session, even when the request carries one", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const first = await sessionOf(t);
    const second = await sessionOf(t);
    const third = await sessionOf(t, {
      headers: { cookie: `fazt_session=${first}`, origin: "http://127.0.0.1" },
    });
    assert.equal(new Set([first, second, third]).size, 3);
    for (const s of [first, second, third]) assert.equal(await appsWithSession(t, s), 200);
  });
});

Deno.test("logout ends the session on the server and clears the cookie", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const session = await sessionOf(t);
    const other = await sessionOf(t);
    const res = await t.api("POST", "/auth/logout", {
      token: null,
      headers: { cookie: `fazt_session=${session}`, "sec-fetch-site": "same-origin" },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { loggedOut: true });
    const cleared = parseCookie(res.headers.get("set-cookie"));
    assert.equal(cleared.name, "fazt_session");
    assert.equal(cleared.value, "");
    assert.equal(cleared.attributes.get("max-age"), "0");
    assert.equal(cleared.attributes.get("path"), "/_fazt");

    // A client that kept the old cookie gets nowhere; other sessions go on.
    assert.equal(await appsWithSession(t, session), 401);
    assert.equal(await appsWithSession(t, other), 200);
  });
});

Deno.test("an expired session is refused", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const session = await sessionOf(t);
    assert.equal(await appsWithSession(t, session), 200);
    await sleep(550);
    assert.equal(await appsWithSession(t, session), 401);
  }, { sessionTtlMs: 500 });
});

Deno.test("resetting the owner's password ends every session", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const sessions = [await sessionOf(t), await sessionOf(t)];
    const newPassword = "a brand new passphrase";
    const res = await t.api("POST", "/owner/reset-password", { body: { password: newPassword } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { email: EMAIL, password: null });
    for (const s of sessions) assert.equal(await appsWithSession(t, s), 401);
    await expectWrongCredentials(await login(t, EMAIL, PASSWORD));
    const again = await login(t, EMAIL, newPassword);
    assert.equal(again.status, 200);
    await again.body?.cancel();
  });
});

Deno.test("changing the password checks the current one and ends every other session", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const mine = await sessionOf(t);
    const other = await sessionOf(t);
    const newPassword = "a brand new passphrase";
    const asMe = (body: unknown) =>
      t.api("POST", "/owner/password", {
        token: null,
        body,
        headers: { cookie: `fazt_session=${mine}`, "sec-fetch-site": "same-origin" },
      });

    const wrong = await asMe({ currentPassword: WRONG, newPassword });
    assert.equal(wrong.status, 403);
    const body = await wrong.json() as ErrorBody;
    assert.equal(body.error.code, "forbidden");
    assert.match(body.error.message, /^The current password is wrong\. Nothing was changed\.$/);
    assert.equal(await appsWithSession(t, other), 200, "a refused change ends nothing");

    const short = await asMe({ currentPassword: PASSWORD, newPassword: "short" });
    assert.equal(short.status, 400);
    assert.match((await short.json() as ErrorBody).error.message, /at least 10 characters/);

    const ok = await asMe({ currentPassword: PASSWORD, newPassword });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { email: EMAIL, changed: true });
    assert.equal(await appsWithSession(t, mine), 200, "the caller's session stays");
    assert.equal(await appsWithSession(t, other), 401, "every other session ends");
    await expectWrongCredentials(await login(t, EMAIL, PASSWORD));
    const again = await login(t, EMAIL, newPassword);
    assert.equal(again.status, 200);
    await again.body?.cancel();
  });
});

Deno.test("changing the login email checks the password; the new email logs in", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    const session = await sessionOf(t);
    const wrong = await t.api("POST", "/owner/email", {
      body: { email: "new@example.org", password: WRONG },
    });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    const bad = await t.api("POST", "/owner/email", {
      body: { email: "not an email", password: PASSWORD },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const ok = await t.api("POST", "/owner/email", {
      body: { email: " new@example.org ", password: PASSWORD },
    });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).email, "new@example.org");
    assert.equal(await appsWithSession(t, session), 200, "sessions stay");
    await expectWrongCredentials(await login(t, EMAIL, PASSWORD));
    const again = await login(t, "new@example.org", PASSWORD);
    assert.equal(again.status, 200);
    await again.body?.cancel();
  });
});
