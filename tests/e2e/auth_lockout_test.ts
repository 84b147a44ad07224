/**
 * End-to-end specification of brute-force protection that cannot lock the
 * owner out (issue 13, item 5), against a real server process. Clients
 * connect from distinct loopback addresses (all of 127.0.0.0/8 is local):
 * login limits apply to loopback peers too, unlike the app-traffic limiter.
 *
 * - wrong passwords from one address slow down that address only;
 * - the attacking address waits longer after each failure and never gets a
 *   guess for free, however many it sends at once;
 * - many addresses together slow down new devices, never a browser the
 *   owner has logged in from before, nor the CLI;
 * - `fazt owner reset-password --data DIR` works while the server runs and
 *   the limits are tripped (even with the local owner token revoked), and
 *   clears the limits.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { cli, type CliResult, startServer, type TestServer } from "../_helpers/server.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";
const WRONG = "wrong horse battery";
/** The CLI's environment: no target from the caller's environment. */
const CLI_ENV = { FAZT_URL: "", FAZT_TOKEN: "", FAZT_DATA: "" };

/** An answer, with every `Set-Cookie` header kept apart. */
interface Answer {
  status: number;
  headers: Headers;
  setCookies: string[];
  body: { error?: { code: string; message: string; details: Record<string, unknown> } };
  ms: number;
}

/** POSTs JSON to the server from the loopback address `from`. */
function post(
  server: TestServer,
  from: string,
  path: string,
  body: unknown,
  cookie?: string,
): Promise<Answer> {
  const started = performance.now();
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port: server.port,
      localAddress: from,
      agent: false,
      method: "POST",
      path,
      headers: {
        "content-type": "application/json",
        "content-length": String(new TextEncoder().encode(text).length),
        origin: server.url,
        ...(cookie ? { cookie } : {}),
      },
    }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => data += c);
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === "string") headers.set(k, v);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers,
          setCookies: res.headers["set-cookie"] ?? [],
          body: data ? JSON.parse(data) : {},
          ms: performance.now() - started,
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(text);
  });
}

/** A login attempt from `from`, optionally with a cookie header. */
function login(server: TestServer, from: string, password: string, cookie?: string) {
  return post(server, from, "/_fazt/api/auth/login", { email: EMAIL, password }, cookie);
}

/** `name=value` of the cookie whose name matches, as a browser sends it back. */
function cookiePair(answer: Answer, name: RegExp): string {
  const header = answer.setCookies.find((c) => name.test(c.split("=")[0]));
  assert.ok(header, `no ${name} cookie in ${JSON.stringify(answer.setCookies)}`);
  return header.split(";")[0];
}

function expectLoggedIn(a: Answer, what: string): void {
  assert.equal(a.status, 200, `${what}: ${JSON.stringify(a.body)}`);
  cookiePair(a, /^fazt_session$/);
}

function expectWrong(a: Answer, what: string): void {
  assert.equal(a.status, 401, `${what}: ${JSON.stringify(a.body)}`);
  assert.equal(a.body.error?.code, "unauthorized");
}

/** A 429 with `Retry-After` (s) matching the body; returns the wait. */
function expectSlowed(a: Answer, limit: "address" | "account", what: string): number {
  assert.equal(a.status, 429, `${what}: ${JSON.stringify(a.body)}`);
  assert.equal(a.body.error?.code, "rate_limited", what);
  assert.equal(a.body.error?.details.limit, limit, what);
  const retryAfter = Number(a.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 900, what);
  assert.equal(a.body.error?.details.retryAfterSeconds, retryAfter, what);
  assert.equal(a.setCookies.length, 0, what);
  return retryAfter;
}

/** Starts a server and creates the owner from 127.0.0.1 with the setup link. */
async function serverWithOwner(): Promise<TestServer> {
  const server = await startServer();
  const token = server.output().match(/\/_fazt\/setup\?token=(\S+)/)?.[1];
  assert.ok(token, `no setup link in:\n${server.output()}`);
  const setup = await post(server, "127.0.0.1", "/_fazt/api/auth/setup", {
    token,
    email: EMAIL,
    password: PASSWORD,
  });
  assert.equal(setup.status, 201, JSON.stringify(setup.body));
  return server;
}

async function dispose(server: TestServer): Promise<void> {
  await server.stop();
  await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
}

/**
 * Five guesses from each of many addresses, all at once: the account-wide
 * limit lets ten be checked (each address counts with its free failures),
 * then every new device waits. Returns the refusals.
 */
async function distributedAttack(server: TestServer, addresses: string[]): Promise<Answer[]> {
  const answers = (await Promise.all(
    addresses.map((from) =>
      Promise.all(Array.from({ length: 5 }, () => login(server, from, WRONG)))
    ),
  )).flat();
  const checked = answers.filter((a) => a.status === 401);
  const refused = answers.filter((a) => a.status !== 401);
  assert.equal(checked.length, 10, `${answers.map((a) => a.status)}`);
  for (const a of refused) expectSlowed(a, "account", "a guess of the distributed attack");
  return refused;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

Deno.test("lockout: five, then fifty, wrong passwords from one address never keep the owner out from another", async () => {
  const server = await serverWithOwner();
  try {
    for (let i = 0; i < 5; i++) expectWrong(await login(server, "127.0.0.2", WRONG), `guess ${i}`);
    expectSlowed(await login(server, "127.0.0.2", PASSWORD), "address", "the sixth try waits");
    const owner = await login(server, "127.0.0.3", PASSWORD);
    expectLoggedIn(owner, "the owner from another address, at once");

    // Fifty at once from one address, the right password last: five are checked.
    const guesses = [...Array.from({ length: 49 }, () => WRONG), PASSWORD];
    const fifty = await Promise.all(guesses.map((p) => login(server, "127.0.0.4", p)));
    const checked = fifty.filter((a) => a.status === 401);
    const refused = fifty.filter((a) => a.status === 429);
    assert.equal(checked.length, 5, `${fifty.map((a) => a.status)}`);
    assert.equal(refused.length, 45);
    for (const a of refused) expectSlowed(a, "address", "a refused guess");
    assert.equal(fifty.at(-1)!.status, 429, "the right password came too late");
    expectLoggedIn(await login(server, "127.0.0.5", PASSWORD), "the owner after fifty guesses");
    expectLoggedIn(await login(server, "127.0.0.3", PASSWORD), "the owner's first address again");
    console.log(
      `50 concurrent guesses: 5 checked (median ${
        median(checked.map((a) => a.ms)).toFixed(0)
      } ms), ` +
        `45 refused before hashing (median ${median(refused.map((a) => a.ms)).toFixed(0)} ms); ` +
        `the owner's login from another address took ${owner.ms.toFixed(0)} ms`,
    );
  } finally {
    await dispose(server);
  }
});

Deno.test("lockout: the attacking address waits longer after each failure; waiting is the only way on", async () => {
  const server = await serverWithOwner();
  try {
    for (let i = 0; i < 5; i++) expectWrong(await login(server, "127.0.0.2", WRONG), `guess ${i}`);
    const first = expectSlowed(await login(server, "127.0.0.2", WRONG), "address", "after five");
    assert.ok(first <= 15 && first >= 10, `${first}`);
    // Refused attempts count nothing and cost no hashing: 30 more change nothing.
    const refused = await Promise.all(
      Array.from({ length: 30 }, () => login(server, "127.0.0.2", WRONG)),
    );
    for (const a of refused) assert.ok(expectSlowed(a, "address", "during the wait") <= first);
    await new Promise((r) => setTimeout(r, first * 1000 + 200));
    expectWrong(await login(server, "127.0.0.2", WRONG), "the guess after the wait is checked");
    const second = expectSlowed(await login(server, "127.0.0.2", WRONG), "address", "after six");
    assert.ok(second <= 30 && second >= 25, `the delay doubled: ${second}`);
  } finally {
    await dispose(server);
  }
});

Deno.test("lockout: a distributed attack slows new devices, never the owner's known browser or the CLI", async () => {
  const server = await serverWithOwner();
  try {
    const browser = await login(server, "127.0.0.10", PASSWORD);
    expectLoggedIn(browser, "the owner's browser, before the attack");
    const device = cookiePair(browser, /^fazt_device$/);

    const attackers = Array.from({ length: 4 }, (_, i) => `127.0.1.${i + 1}`);
    await distributedAttack(server, attackers);
    // Now every new device waits, from any address, whatever the password.
    const fresh = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(server, `127.0.2.${i + 1}`, WRONG)),
    );
    for (const a of fresh) expectSlowed(a, "account", "a new device during the attack");
    const newDevice = await login(server, "127.0.0.11", PASSWORD);
    expectSlowed(newDevice, "account", "the owner on a new device");
    assert.match(newDevice.body.error!.message, /browser you have used here before/);
    // A made-up device cookie is a new device.
    expectSlowed(
      await login(server, "127.0.1.1", PASSWORD, `fazt_device=${"A".repeat(43)}`),
      "account",
      "a forged device cookie",
    );

    // The owner's browser gets in at once: from its address, from a new
    // network, even from an attacking address (a shared NAT).
    for (const from of ["127.0.0.10", "127.0.0.12", "127.0.1.1"]) {
      const a = await login(server, from, PASSWORD, device);
      expectLoggedIn(a, `the known browser from ${from}`);
      assert.equal(cookiePair(a, /^fazt_device$/), device, "the same device, renewed");
    }
    expectSlowed(await login(server, "127.0.0.13", PASSWORD), "account", "new devices still wait");
    // The CLI on the server uses the owner token: no login, no limit.
    const me = JSON.parse(
      ok(await cli(["auth", "whoami", "--data", server.dataDir, "--json"], CLI_ENV), "whoami")
        .stdout,
    );
    assert.equal(me.kind, "token");
  } finally {
    await dispose(server);
  }
});

Deno.test("lockout: `fazt owner reset-password` works while the server runs and limits are tripped, and clears them", async () => {
  const server = await serverWithOwner();
  try {
    const session = cookiePair(await login(server, "127.0.0.10", PASSWORD), /^fazt_session$/);
    await distributedAttack(server, ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4"]);
    expectSlowed(await login(server, "127.0.1.1", PASSWORD), "account", "an attacking address");
    const wait = expectSlowed(
      await login(server, "127.0.0.20", PASSWORD),
      "account",
      "a new device",
    );
    const limitedUntil = performance.now() + wait * 1000;

    const out = ok(
      await cli(["owner", "reset-password", "--data", server.dataDir, "--json"], CLI_ENV),
      "reset-password",
    );
    const { email, password } = JSON.parse(out.stdout) as { email: string; password: string };
    assert.equal(email, EMAIL);
    assert.ok(password.length >= 20, password);

    // Every limit is gone: the owner logs in at once from anywhere.
    expectLoggedIn(await login(server, "127.0.0.20", password), "a new device after the reset");
    expectLoggedIn(await login(server, "127.0.1.1", password), "a formerly attacking address");
    expectWrong(await login(server, "127.0.0.21", PASSWORD), "the old password");
    assert.ok(
      performance.now() < limitedUntil,
      "the logins above must happen while the limits would still hold, or they prove nothing",
    );
    const apps = await fetch(`${server.url}/_fazt/api/apps`, { headers: { cookie: session } });
    assert.equal(apps.status, 401, "sessions ended with the reset");
    await apps.body?.cancel();
  } finally {
    await dispose(server);
  }
});

Deno.test("lockout: the local CLI keeps its way in when the owner token was revoked or deleted", async () => {
  const server = await serverWithOwner();
  try {
    const list = await server.api("GET", "/tokens");
    const local = (await list.json() as { id: string; name: string }[])
      .find((t) => t.name === "owner (local CLI)");
    assert.ok(local);
    const revoked = await server.api("DELETE", `/tokens/${local.id}`);
    assert.equal(revoked.status, 200);
    await revoked.body?.cancel();
    await distributedAttack(server, ["127.0.1.1", "127.0.1.2", "127.0.1.3"]);

    const reset = ok(
      await cli(["owner", "reset-password", "--data", server.dataDir, "--json"], CLI_ENV),
      "reset-password with the local token revoked",
    );
    const { password } = JSON.parse(reset.stdout) as { password: string };
    expectLoggedIn(await login(server, "127.0.0.20", password), "after the reset");

    await Deno.remove(`${server.dataDir}/owner.token`);
    ok(
      await cli(["owner", "reset-password", "--data", server.dataDir, "--json"], CLI_ENV),
      "reset-password with the owner token file deleted",
    );
    const token = (await Deno.readTextFile(`${server.dataDir}/owner.token`)).trim();
    const me = await fetch(`${server.url}/_fazt/api/auth/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await me.json()).kind, "token", "the new owner token works");
  } finally {
    await dispose(server);
  }
});
