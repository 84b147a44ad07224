/**
 * Specification of the CLI's remote features without processes or sockets:
 * `fazt login` and `fazt remote` against an in-process kernel, the target
 * order, array and number flags, and streamed commands (`logs tail`) with
 * an in-process kernel, plus the server-sent event reader.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliIo, formatStreamItem, runCli } from "../../../kernel/cli/cli.ts";
import { readEvents } from "../../../kernel/cli/api_client.ts";
import { loadRemotes, remotesPath, saveRemotes } from "../../../kernel/cli/remotes.ts";
import { openTarget } from "../../../kernel/cli/target.ts";
import { createKernel } from "../../../kernel/boot/kernel.ts";
import { SESSION_COOKIE } from "../../../kernel/http/session_cookie.ts";
import { type TestKernel, withKernel, zipFiles } from "../../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";
/** What the in-process kernel answers to (its handler needs no socket). */
const URL_ = "http://127.0.0.1";

interface FakeIo extends CliIo {
  stdout: string[];
  stderr: string[];
}

function fakeIo(env: Record<string, string>, extra: Partial<CliIo> = {}): FakeIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    env: (name) => env[name],
    ...extra,
  };
}

async function createOwner(t: TestKernel): Promise<void> {
  const token = await t.kernel.services.owners.issueSetupToken(60_000);
  await t.kernel.services.owners.setup(token, EMAIL, PASSWORD);
}

async function withConfigHome(fn: (env: Record<string, string>) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-cli-config-" });
  try {
    await fn({ XDG_CONFIG_HOME: dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function whoamiKind(t: TestKernel, token: string): Promise<string> {
  const res = await t.api("GET", "/auth/whoami", { token });
  return (await res.json()).kind;
}

Deno.test("login --email stores a working admin token, never prints it, ends the session", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    await withConfigHome(async (env) => {
      const sessions: string[] = [];
      const io = fakeIo(env, {
        readPassword: () => Promise.resolve(PASSWORD),
        fetch: async (req) => {
          const res = await t.kernel.handler(req);
          for (const c of res.headers.getSetCookie()) {
            const [name, value] = c.split(";")[0].split("=");
            if (name === SESSION_COOKIE && value) sessions.push(value);
          }
          return res;
        },
      });
      const code = await runCli(["login", URL_, "--email", EMAIL], io);
      assert.equal(code, 0, io.stderr.join("\n"));
      assert.equal(sessions.length, 1);
      assert.equal(t.kernel.services.owners.authenticateSession(sessions[0]), undefined);
      const config = await loadRemotes(remotesPath(io.env)!);
      assert.equal(config.current, "127.0.0.1");
      const stored = config.remotes["127.0.0.1"];
      assert.equal(stored.url, URL_);
      assert.equal(await whoamiKind(t, stored.token), "token");
      const output = io.stdout.join("\n");
      assert.ok(!output.includes(stored.token), "the token is never printed");
      assert.match(output, /Logged in to http:\/\/127\.0\.0\.1 as owner@example\.com/);
      const tokens = t.kernel.services.tokens.list().filter((r) => r.name.startsWith("cli on "));
      assert.equal(tokens.length, 1);
      assert.deepEqual(tokens[0].scopes, ["admin"]);
    });
  });
});

Deno.test("login --email with a wrong password fails with the server's message", async () => {
  await withKernel(async (t) => {
    await createOwner(t);
    await withConfigHome(async (env) => {
      const io = fakeIo(env, {
        readPassword: () => Promise.resolve("wrong"),
        fetch: t.kernel.handler,
      });
      assert.equal(await runCli(["login", URL_, "--email", EMAIL], io), 1);
      assert.match(io.stderr.join("\n"), /The email or password is wrong/);
      assert.deepEqual(await loadRemotes(remotesPath(io.env)!), { current: null, remotes: {} });
    });
  });
});

Deno.test("login --token checks the token and stores it under --name", async () => {
  await withKernel(async (t) => {
    await withConfigHome(async (env) => {
      const bad = fakeIo(env, { fetch: t.kernel.handler });
      assert.equal(await runCli(["login", URL_, "--token", "fzt_nope"], bad), 1);
      assert.match(bad.stderr.join("\n"), /does not accept this token/);

      const io = fakeIo(env, { fetch: t.kernel.handler });
      const code = await runCli(
        ["login", URL_, "--token", t.kernel.ownerToken, "--name", "home", "--json"],
        io,
      );
      assert.equal(code, 0, io.stderr.join("\n"));
      const out = JSON.parse(io.stdout.join("\n"));
      assert.equal(out.name, "home");
      assert.equal(out.current, true);
      assert.ok(!JSON.stringify(out).includes(t.kernel.ownerToken));
      const config = await loadRemotes(remotesPath(io.env)!);
      assert.equal(config.remotes.home.token, t.kernel.ownerToken);
    });
  });
});

Deno.test("login: usage errors exit 2 and say what to pass", async () => {
  await withConfigHome(async (env) => {
    for (
      const argv of [
        ["login"],
        ["login", URL_],
        ["login", URL_, "--email", EMAIL, "--token", "x"],
        ["login", URL_, "--token", "x", "--bogus", "1"],
        ["login", "ftp://x", "--token", "x"],
      ]
    ) {
      const io = fakeIo(env);
      assert.equal(await runCli(argv, io), 2, argv.join(" "));
      assert.match(io.stderr.join("\n"), /^error: .+/);
    }
    const noHome = fakeIo({}, { readPassword: () => Promise.resolve("x") });
    assert.equal(await runCli(["login", URL_, "--token", "x"], noHome), 2);
    assert.match(noHome.stderr.join("\n"), /set HOME/);
  });
});

Deno.test("remote list, use and rm manage the stored remotes", async () => {
  await withConfigHome(async (env) => {
    const file = remotesPath((n) => env[n])!;
    await saveRemotes(file, {
      current: "b",
      remotes: {
        a: { url: "http://a:1", token: "ta", addedAt: "2025-01-01T00:00:00.000Z" },
        b: { url: "https://b", token: "tb", addedAt: "2025-01-02T00:00:00.000Z" },
      },
    });
    const run = async (...argv: string[]) => {
      const io = fakeIo(env);
      const code = await runCli(argv, io);
      return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
    };
    const list = await run("remote", "list");
    assert.equal(list.code, 0);
    assert.match(list.out, /^\* b\s+https:\/\/b/m);
    assert.match(list.out, /^ {2}a\s+http:\/\/a:1/m);
    assert.ok(!list.out.includes("ta") && !list.out.includes("tb"), "tokens are not listed");

    assert.equal((await run("remote", "use", "a")).code, 0);
    const json = JSON.parse((await run("remote", "list", "--json")).out);
    assert.equal(json.current, "a");
    assert.deepEqual(
      json.remotes.map((r: { name: string; current: boolean }) => [r.name, r.current]),
      [
        ["a", true],
        ["b", false],
      ],
    );
    assert.ok(!JSON.stringify(json).includes("ta"));

    const missing = await run("remote", "use", "zzz");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /No remote named "zzz"\. Run `fazt remote list`/);

    const rm = await run("remote", "rm", "a");
    assert.equal(rm.code, 0);
    assert.match(rm.out, /No remote is current now/);
    assert.deepEqual(await loadRemotes(file), {
      current: null,
      remotes: { b: { url: "https://b", token: "tb", addedAt: "2025-01-02T00:00:00.000Z" } },
    });
    assert.equal((await run("remote", "rm", "a")).code, 1);
    assert.equal((await run("remote", "frob")).code, 2);
    assert.match((await run("remote", "--help")).out, /fazt remote use <name>/);
  });
});

Deno.test("help lists the remote commands", async () => {
  const io = fakeIo({});
  assert.equal(await runCli(["help"], io), 0);
  assert.match(io.stdout.join("\n"), /Remotes:\n {2}login <url> .+\n {2}remote list/);
});

Deno.test("target order: --url, then --data, then the current remote", async () => {
  await withConfigHome(async (env) => {
    const file = remotesPath((n) => env[n])!;
    const missing = join(env.XDG_CONFIG_HOME, "no-data-here");
    await assert.rejects(
      openTarget({ dataDir: missing, remotesFile: file }),
      /No fazt data in .*no-data-here\. Start a server there first .*pass --data DIR, or run `fazt login <url>`/,
    );
    await saveRemotes(file, {
      current: "main",
      remotes: {
        main: { url: "https://main.example", token: "tm", addedAt: "x" },
        other: { url: "http://other.example:8080", token: "to", addedAt: "x" },
      },
    });
    // The current remote is used when neither --url nor --data is given.
    const current = await openTarget({ remotesFile: file });
    assert.equal(current.client.baseUrl, "https://main.example");
    // --url finds the stored token of that URL; without one it says what to run.
    const other = await openTarget({ url: "http://other.example:8080/", remotesFile: file });
    assert.equal(other.client.baseUrl, "http://other.example:8080");
    await assert.rejects(
      openTarget({ url: "https://unknown.example", remotesFile: file }),
      /Run `fazt login https:\/\/unknown\.example` once, or pass --token/,
    );
    // --data beats the current remote.
    await assert.rejects(
      openTarget({ dataDir: missing, remotesFile: file }),
      /No fazt data in .*no-data-here/,
    );
  });
});

/** A closed data folder with an app "t" deployed once, for in-process CLI runs. */
async function withDeployedData(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-cli-data-" });
  try {
    const kernel = await createKernel({ dataDir });
    const res = await kernel.handler(
      new Request(`${URL_}/_fazt/api/deploy?app=t`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${kernel.ownerToken}`,
          "content-type": "application/zip",
        },
        body: zipFiles({ "index.html": "<h1>t</h1>" }) as Uint8Array<ArrayBuffer>,
      }),
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    await kernel.close();
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("token create: repeated and single array flags, and a number flag", async () => {
  await withDeployedData(async (dataDir) => {
    const io = fakeIo({});
    const code = await runCli([
      "token",
      "create",
      "--name",
      "ci",
      "--scope",
      "apps:read",
      "--scope",
      "logs:read",
      "--app",
      "t",
      "--expires-in-days",
      "30",
      "--data",
      dataDir,
      "--json",
    ], io);
    assert.equal(code, 0, io.stderr.join("\n"));
    const out = JSON.parse(io.stdout.join("\n"));
    assert.deepEqual(out.scopes, ["apps:read", "logs:read"]);
    assert.equal(out.apps.length, 1);
    const days = (Date.parse(out.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, String(days));

    const single = fakeIo({});
    assert.equal(
      await runCli(
        ["token", "create", "--name", "one", "--scope", "admin", "--data", dataDir, "--json"],
        single,
      ),
      0,
      single.stderr.join("\n"),
    );
    assert.deepEqual(JSON.parse(single.stdout.join("\n")).scopes, ["admin"]);

    const bad = fakeIo({});
    assert.equal(
      await runCli([
        "token",
        "create",
        "--name",
        "x",
        "--scope",
        "admin",
        "--expires-in-days",
        "soon",
      ], bad),
      2,
    );
    assert.match(bad.stderr.join("\n"), /must be a number/);

    const help = fakeIo({});
    await runCli(["token", "create", "--help"], help);
    assert.match(help.stdout.join("\n"), /--scope SCOPE\.\.\./);
    assert.match(help.stdout.join("\n"), /--scope\s+Scopes: .+\(repeatable\)/);
  });
});

Deno.test("logs tail streams from an in-process kernel until interrupted", async () => {
  await withDeployedData(async (dataDir) => {
    for (const json of [false, true]) {
      const interrupt = new AbortController();
      const io = fakeIo({}, { interrupt: interrupt.signal });
      const out = io.out;
      io.out = (line) => {
        out(line);
        if (line.includes("Deployed version 1")) interrupt.abort();
      };
      const code = await runCli(
        ["logs", "tail", "t", "--data", dataDir, ...(json ? ["--json"] : [])],
        io,
      );
      assert.equal(code, 130, io.stderr.join("\n"));
      const line = io.stdout.find((l) => l.includes("Deployed version 1"))!;
      if (json) {
        const entry = JSON.parse(line);
        assert.equal(entry.source, "kernel");
        assert.equal(entry.level, "info");
      } else {
        assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z info {2}kernel Deployed version 1 /);
      }
    }
  });
});

Deno.test("readEvents parses data lines, skips comments, joins multi-line data", async () => {
  const text =
    ': connected\n\ndata: {"a":1}\n\n: keep-alive\r\n\r\ndata: [1,\ndata: 2]\n\nevent: x\ndata:"s"\n\n';
  const enc = new TextEncoder().encode(text);
  // Split into awkward chunks to exercise the buffering.
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < enc.length; i += 7) c.enqueue(enc.slice(i, i + 7));
      c.close();
    },
  });
  const items = [];
  for await (const item of readEvents(body)) items.push(item);
  assert.deepEqual(items, [{ a: 1 }, [1, 2], "s"]);
});

Deno.test("formatStreamItem prints a log entry as one line, continuation lines indented", () => {
  assert.equal(
    formatStreamItem({
      at: "2025-01-01T00:00:00.000Z",
      level: "warn",
      source: "app",
      message: "a\nb",
      requestId: null,
    }),
    "2025-01-01T00:00:00.000Z warn  app    a\n    b",
  );
  assert.equal(formatStreamItem({ x: 1 }), '{"x":1}');
});
