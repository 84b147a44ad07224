/**
 * End-to-end specification of how fazt answers bad input, over real HTTP
 * (raw sockets where a client library would tidy the request up):
 *
 * - unsupported methods (`TRACE`, `TRACK`, `CONNECT`: 405; made-up and
 *   lower-case methods: 501) on every kind of host, with nothing in the log;
 * - a missing, empty or malformed `Host`: 400, never the admin host;
 * - absurd kv ttls, from the REST API and from an app's own code: refused,
 *   and the app's kv keeps listing;
 * - a body of whitespace is not "no input" (it once removed an egress
 *   limit), and removing a limit takes an explicit null;
 * - one file name in two Unicode forms: refused; NFD requests find NFC files.
 *
 * @module
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { cli, startServer, type TestServer } from "../_helpers/server.ts";

const enc = new TextEncoder();

/** Sends raw bytes and returns everything the server answers until it closes (or 5 s pass). */
async function raw(port: number, request: string | Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(typeof request === "string" ? enc.encode(request) : request);
    const buf = new Uint8Array(64 * 1024);
    let text = "";
    const deadline = Date.now() + 5_000;
    const dec = new TextDecoder();
    while (Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.read(buf).catch(() => null),
        new Promise<"late">((r) => timer = setTimeout(() => r("late"), deadline - Date.now())),
      ]);
      clearTimeout(timer);
      if (n === null || n === "late") break;
      text += dec.decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

/** The status code and JSON error code of a raw answer. */
function parse(answer: string): { status: number; code?: string; allow?: string } {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
  const allow = /\r\nallow: ([^\r]*)/i.exec(answer)?.[1];
  const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
  let code: string | undefined;
  try {
    code = JSON.parse(body).error?.code;
  } catch {
    code = undefined;
  }
  return { status, code, allow };
}

function zipOf(files: Record<string, string>): Uint8Array<ArrayBuffer> {
  return zipSync(
    Object.fromEntries(Object.entries(files).map(([k, v]) => [k, enc.encode(v)])),
  ) as Uint8Array<ArrayBuffer>;
}

async function deploy(server: TestServer, app: string, files: Record<string, string>) {
  return await fetch(`${server.url}/_fazt/api/deploy?app=${encodeURIComponent(app)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zipOf(files),
  });
}

const SITE = {
  "index.html": "<h1>site</h1>",
  "api/main.js": `export default async (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/api/ttl") {
    try {
      await fazt.kv.set("k", 1, { ttl: Number(url.searchParams.get("ttl")) });
      return { stored: true };
    } catch (err) {
      return { code: err.code, message: err.message };
    }
  }
  return { method: req.method };
};
`,
};

Deno.test("bad input over real HTTP: methods, hosts, ttls, bodies and Unicode names", async (t) => {
  const server = await startServer();
  const port = server.port;
  try {
    assert.equal((await deploy(server, "site", SITE)).status, 200);

    await t.step(
      "TRACE, TRACK and CONNECT get 405, other methods 501, on every host; nothing is logged",
      async () => {
        const logged = server.output().length;
        const targets: [string, string][] = [
          [`127.0.0.1:${port}`, "/"],
          ["localhost", "/_fazt/api/apps"],
          ["site.localhost", "/"],
          ["site.localhost", "/api/x"],
          ["nope.localhost", "/"],
        ];
        const methods: [string, number][] = [
          ["TRACE", 405],
          ["TRACK", 405],
          ["CONNECT", 405],
          ["trace", 405],
          ["FOO", 501],
          ["PROPFIND", 501],
          ["get", 501],
          ["post", 501],
          ["Delete", 501],
        ];
        for (const [host, path] of targets) {
          for (const [method, status] of methods) {
            const target = method.toUpperCase() === "CONNECT" ? `${host}:443` : path;
            const answer = parse(
              await raw(
                port,
                `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
              ),
            );
            assert.equal(answer.status, status, `${method} ${host}${path}`);
            assert.equal(answer.code, status === 405 ? "method_not_allowed" : "not_implemented");
            if (status === 405) {
              assert.equal(answer.allow, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
            }
          }
        }
        // A refused method with a body: answered, and the connection stays usable.
        const withBody = await raw(
          port,
          "TRACE / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /_fazt/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        );
        assert.match(withBody, /^HTTP\/1\.1 405 [^]*HTTP\/1\.1 200 /);
        // The app still gets the methods fazt serves.
        const patch = await raw(
          port,
          "PATCH /api/x HTTP/1.1\r\nHost: site.localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        assert.equal(parse(patch).status, 200);
        assert.match(patch, /"method":"PATCH"/);
        assert.equal(server.output().slice(logged), "", "nothing was logged");
      },
    );

    await t.step("a missing, empty or malformed Host is a 400, never the admin host", async () => {
      const auth = `Authorization: Bearer ${server.token}\r\n`;
      const ok = await raw(
        port,
        `GET /_fazt/api/apps HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}Connection: close\r\n\r\n`,
      );
      assert.equal(parse(ok).status, 200, "the same request with a real Host works");
      const bad = [
        `GET /_fazt/api/apps HTTP/1.1\r\nHost: \r\n${auth}Connection: close\r\n\r\n`,
        `GET /_fazt/api/apps HTTP/1.1\r\nHost:\r\n${auth}Connection: close\r\n\r\n`,
        `GET /_fazt/api/apps HTTP/1.1\r\n${auth}Connection: close\r\n\r\n`,
        `GET /_fazt/api/apps HTTP/1.0\r\n${auth}\r\n`,
        `GET / HTTP/1.1\r\nHost: local host\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: owner@127.0.0.1\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}:${port}\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: site.localhost:\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: site.localhost:99999\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: site\tlocalhost\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: site\x01.localhost\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: localhost\r\nHost: site.localhost\r\nConnection: close\r\n\r\n`,
      ];
      for (const request of bad) {
        assert.equal(parse(await raw(port, request)).status, 400, JSON.stringify(request));
      }
      const nonAscii = await raw(
        port,
        new Uint8Array([
          ...enc.encode("GET / HTTP/1.1\r\nHost: caf"),
          0xc3,
          0xa9,
          ...enc.encode(".localhost\r\nConnection: close\r\n\r\n"),
        ]),
      );
      assert.deepEqual(parse(nonAscii), { status: 400, code: "bad_request", allow: undefined });
    });

    await t.step(
      "a ttl of 1e300 is refused by REST and by the app's own fazt.kv; kv keeps listing",
      async () => {
        const put = await server.api("PUT", "/apps/site/data/kv/k", { value: 1, ttl: 1e300 });
        assert.equal(put.status, 400);
        assert.equal((await put.json()).error.code, "invalid_input");
        const fromApp = await server.fetch("site.localhost", "/api/ttl?ttl=1e300");
        assert.equal(fromApp.status, 200);
        const answer = await fromApp.json();
        assert.equal(answer.code, "invalid_input");
        assert.match(answer.message, /ttl/);
        const list = await server.api("GET", "/apps/site/data/kv");
        assert.equal(list.status, 200);
        assert.deepEqual(await list.json(), { keys: [], cursor: null });

        const longest = await server.fetch("site.localhost", "/api/ttl?ttl=315360000");
        assert.deepEqual(await longest.json(), { stored: true });
        const after = await (await server.api("GET", "/apps/site/data/kv")).json();
        assert.equal(after.keys.length, 1);
        assert.ok(Date.parse(after.keys[0].expiresAt) > Date.now() + 9 * 365 * 86_400_000);
      },
    );

    await t.step(
      "a whitespace body is invalid JSON and changes nothing; only null removes a limit",
      async () => {
        const limit = async () =>
          (await (await server.api("GET", "/apps/site/egress")).json()).limitBytes;
        assert.equal(
          (await server.api("PUT", "/apps/site/egress-limit", { limitMb: 5 })).status,
          200,
        );
        for (const body of [" ", "\n", "\r\n\t  "]) {
          const res = await fetch(`${server.url}/_fazt/api/apps/site/egress-limit`, {
            method: "PUT",
            headers: {
              authorization: `Bearer ${server.token}`,
              "content-type": "application/json",
            },
            body,
          });
          assert.equal(res.status, 400);
          assert.equal((await res.json()).error.code, "invalid_json");
          assert.equal(await limit(), 5 * 1024 * 1024);
        }
        const empty = await fetch(`${server.url}/_fazt/api/apps/site/egress-limit`, {
          method: "PUT",
          headers: { authorization: `Bearer ${server.token}` },
        });
        assert.equal(empty.status, 400);
        await empty.body?.cancel();
        assert.equal(await limit(), 5 * 1024 * 1024);

        const env = { FAZT_URL: server.url, FAZT_TOKEN: server.token };
        const noFlag = await cli(["app", "egress-limit", "site"], env);
        assert.notEqual(noFlag.code, 0);
        assert.match(noFlag.stderr, /Missing limitMb \(or "none"\)/);
        assert.equal(await limit(), 5 * 1024 * 1024);
        const cleared = await cli(["app", "egress-limit", "site", "--limit", "none"], env);
        assert.equal(cleared.code, 0, cleared.stderr);
        assert.equal(await limit(), null);
      },
    );

    await t.step(
      "one file name in two Unicode forms is refused; NFD addresses find NFC files",
      async () => {
        const twice = await deploy(server, "uni", {
          "index.html": "home",
          "caf\u00e9.html": "nfc",
          "cafe\u0301.html": "nfd",
        });
        assert.equal(twice.status, 400);
        const err = (await twice.json()).error;
        assert.equal(err.code, "invalid_archive");
        assert.equal(err.details.reason, "duplicate_path");
        assert.match(err.message, /two Unicode forms/);

        const ok = await deploy(server, "uni", {
          "index.html": "home",
          "cafe\u0301.html": "written in NFD",
          "Readme.txt": "upper",
          "readme.txt": "lower",
        });
        assert.equal(ok.status, 200);
        for (const path of ["/caf%C3%A9", "/cafe%CC%81"]) {
          const res = await server.fetch("uni.localhost", path);
          assert.equal(res.status, 200, path);
          assert.equal(await res.text(), "written in NFD");
        }
        assert.equal(await (await server.fetch("uni.localhost", "/Readme.txt")).text(), "upper");
        assert.equal(await (await server.fetch("uni.localhost", "/readme.txt")).text(), "lower");
      },
    );
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
});
