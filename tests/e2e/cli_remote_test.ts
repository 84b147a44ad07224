/**
 * End-to-end specification of the CLI against a server as a remote: owner
 * setup, `fazt login` (password on stdin, or a token), the private remotes
 * file, commands without --url/--data going to the current remote,
 * `fazt remote list|rm`, scoped tokens from repeated flags, and
 * `fazt logs tail` streaming a live log line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, type CliResult, faztCommand, startServer } from "../_helpers/server.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";
const POSIX = Deno.build.os !== "windows";

interface StoredRemotes {
  current: string | null;
  remotes: Record<string, { url: string; token: string; addedAt: string }>;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Waits until `text()` matches `pattern`, or fails after `ms`. */
async function waitFor(
  text: () => string,
  pattern: RegExp,
  ms = 10_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  while (true) {
    const m = text().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${text()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("cli remote: login, current remote, remote list/rm, scoped tokens, logs tail", async () => {
  const server = await startServer();
  const configHome = await Deno.makeTempDir({ prefix: "fazt-e2e-config-" });
  const cwd = await Deno.makeTempDir({ prefix: "fazt-e2e-cwd-" });
  const site = await Deno.makeTempDir({ prefix: "fazt-e2e-site-" });
  // Isolated from the caller's environment: no FAZT_* target, a private config folder.
  const env = { XDG_CONFIG_HOME: configHome, FAZT_URL: "", FAZT_DATA: "", FAZT_TOKEN: "" };
  const run = (args: string[], stdin?: string) => cli(args, env, { cwd, stdin });
  const file = join(configHome, "fazt", "remotes.json");
  const name = `127.0.0.1:${server.port}`;
  try {
    // The owner account, via the one-time setup link printed at first boot.
    const [, setupToken] = await waitFor(server.output, /\/_fazt\/setup\?token=(\S+)/);
    const setup = await fetch(`${server.url}/_fazt/api/auth/setup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: setupToken, email: EMAIL, password: PASSWORD }),
    });
    assert.equal(setup.status, 201, await setup.text());

    // An app to list and to follow the logs of.
    await Deno.writeTextFile(join(site, "index.html"), "<h1>t</h1>\n");
    ok(await cli(["app", "add", site, "--name", "t", "--data", server.dataDir]), "app add");

    // A wrong password: the server's message, exit 1, nothing stored.
    const wrong = await run(["login", server.url, "--email", EMAIL], "not the password\n");
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /The email or password is wrong/);
    await assert.rejects(Deno.stat(file), Deno.errors.NotFound);

    // The right password on stdin: a private file with a working token.
    const login = ok(await run(["login", server.url, "--email", EMAIL], `${PASSWORD}\n`), "login");
    assert.match(login.stdout, new RegExp(`Logged in to ${server.url} as ${EMAIL}`));
    if (POSIX) assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    const stored: StoredRemotes = JSON.parse(await Deno.readTextFile(file));
    assert.equal(stored.current, name);
    assert.equal(stored.remotes[name].url, server.url);
    const token = stored.remotes[name].token;
    assert.ok(!login.stdout.includes(token) && !login.stderr.includes(token));
    const whoami = await fetch(`${server.url}/_fazt/api/auth/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const me = await whoami.json();
    assert.equal(me.kind, "token");
    assert.deepEqual(me.scopes, ["admin"]);

    // No --url, no --data, no ./fazt-data: the current remote answers.
    const apps = JSON.parse(ok(await run(["app", "list", "--json"]), "app list").stdout);
    assert.deepEqual(apps.map((a: { name: string }) => a.name), ["t"]);

    const list = JSON.parse(ok(await run(["remote", "list", "--json"]), "remote list").stdout);
    assert.equal(list.current, name);
    assert.deepEqual(list.remotes.map((r: { name: string; current: boolean }) => r), [
      { name, url: server.url, addedAt: stored.remotes[name].addedAt, current: true },
    ]);

    // A bad token is refused and not stored.
    const bad = await run(["login", server.url, "--token", "fzt_not_a_token", "--name", "bad"]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /does not accept this token/);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), stored);

    // Repeated --scope flags become a list; the scoped token reads but cannot delete.
    const created = JSON.parse(
      ok(
        await run([
          "token",
          "create",
          "--name",
          "ci",
          "--scope",
          "apps:read",
          "--scope",
          "logs:read",
          "--json",
        ]),
        "token create",
      ).stdout,
    );
    assert.deepEqual(created.scopes, ["apps:read", "logs:read"]);
    const scoped = ["--url", server.url, "--token", created.token];
    ok(await run(["app", "list", ...scoped]), "app list with the scoped token");
    const rm = await run(["app", "rm", "t", ...scoped, "--json"]);
    assert.equal(rm.code, 1, rm.stderr);
    assert.equal(JSON.parse(rm.stderr).error.code, "forbidden");

    // logs tail follows the app's log through the current remote until interrupted.
    const tail = faztCommand(["logs", "tail", "t"], env, { cwd }).spawn();
    let out = "";
    let err = "";
    const dec = new TextDecoder();
    const pumps = Promise.all([
      (async () => {
        for await (const c of tail.stdout) out += dec.decode(c, { stream: true });
      })(),
      (async () => {
        for await (const c of tail.stderr) err += dec.decode(c, { stream: true });
      })(),
    ]);
    try {
      await waitFor(() => out + err, /Deployed version 1/, 20_000);
    } finally {
      tail.kill("SIGINT");
      await pumps;
    }
    const status = await tail.status;
    assert.match(out, /^\S+Z info {2}kernel Deployed version 1 \(1 file, \d+ bytes\)\.$/m, err);
    assert.equal(status.code, 130, err);

    // remote rm forgets it; commands fall back to ./fazt-data, which is not there.
    const removed = ok(await run(["remote", "rm", name]), "remote rm");
    assert.match(removed.stdout, new RegExp(`Removed remote "${name.replaceAll(".", "\\.")}"`));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { current: null, remotes: {} });
    const nowhere = await run(["app", "list"]);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /No fazt data in .*fazt login <url>/);
    assert.equal((await run(["remote", "rm", name])).code, 1);
  } finally {
    await server.stop();
    for (const dir of [configHome, cwd, site, server.dataDir]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
});
