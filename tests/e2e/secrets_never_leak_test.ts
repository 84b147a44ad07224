/**
 * A secret's value, once set, never comes back out of a real fazt server:
 * not in any response body or header (reads and error paths alike), not in
 * the server's own output, not in the CLI's output, and not in plain text
 * anywhere in the data folder (it is stored encrypted).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createKernel } from "../../kernel/boot/kernel.ts";
import { zipFiles } from "../_helpers/kernel.ts";
import { cli, startServer, type TestServer } from "../_helpers/server.ts";

/** Every 10-character piece of `value`: finding any of them means part of the value leaked. */
function fragments(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 10 <= value.length; i++) out.push(value.slice(i, i + 10));
  return out;
}

/** Fails when any piece of any secret occurs in `haystack`. */
function assertNoLeak(where: string, haystack: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    const leaked = fragments(secret).find((f) => haystack.includes(f));
    assert.equal(leaked, undefined, `${where} contains "${leaked}", part of a secret`);
  }
}

/** A response's status line, headers and body as one text. */
async function transcript(res: Response): Promise<string> {
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  return `${res.status}\n${headers}\n\n${await res.text()}`;
}

/** Reads an event stream until `until` appears in it (or 5 s pass), then hangs up. */
async function readStream(res: Response, until: string): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 5_000;
  while (!text.includes(until) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

/** Every file below `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await filesUnder(path));
    else if (entry.isFile) out.push(path);
  }
  return out;
}

interface Probe {
  name: string;
  /** The status this call must get (so the probe really exercised its path). */
  status: number;
  send(): Promise<Response>;
}

function probes(server: TestServer, secret: string): Probe[] {
  const owner = { authorization: `Bearer ${server.token}` };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/_fazt/api${path}`, {
      ...init,
      headers: { ...owner, ...init.headers as Record<string, string> },
    });
  const putSecret = (path: string, body: string, type = "application/json") =>
    api(path, { method: "PUT", headers: { "content-type": type }, body });
  const json = (value: unknown) => JSON.stringify({ value });
  return [
    // Every read that could show a secret or its app.
    { name: "secrets.list", status: 200, send: () => api("/apps/vault/secrets") },
    { name: "apps.get", status: 200, send: () => api("/apps/vault") },
    { name: "apps.list", status: 200, send: () => api("/apps") },
    { name: "apps.versions", status: 200, send: () => api("/apps/vault/versions") },
    { name: "apps.files", status: 200, send: () => api("/apps/vault/files") },
    { name: "logs.query", status: 200, send: () => api("/apps/vault/logs?limit=1000") },
    { name: "routes.list", status: 200, send: () => api("/routes") },
    { name: "system.info", status: 200, send: () => api("/system/info") },
    { name: "system.stats", status: 200, send: () => api("/system/stats") },
    { name: "tokens.list", status: 200, send: () => api("/tokens") },
    { name: "auth.whoami", status: 200, send: () => api("/auth/whoami") },
    { name: "health", status: 200, send: () => fetch(`${server.url}/_fazt/health`) },
    // Error paths that carry the value in the request.
    {
      name: "secrets.set with an invalid name",
      status: 400,
      send: () => putSecret("/apps/vault/secrets/not-valid", json(secret)),
    },
    {
      name: "secrets.set on a missing app",
      status: 404,
      send: () => putSecret("/apps/nowhere/secrets/API_KEY", json(secret)),
    },
    {
      name: "secrets.set with a value over 64 KiB",
      status: 413,
      send: () => putSecret("/apps/vault/secrets/API_KEY", json(secret + "x".repeat(70_000))),
    },
    {
      name: "secrets.set with a body over 128 KiB",
      status: 413,
      send: () => putSecret("/apps/vault/secrets/API_KEY", json(secret + "x".repeat(140_000))),
    },
    {
      name: "secrets.set with the value not quoted (invalid JSON)",
      status: 400,
      send: () => putSecret("/apps/vault/secrets/API_KEY", `{"value": ${secret}}`),
    },
    {
      name: "secrets.set with a non-string value",
      status: 400,
      send: () => putSecret("/apps/vault/secrets/API_KEY", JSON.stringify({ value: [secret] })),
    },
    {
      name: "secrets.set with the wrong content type",
      status: 415,
      send: () => putSecret("/apps/vault/secrets/API_KEY", json(secret), "text/plain"),
    },
    {
      name: "secrets.set without credentials",
      status: 401,
      send: () =>
        fetch(`${server.url}/_fazt/api/apps/vault/secrets/API_KEY`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: json(secret),
        }),
    },
  ];
}

Deno.test("a secret's value never leaves the server: responses, output, CLI, data folder", async () => {
  const server = await startServer();
  const secret = `sk-live-${crypto.randomUUID()}`;
  const cliSecret = `sk-cli-${crypto.randomUUID()}`;
  const flagSecret = `sk-flag-${crypto.randomUUID()}`;
  const pemSecret = `-----BEGIN KEY-----\n${crypto.randomUUID()}\n-----END KEY-----`;
  const refused = `sk-refused-${crypto.randomUUID()}`;
  const secrets = [secret, cliSecret, flagSecret, refused];
  let stopped = false;
  try {
    const deployed = await fetch(`${server.url}/_fazt/api/deploy?app=vault`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
      body: zipFiles({ "index.html": "<h1>vault</h1>" }) as Uint8Array<ArrayBuffer>,
    });
    const deployedText = await deployed.text();
    assert.equal(deployed.status, 200, deployedText);
    const appId = (JSON.parse(deployedText) as { app: { id: string } }).app.id;
    for (const value of ["first value, replaced below", secret]) {
      const set = await server.api("PUT", "/apps/vault/secrets/API_KEY", { value });
      const text = await transcript(set);
      assert.equal(set.status, 200, text);
      assertNoLeak("secrets.set's answer", text, secrets);
    }

    for (const probe of probes(server, secret)) {
      const res = await probe.send();
      const text = await transcript(res);
      assert.equal(res.status, probe.status, `${probe.name}: ${text}`);
      assertNoLeak(probe.name, text, secrets);
    }

    // The OpenAPI document, where served.
    const openapi = await fetch(`${server.url}/_fazt/api/openapi.json`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    assertNoLeak("the OpenAPI document", await transcript(openapi), secrets);

    // The live log stream's backlog.
    const tail = await fetch(`${server.url}/_fazt/api/apps/vault/logs/stream?backlog=1000`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    assert.equal(tail.status, 200);
    const events = await readStream(tail, "Secret API_KEY set.");
    assert.match(events, /Secret API_KEY set\./);
    assertNoLeak("logs.tail", events, secrets);

    // The CLI, talking to the running server: the value comes from standard input (piped
    // here; a hidden prompt on a terminal), one trailing newline trimmed.
    const data = ["--data", server.dataDir];
    const set = await cli(["secret", "set", "vault", "CLI_KEY", ...data], {}, {
      stdin: `${cliSecret}\n`,
    });
    assert.equal(set.code, 0, set.stderr);
    assertNoLeak("`fazt secret set`", set.stdout + set.stderr, secrets);
    // A multi-line value (a PEM key) arrives whole.
    const pem = await cli(["secret", "set", "vault", "PEM_KEY", ...data], {}, {
      stdin: `${pemSecret}\n`,
    });
    assert.equal(pem.code, 0, pem.stderr);
    // --value stays for scripts.
    const flagged = await cli([
      "secret",
      "set",
      "vault",
      "FLAG_KEY",
      "--value",
      flagSecret,
      ...data,
    ]);
    assert.equal(flagged.code, 0, flagged.stderr);
    // A value given as an argument (shell history, process list) is refused, unsaved and
    // unechoed, with the ways that work.
    const positional = await cli(["secret", "set", "vault", "REFUSED", refused, ...data]);
    assert.equal(positional.code, 2);
    assert.match(
      positional.stderr,
      /The value is not an argument.*type it when asked, pipe it in.*--value/,
    );
    assertNoLeak("a refused positional value", positional.stdout + positional.stderr, secrets);
    // Nothing on standard input is refused, not saved as an empty secret.
    const empty = await cli(["secret", "set", "vault", "EMPTY", ...data], {}, { stdin: "" });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /No value on standard input/);
    const list = await cli(["secret", "list", "vault", "--data", server.dataDir, "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name).sort(),
      ["API_KEY", "CLI_KEY", "FLAG_KEY", "PEM_KEY"],
    );
    assertNoLeak("`fazt secret list --json`", list.stdout + list.stderr, secrets);

    assert.equal(await server.stop(), 0);
    stopped = true;
    assertNoLeak("the server's output", server.output(), secrets);

    // Nowhere in the data folder in plain text (kernel.db, its WAL, anything else).
    const dec = new TextDecoder("latin1");
    for (const path of await filesUnder(server.dataDir)) {
      assertNoLeak(path, dec.decode(await Deno.readFile(path)), secrets);
    }

    // …yet the values are really stored: the kernel can still decrypt them.
    const kernel = await createKernel({ dataDir: server.dataDir });
    try {
      assert.equal(kernel.services.secrets.reveal(appId, "API_KEY"), secret);
      assert.equal(kernel.services.secrets.reveal(appId, "CLI_KEY"), cliSecret);
      assert.equal(kernel.services.secrets.reveal(appId, "PEM_KEY"), pemSecret);
      assert.equal(kernel.services.secrets.reveal(appId, "FLAG_KEY"), flagSecret);
    } finally {
      await kernel.close();
    }
  } finally {
    if (!stopped) await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
