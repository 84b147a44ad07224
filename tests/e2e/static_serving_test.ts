/**
 * End-to-end specification of static file serving: a real `fazt serve`
 * process on 127.0.0.1, apps deployed with the real CLI, requests sent over
 * HTTP with arbitrary `Host` headers.
 */
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { cli, startServer, type TestServer } from "../_helpers/server.ts";
import { VERSION } from "../../kernel/core/version.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes of a file that fill `size` with a deterministic-but-irregular pattern. */
function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(size, at + 65536)));
  }
  return out;
}

// Larger than the 5 MiB memory-cache limit and spanning several 1 MiB chunks,
// so it streams from SQLite; the odd tail makes the last chunk partial.
const BIG_SIZE = 6 * 1024 * 1024 + 4321;
const BIG = randomBytes(BIG_SIZE);

const CSS = Array.from(
  { length: 80 },
  (_, i) => `.rule-${i} { color: #333; margin: ${i}px 0; padding: 0 ${i % 7}px; }\n`,
).join("");

/** Text of `size` bytes that compresses well but not trivially (numbered lines). */
function textOf(size: number, label: string): Uint8Array {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const line = `export const ${label}_${i} = { id: ${i}, name: "item ${i * 7919 % 10007}" };\n`;
    lines.push(line);
    n += line.length;
  }
  return enc.encode(lines.join("").slice(0, size));
}

// Compressible files over one 1 MiB chunk: their encodings are stored in
// chunks; the larger is over the 5 MiB memory-cache limit, so it streams.
const LARGE_JS = textOf(2 * 1024 * 1024 + 333, "mid");
const HUGE_JS = textOf(7 * 1024 * 1024 + 777, "huge");

const PNG = (() => {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const bytes = randomBytes(2048);
  bytes.set(signature, 0);
  return bytes;
})();

const SITE: Record<string, Uint8Array> = {
  "index.html": enc.encode("<!doctype html><title>Home</title><h1>Home</h1>\n"),
  "about.html": enc.encode("<!doctype html><title>About</title><h1>About us</h1>\n"),
  "docs/index.html": enc.encode("<!doctype html><title>Docs</title><h1>Docs index</h1>\n"),
  "docs/guide.html": enc.encode("<!doctype html><title>Guide</title><h1>The guide</h1>\n"),
  "css/site.css": enc.encode(CSS),
  "assets/app.3f2a1b9c7d.js": enc.encode('console.log("app 3f2a1b9c7d");\n'),
  "img/logo.png": PNG,
  "big.bin": BIG,
  "js/large.js": LARGE_JS,
  "js/huge.js": HUGE_JS,
  "404.html": enc.encode("<!doctype html><title>Lost</title><h1>Custom not found</h1>\n"),
  "files/hello wörld.txt": enc.encode("grüße aus der datei\n"),
  "_fazt/secret.txt": enc.encode("app files under /_fazt must never be served\n"),
  "app.json": enc.encode(JSON.stringify({ title: "Test Site" }, null, 2)),
};

const SPA: Record<string, Uint8Array> = {
  "index.html": enc.encode("<!doctype html><title>SPA</title><div id=root></div>\n"),
  "assets/main.js": enc.encode("document.getElementById('root').textContent = 'spa';\n"),
  "app.json": enc.encode(JSON.stringify({ spa: true })),
};

async function writeSite(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [path, bytes] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
    await Deno.writeFile(join(dir, path), bytes);
  }
}

async function deploy(server: TestServer, dir: string, name: string): Promise<void> {
  const res = await cli(["app", "add", dir, "--name", name, "--data", server.dataDir, "--json"]);
  assert.equal(res.code, 0, `deploy of ${name} failed:\n${res.stderr}`);
  const out = JSON.parse(res.stdout) as { app: { name: string }; version: { live: boolean } };
  assert.equal(out.app.name, name);
  assert.equal(out.version.live, true);
}

/** Asserts byte equality without dumping megabytes on failure. */
function assertBytes(actual: Uint8Array, expected: Uint8Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${label}: bytes differ at offset ${i}`);
  }
}

/**
 * Waits until the background compressor has stored the br encoding of
 * `path` (a deploy goes live before its files are compressed).
 */
async function waitForEncoding(
  get: (path: string, headers: Record<string, string>) => Promise<Response>,
  path: string,
): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const res = await get(path, { "accept-encoding": "br" });
    await res.body?.cancel();
    if (res.headers.get("content-encoding") === "br") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${path} never got its br encoding`);
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

/** Sends a raw HTTP/1.1 request and returns everything the server sent back. */
async function rawExchange(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode(head));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    return dec.decode(
      chunks.reduce((all, c) => {
        const next = new Uint8Array(all.length + c.length);
        next.set(all);
        next.set(c, all.length);
        return next;
      }, new Uint8Array()),
    );
  } finally {
    conn.close();
  }
}

Deno.test("static serving over real HTTP", async (t) => {
  const server = await startServer();
  const siteDir = await Deno.makeTempDir({ prefix: "fazt-site-" });
  const spaDir = await Deno.makeTempDir({ prefix: "fazt-spa-" });

  /** GET/HEAD/... with a Host header; every response must carry nosniff. */
  const send = async (
    host: string,
    path: string,
    init?: { method?: string; headers?: Record<string, string> },
  ): Promise<Response> => {
    const res = await server.fetch(host, path, init);
    assert.equal(
      res.headers.get("x-content-type-options"),
      "nosniff",
      `${init?.method ?? "GET"} ${host}${path} (${res.status}) lacks nosniff`,
    );
    return res;
  };
  const site = (path: string, headers?: Record<string, string>) =>
    send("site.localhost", path, { headers });

  try {
    await writeSite(siteDir, SITE);
    await writeSite(spaDir, SPA);
    await deploy(server, spaDir, "spa");
    await deploy(server, siteDir, "site");

    await t.step(
      "a deploy is live before compression; encodings follow in the background",
      async () => {
        for (const path of ["/css/site.css", "/js/large.js", "/js/huge.js"]) {
          const res = await site(path, { "accept-encoding": "gzip, deflate, br" });
          assert.equal(res.status, 200, path);
          const body = await bytesOf(res);
          const encoding = res.headers.get("content-encoding");
          assert.ok(encoding === null || encoding === "br", `${path}: ${encoding}`);
          if (encoding === null) {
            assert.equal(body.length, Number(res.headers.get("content-length")));
          }
          await waitForEncoding(site, path);
        }
      },
    );

    await t.step("an app is served at <name>.<domain>, ignoring port and case", async () => {
      for (const host of ["site.localhost", "site.localhost:1234", "SITE.LOCALHOST"]) {
        const res = await send(host, "/");
        assert.equal(res.status, 200, host);
        assert.equal(await res.text(), dec.decode(SITE["index.html"]), host);
      }
    });

    await t.step("an unknown host answers a friendly 404 page", async () => {
      const res = await send("nope.localhost", "/");
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(res.headers.get("cache-control"), "no-store");
      const html = await res.text();
      assert.match(html, /<title>No app here<\/title>/);
      assert.match(html, /no app at this address/);
    });

    await t.step("/_fazt/health answers without credentials on every host", async () => {
      for (const host of ["localhost", `127.0.0.1:${server.port}`, "site.localhost", "nope.x"]) {
        const res = await send(host, "/_fazt/health");
        assert.equal(res.status, 200, host);
        assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8", host);
        assert.deepEqual(await res.json(), { status: "ok", version: VERSION }, host);
      }
    });

    await t.step("the REST API needs a token: 401 JSON without one", async () => {
      const res = await send("localhost", "/_fazt/api/apps");
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="fazt"');
      const body = await res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, "unauthorized");
      assert.equal(typeof body.error.message, "string");
      assert.ok(body.error.message.length > 0);
    });

    await t.step("the REST API answers on the primary host only, not on app hosts", async () => {
      const auth = { authorization: `Bearer ${server.token}` };
      const primary = await send("localhost", "/_fazt/api/apps", { headers: auth });
      assert.equal(primary.status, 200);
      const apps = await primary.json() as { name: string }[];
      assert.deepEqual(
        apps.map((a) => a.name),
        ["site", "spa"],
      );

      const onApp = await send("site.localhost", "/_fazt/api/apps", { headers: auth });
      assert.equal(onApp.status, 404);
      const body = await onApp.json() as { error: { code: string } };
      assert.equal(body.error.code, "not_found");
    });

    await t.step("/_fazt/* on an app host never reaches the app's files", async () => {
      for (const path of ["/_fazt/secret.txt", "/_fazt/anything", "/_fazt"]) {
        const res = await site(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8", path);
        const text = await res.text();
        assert.ok(!text.includes("must never be served"), `${path} leaked the app file`);
        assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, "not_found");
      }
    });

    await t.step("content types follow the extension, with charset on text", async () => {
      const cases: [path: string, type: string][] = [
        ["/", "text/html; charset=utf-8"],
        ["/about", "text/html; charset=utf-8"],
        ["/css/site.css", "text/css; charset=utf-8"],
        ["/assets/app.3f2a1b9c7d.js", "text/javascript; charset=utf-8"],
        ["/img/logo.png", "image/png"],
        ["/app.json", "application/json; charset=utf-8"],
        ["/files/hello%20w%C3%B6rld.txt", "text/plain; charset=utf-8"],
        ["/big.bin", "application/octet-stream"],
      ];
      for (const [path, type] of cases) {
        const res = await site(path);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-type"), type, path);
        await res.body?.cancel();
      }
    });

    await t.step("URLs map to files like Cloudflare Pages (clean URLs, index files)", async () => {
      const files: [path: string, file: string][] = [
        ["/", "index.html"],
        ["/about", "about.html"],
        ["/about?ref=nav", "about.html"],
        ["/docs/", "docs/index.html"],
        ["/docs/guide", "docs/guide.html"],
        ["/css/site.css", "css/site.css"],
        ["/files/hello%20w%C3%B6rld.txt", "files/hello wörld.txt"],
        ["/files/hello%20w%c3%b6rld.txt", "files/hello wörld.txt"],
      ];
      for (const [path, file] of files) {
        const res = await site(path, { "accept-encoding": "identity" });
        assert.equal(res.status, 200, path);
        assertBytes(await bytesOf(res), SITE[file], path);
      }
    });

    await t.step(
      "non-canonical URLs redirect 308 to the canonical one, keeping the query",
      async () => {
        const redirects: [path: string, location: string][] = [
          ["/about.html", "/about"],
          ["/about.html?x=1&y=a%20b", "/about?x=1&y=a%20b"],
          ["/about/", "/about"],
          ["/docs", "/docs/"],
          ["/docs?tab=2", "/docs/?tab=2"],
          ["/docs/index.html", "/docs/"],
          ["/docs/guide.html", "/docs/guide"],
          ["/docs/guide/", "/docs/guide"],
          ["/index.html", "/"],
          ["/files/hello%20w%C3%B6rld.txt/", "/files/hello%20w%C3%B6rld.txt"],
        ];
        for (const [path, location] of redirects) {
          const res = await site(path);
          assert.equal(res.status, 308, path);
          assert.equal(res.headers.get("location"), location, path);
          assert.equal((await bytesOf(res)).length, 0, `${path} has a body`);
        }
      },
    );

    await t.step("traversal and ambiguous encodings are refused with 400", async () => {
      for (
        const path of [
          "/../../etc/passwd",
          "/%2e%2e/x",
          "/docs/%2E%2E/about",
          "/a%2fb",
          "/a%5cb",
          "/a%00b",
          "/a//b",
          "//about",
          "/%E0%A4%A",
        ]
      ) {
        const res = await site(path);
        assert.equal(res.status, 400, path);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
        const page = await res.text();
        assert.match(page, /<title>Bad address<\/title>/, path);
        // The page shows the status the response has (it once said 404 under a 400).
        assert.match(page, /<div class="status">400<\/div>/, path);
        assert.doesNotMatch(page, /404/, path);
      }
    });

    await t.step("a missing path serves the app's 404.html with status 404", async () => {
      for (const path of ["/missing", "/docs/missing", "/css/missing.css", "/some/route"]) {
        const res = await site(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
        assert.equal(res.headers.get("cache-control"), "no-cache", path);
        assertBytes(await bytesOf(res), SITE["404.html"], path);
      }
    });

    await t.step(
      "SPA: unknown routes serve index.html (dots too); a missing asset 404s unless navigated to",
      async () => {
        const spaIndex = SPA["index.html"];
        const routes = [
          "/",
          "/some/route",
          "/some/route/",
          "/users/42",
          "/users/john.doe",
          "/v1.2.3",
        ];
        for (const path of routes) {
          const res = await send("spa.localhost", path);
          assert.equal(res.status, 200, path);
          assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
          assert.equal(res.headers.get("vary"), null, `${path}: the same for every Accept`);
          assertBytes(await bytesOf(res), spaIndex, path);
        }
        const asset = await send("spa.localhost", "/assets/main.js");
        assert.equal(asset.status, 200);
        assertBytes(await bytesOf(asset), SPA["assets/main.js"], "/assets/main.js");
        // A browser navigating (Accept names text/html) gets the app, as with nginx's
        // try_files; a script, an image or curl (Accept */*) gets a real 404.
        const navigation = {
          accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        };
        for (const path of ["/missing.js", "/assets/missing.css", "/img/x.png", "/users/john.md"]) {
          for (const accept of ["*/*", "image/avif,image/webp,*/*;q=0.8", null]) {
            const res = await send("spa.localhost", path, {
              headers: accept === null ? {} : { accept },
            });
            assert.equal(res.status, 404, `${path} (${accept})`);
            assert.equal(res.headers.get("vary"), "Accept", path);
            assert.match(await res.text(), /<title>Page not found<\/title>/, path);
          }
          const res = await send("spa.localhost", path, { headers: navigation });
          assert.equal(res.status, 200, `${path} navigated to`);
          assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
          assert.equal(res.headers.get("vary"), "Accept", path);
          assertBytes(await bytesOf(res), spaIndex, path);
        }
        // Without "spa": true a dotted route is a plain 404.
        const plain = await site("/users/john.doe", navigation);
        assert.equal(plain.status, 404);
        await plain.body?.cancel();
      },
    );

    await t.step("cache policy: HTML revalidates, fingerprinted assets are immutable", async () => {
      const cases: [path: string, policy: string][] = [
        ["/", "public, no-cache"],
        ["/about", "public, no-cache"],
        ["/docs/guide", "public, no-cache"],
        ["/css/site.css", "public, no-cache"],
        ["/img/logo.png", "public, no-cache"],
        ["/assets/app.3f2a1b9c7d.js", "public, max-age=31536000, immutable"],
      ];
      for (const [path, policy] of cases) {
        const res = await site(path);
        assert.equal(res.headers.get("cache-control"), policy, path);
        await res.body?.cancel();
      }
    });

    await t.step("conditional GET: strong ETag, If-None-Match and If-Modified-Since", async () => {
      const first = await site("/about");
      const etag = first.headers.get("etag")!;
      const lastModified = first.headers.get("last-modified")!;
      await first.body?.cancel();
      assert.match(etag, /^"[0-9a-f]{32}"$/, "a strong ETag");
      assert.ok(!Number.isNaN(Date.parse(lastModified)), lastModified);

      const hits: Record<string, string>[] = [
        { "if-none-match": etag },
        { "if-none-match": `W/${etag}` },
        { "if-none-match": `"other", ${etag}` },
        { "if-none-match": "*" },
        { "if-modified-since": lastModified },
        { "if-modified-since": new Date().toUTCString() },
      ];
      for (const headers of hits) {
        const res = await site("/about", headers);
        const label = JSON.stringify(headers);
        assert.equal(res.status, 304, label);
        assert.equal(res.headers.get("etag"), etag, label);
        assert.equal(res.headers.get("last-modified"), lastModified, label);
        assert.equal(res.headers.get("cache-control"), "public, no-cache", label);
        assert.equal((await bytesOf(res)).length, 0, label);
      }

      const misses: Record<string, string>[] = [
        { "if-none-match": '"0123456789abcdef0123456789abcdef"' },
        { "if-modified-since": new Date(Date.parse(lastModified) - 1000).toUTCString() },
        // If-None-Match wins over If-Modified-Since.
        { "if-none-match": '"nope"', "if-modified-since": lastModified },
      ];
      for (const headers of misses) {
        const res = await site("/about", headers);
        assert.equal(res.status, 200, JSON.stringify(headers));
        assertBytes(await bytesOf(res), SITE["about.html"], JSON.stringify(headers));
      }
    });

    await t.step(
      "preconditions: If-Match and If-Unmodified-Since answer 412 when they fail, as nginx",
      async () => {
        const first = await site("/about");
        const etag = first.headers.get("etag")!;
        const lastModified = first.headers.get("last-modified")!;
        await first.body?.cancel();
        const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();

        const pass: Record<string, string>[] = [
          { "if-match": etag },
          { "if-match": "*" },
          { "if-match": `"nope", ${etag}` },
          { "if-unmodified-since": lastModified },
          { "if-unmodified-since": "not a date" },
          // If-Match decides; If-Unmodified-Since is then ignored.
          { "if-match": etag, "if-unmodified-since": earlier },
        ];
        for (const headers of pass) {
          for (const method of ["GET", "HEAD"]) {
            const res = await send("site.localhost", "/about", { method, headers });
            const label = `${method} ${JSON.stringify(headers)}`;
            assert.equal(res.status, 200, label);
            const body = await bytesOf(res);
            if (method === "GET") assertBytes(body, SITE["about.html"], label);
          }
        }
        const fail: Record<string, string>[] = [
          { "if-match": '"0123456789abcdef0123456789abcdef"' },
          { "if-match": `W/${etag}` }, // If-Match compares strongly
          { "if-unmodified-since": earlier },
          { "if-match": '"nope"', "if-none-match": etag },
          { "if-match": '"nope"', range: "bytes=0-3" },
        ];
        for (const headers of fail) {
          for (const method of ["GET", "HEAD"]) {
            const res = await send("site.localhost", "/about", { method, headers });
            const label = `${method} ${JSON.stringify(headers)}`;
            assert.equal(res.status, 412, label);
            assert.equal(res.headers.get("etag"), etag, label);
            assert.equal(res.headers.get("last-modified"), lastModified, label);
            assert.equal((await bytesOf(res)).length, 0, label);
          }
        }
        // A range under a matching If-Match is served.
        const ranged = await site("/about", { "if-match": etag, range: "bytes=0-8" });
        assert.equal(ranged.status, 206);
        assertBytes(await bytesOf(ranged), SITE["about.html"].subarray(0, 9), "If-Match + Range");
        // A missing file stays a 404: preconditions apply to what exists (If-Match: * too).
        const missing = await site("/missing", { "if-match": "*" });
        assert.equal(missing.status, 404);
        await missing.body?.cancel();
      },
    );

    await t.step("Range: single byte ranges answer 206 with the exact bytes", async () => {
      const cases: [range: string, start: number, end: number][] = [
        ["bytes=0-99", 0, 99],
        ["bytes=-100", BIG_SIZE - 100, BIG_SIZE - 1],
        ["bytes=3000000-", 3_000_000, BIG_SIZE - 1],
        ["bytes=1048570-1048589", 1_048_570, 1_048_589], // across a chunk boundary
        ["bytes=6291400-99999999", 6_291_400, BIG_SIZE - 1],
      ];
      for (const [range, start, end] of cases) {
        const res = await site("/big.bin", { range });
        assert.equal(res.status, 206, range);
        assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${BIG_SIZE}`, range);
        assert.equal(res.headers.get("content-length"), String(end - start + 1), range);
        assert.equal(res.headers.get("accept-ranges"), "bytes", range);
        assertBytes(await bytesOf(res), BIG.subarray(start, end + 1), range);
      }
      const small = await site("/about", { range: "bytes=0-8" });
      assert.equal(small.status, 206);
      assert.equal(small.headers.get("content-range"), `bytes 0-8/${SITE["about.html"].length}`);
      assertBytes(await bytesOf(small), SITE["about.html"].subarray(0, 9), "about 0-8");
    });

    await t.step(
      "Range: unsatisfiable → 416, If-Range mismatch and multi-range → 200",
      async () => {
        const unsatisfiable = await site("/big.bin", { range: "bytes=99999999-" });
        assert.equal(unsatisfiable.status, 416);
        assert.equal(unsatisfiable.headers.get("content-range"), `bytes */${BIG_SIZE}`);
        assert.equal((await bytesOf(unsatisfiable)).length, 0);

        const head = await site("/big.bin", { range: "bytes=0-0" });
        const etag = head.headers.get("etag")!;
        const lastModified = head.headers.get("last-modified")!;
        await head.body?.cancel();

        for (const ifRange of [etag, lastModified]) {
          const matching = await site("/big.bin", { range: "bytes=0-9", "if-range": ifRange });
          assert.equal(matching.status, 206, ifRange);
          assertBytes(await bytesOf(matching), BIG.subarray(0, 10), `If-Range ${ifRange}`);
        }

        const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
        const full: Record<string, string>[] = [
          { range: "bytes=0-9", "if-range": '"0000000000000000"' },
          { range: "bytes=0-9", "if-range": `W/${etag}` },
          { range: "bytes=0-9", "if-range": earlier },
          { range: "bytes=0-9,20-29" },
        ];
        for (const headers of full) {
          const res = await site("/big.bin", headers);
          const label = JSON.stringify(headers);
          assert.equal(res.status, 200, label);
          assert.equal(res.headers.get("content-range"), null, label);
          assert.equal(res.headers.get("content-length"), String(BIG_SIZE), label);
          assertBytes(await bytesOf(res), BIG, label);
        }
      },
    );

    await t.step(
      "HEAD answers the GET headers, Content-Length included, with no body",
      async () => {
        const compared = [
          "content-type",
          "content-length",
          "etag",
          "last-modified",
          "cache-control",
          "accept-ranges",
          "vary",
          "x-content-type-options",
        ];
        for (const path of ["/about", "/css/site.css", "/big.bin"]) {
          const get = await site(path);
          await get.body?.cancel();
          const head = await send("site.localhost", path, { method: "HEAD" });
          assert.equal(head.status, 200, path);
          for (const name of compared) {
            assert.equal(head.headers.get(name), get.headers.get(name), `${path} ${name}`);
          }
        }
        // On the wire: headers only, nothing after the blank line.
        const heads: [path: string, size: number][] = [
          ["/about", SITE["about.html"].length],
          ["/big.bin", BIG_SIZE],
        ];
        for (const [path, size] of heads) {
          const raw = await rawExchange(
            server.port,
            `HEAD ${path} HTTP/1.1\r\nHost: site.localhost\r\nConnection: close\r\n\r\n`,
          );
          const split = raw.indexOf("\r\n\r\n");
          assert.ok(split > 0, raw);
          assert.match(raw, /^HTTP\/1\.1 200 /, path);
          assert.match(
            raw.slice(0, split),
            new RegExp(`\r\ncontent-length: ${size}\r\n`, "i"),
            path,
          );
          assert.equal(raw.slice(split + 4), "", `${path}: HEAD sent a body`);
        }
      },
    );

    await t.step(
      "compression: stored br/gzip variants by Accept-Encoding, each its own ETag",
      async () => {
        const css = SITE["css/site.css"];
        const identity = await site("/css/site.css");
        assert.equal(identity.headers.get("content-encoding"), null);
        assert.equal(identity.headers.get("vary"), "Accept-Encoding");
        assert.equal(identity.headers.get("content-length"), String(css.length));
        const identityEtag = identity.headers.get("etag")!;
        assertBytes(await bytesOf(identity), css, "identity css");

        const cases: [accept: string, encoding: string, inflate: (b: Uint8Array) => Uint8Array][] =
          [
            ["br", "br", (b) => brotliDecompressSync(b)],
            ["gzip", "gzip", (b) => gunzipSync(b)],
            ["gzip, deflate, br", "br", (b) => brotliDecompressSync(b)],
            ["br;q=0.5, gzip", "gzip", (b) => gunzipSync(b)],
          ];
        const etags = new Set([identityEtag]);
        for (const [accept, encoding, inflate] of cases) {
          const res = await site("/css/site.css", { "accept-encoding": accept });
          assert.equal(res.status, 200, accept);
          assert.equal(res.headers.get("content-encoding"), encoding, accept);
          assert.equal(res.headers.get("vary"), "Accept-Encoding", accept);
          assert.equal(res.headers.get("content-type"), "text/css; charset=utf-8", accept);
          const body = await bytesOf(res);
          assert.equal(res.headers.get("content-length"), String(body.length), accept);
          assert.ok(body.length < css.length, `${accept}: ${body.length} is not smaller`);
          assertBytes(new Uint8Array(inflate(body)), css, `${accept} decoded`);
          const etag = res.headers.get("etag")!;
          assert.notEqual(etag, identityEtag, accept);
          assert.equal(etag, `${identityEtag.slice(0, -1)}-${encoding}"`, accept);
          etags.add(etag);

          const revalidated = await site("/css/site.css", {
            "accept-encoding": accept,
            "if-none-match": etag,
          });
          assert.equal(revalidated.status, 304, accept);
          assert.equal(revalidated.headers.get("etag"), etag, accept);
          assert.equal(revalidated.headers.get("vary"), "Accept-Encoding", accept);
        }
        assert.equal(etags.size, 3, "identity, br and gzip ETags are all different");

        for (const path of ["/img/logo.png", "/big.bin"]) {
          const res = await site(path, { "accept-encoding": "gzip, deflate, br" });
          assert.equal(res.headers.get("content-encoding"), null, path);
          assert.equal(res.headers.get("vary"), null, path);
          await res.body?.cancel();
        }
        const png = await site("/img/logo.png", { "accept-encoding": "br" });
        assertBytes(await bytesOf(png), PNG, "png sent as stored");
      },
    );

    await t.step(
      "large text files: served compressed (streamed), ranges from the identity bytes",
      async () => {
        for (
          const [path, bytes] of [["/js/large.js", LARGE_JS], ["/js/huge.js", HUGE_JS]] as const
        ) {
          for (
            const [accept, inflate] of [
              ["br", (b: Uint8Array) => brotliDecompressSync(b)],
              ["gzip", (b: Uint8Array) => gunzipSync(b)],
            ] as const
          ) {
            const res = await site(path, { "accept-encoding": accept });
            assert.equal(res.status, 200, `${path} ${accept}`);
            assert.equal(res.headers.get("content-encoding"), accept, `${path} ${accept}`);
            assert.equal(res.headers.get("vary"), "Accept-Encoding", `${path} ${accept}`);
            const body = await bytesOf(res);
            assert.equal(res.headers.get("content-length"), String(body.length), path);
            assert.ok(body.length < bytes.length / 2, `${path} ${accept}: ${body.length} bytes`);
            assertBytes(new Uint8Array(inflate(body)), bytes, `${path} ${accept} decoded`);
            const head = await send("site.localhost", path, {
              method: "HEAD",
              headers: { "accept-encoding": accept },
            });
            assert.equal(head.headers.get("content-length"), String(body.length), `HEAD ${path}`);
            assert.equal(head.headers.get("content-encoding"), accept, `HEAD ${path}`);
          }
          // A Range is answered from the identity bytes, whatever the client accepts
          // (as nginx's gzip_static and Caddy's precompressed do).
          const start = 1024 * 1024 - 10;
          const end = start + 99_999;
          const ranged = await site(path, {
            "accept-encoding": "gzip, deflate, br",
            range: `bytes=${start}-${end}`,
          });
          assert.equal(ranged.status, 206, path);
          assert.equal(ranged.headers.get("content-encoding"), null, path);
          assert.equal(
            ranged.headers.get("content-range"),
            `bytes ${start}-${end}/${bytes.length}`,
            path,
          );
          assertBytes(await bytesOf(ranged), bytes.subarray(start, end + 1), `${path} range`);
        }
      },
    );

    await t.step("methods other than GET and HEAD answer 405 with Allow", async () => {
      for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
        for (const path of ["/", "/about", "/css/site.css", "/missing"]) {
          const res = await send("site.localhost", path, { method });
          assert.equal(res.status, 405, `${method} ${path}`);
          assert.equal(res.headers.get("allow"), "GET, HEAD", `${method} ${path}`);
          assert.equal((await bytesOf(res)).length, 0, `${method} ${path}`);
        }
      }
    });

    await t.step("a multi-chunk file streams byte-identical", async () => {
      const res = await site("/big.bin");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-length"), String(BIG_SIZE));
      assertBytes(await bytesOf(res), BIG, "big.bin");
    });

    await t.step(
      "the primary domain shows the welcome page until a root route gives it to an app",
      async () => {
        const welcome = await send("localhost", "/");
        assert.equal(welcome.status, 200);
        assert.match(await welcome.text(), /<title>fazt is running<\/title>/);
        const missing = await send("localhost", "/about");
        assert.equal(missing.status, 404);
        assert.match(await missing.text(), /<title>Page not found<\/title>/);

        const route = await cli(["route", "add", "@", "site", "--data", server.dataDir]);
        assert.equal(route.code, 0, route.stderr);

        const root = await send("localhost", "/");
        assert.equal(root.status, 200);
        assertBytes(await bytesOf(root), SITE["index.html"], "localhost /");
        const about = await send("localhost", "/about");
        assertBytes(await bytesOf(about), SITE["about.html"], "localhost /about");
        // The primary domain serves the app now, so it is no admin host any more;
        // IP hosts and admin.<domain> are, and never serve an app.
        const ip = await send(`127.0.0.1:${server.port}`, "/");
        assert.match(await ip.text(), /<title>fazt is running<\/title>/);
        const bearer = { headers: { authorization: `Bearer ${server.token}` } };
        const onApp = await send("localhost", "/_fazt/api/apps", bearer);
        assert.equal(onApp.status, 404, "no API on a host that serves an app");
        await onApp.body?.cancel();
        for (const host of [`127.0.0.1:${server.port}`, `admin.localhost:${server.port}`]) {
          const api = await send(host, "/_fazt/api/apps", bearer);
          assert.equal(api.status, 200, `the API answers on ${host}`);
          await api.body?.cancel();
        }
      },
    );

    await t.step("a redeploy changing one file keeps the others' validators", async () => {
      const before = new Map<string, [string, string]>();
      for (const path of ["/", "/about", "/css/site.css"]) {
        const res = await site(path);
        before.set(path, [res.headers.get("etag")!, res.headers.get("last-modified")!]);
        await res.body?.cancel();
      }
      // Last-Modified has one-second resolution: make sure the clock moved on.
      const lastSecond = Date.parse(before.get("/about")![1]);
      while (Date.now() < lastSecond + 1100) await new Promise((r) => setTimeout(r, 50));

      const newAbout = enc.encode("<!doctype html><title>About</title><h1>About us, v2</h1>\n");
      await Deno.writeFile(join(siteDir, "about.html"), newAbout);
      await deploy(server, siteDir, "site");

      for (const path of ["/", "/css/site.css"]) {
        const res = await site(path);
        assert.deepEqual(
          [res.headers.get("etag"), res.headers.get("last-modified")],
          before.get(path),
          path,
        );
        await res.body?.cancel();
      }
      const about = await site("/about");
      const [oldEtag, oldLastModified] = before.get("/about")!;
      assert.notEqual(about.headers.get("etag"), oldEtag);
      assert.ok(
        Date.parse(about.headers.get("last-modified")!) > Date.parse(oldLastModified),
        `${about.headers.get("last-modified")} is not after ${oldLastModified}`,
      );
      assertBytes(await bytesOf(about), newAbout, "new about");

      const stale = await site("/about", { "if-none-match": oldEtag });
      assert.equal(stale.status, 200, "the old ETag no longer matches");
      assertBytes(await bytesOf(stale), newAbout, "about after stale If-None-Match");
      const fresh = await site("/", { "if-none-match": before.get("/")![0] });
      assert.equal(fresh.status, 304, "an unchanged file still revalidates");
    });
  } finally {
    const code = await server.stop();
    await Deno.remove(siteDir, { recursive: true });
    await Deno.remove(spaDir, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
    assert.equal(code, 0, server.output());
  }
});
