/**
 * End-to-end specification of the serverless runtime (docs/RUNTIME.md) over
 * real HTTP: one real `fazt serve` process with sandboxes, apps deployed
 * with the real CLI, requests to `<app>.localhost/api…`. Covers the export
 * and return forms of a handler, what `req` carries, `require`, the
 * `fazt.*` capabilities, per-app isolation, redeploys, renames and errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { dirname, join } from "node:path";
import { cli, startServer, type TestServer } from "../_helpers/server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const MiB = 1024 * 1024;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Fixtures

/** Files of an app: path → text or bytes. */
type Files = Record<string, string | Uint8Array>;

/**
 * The kitchen-sink app's handler (ESM). `/api/call` runs any `fazt.*` call
 * described as JSON (`{op, args}`), with `{"$bytes": [...]}` standing for a
 * Uint8Array both ways, and answers `{value}` or the caught `{error}`.
 */
const KIT_MAIN = `
const db = require("./db");
const dbWithExt = require("./db.js");
const data = require("./data.json");
const lib = require("./lib/");
const _ = require("lodash");
const cheerio = require("cheerio");
const uuid = require("uuid");
const { z } = require("zod");

const Person = z.object({ name: z.string(), age: z.number().int().min(0) });

function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    if (Array.isArray(v.$bytes)) return new Uint8Array(v.$bytes);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

function dump(v) {
  if (v instanceof Uint8Array) return { $bytes: [...v] };
  if (Array.isArray(v)) return v.map(dump);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dump(x)]));
  }
  return v;
}

function explodeOnPurpose(marker) {
  throw new Error("kaboom " + marker);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function handle(req, ctx) {
  const url = new URL(req.url);
  const path = url.pathname;
  const q = url.searchParams;
  if (path === "/api") return "api root";
  if (path.startsWith("/api/echo")) {
    const text = await req.text();
    return {
      method: req.method,
      path,
      search: url.search,
      query: Object.fromEntries(q),
      header: req.headers.get("x-test"),
      contentType: req.headers.get("content-type"),
      json: text && req.headers.get("content-type") === "application/json" ? JSON.parse(text) : null,
    };
  }
  switch (path) {
    case "/api/response":
      return new Response("short and stout", {
        status: 418,
        headers: {
          "content-type": "text/x-teapot",
          "x-custom": "kept",
          "set-cookie": "a=1",
          "x-content-type-options": "sniff-away",
        },
      });
    case "/api/string":
      return "just text";
    case "/api/object":
      return { ok: true, list: [1, "two", null], nested: { deep: true } };
    case "/api/nothing":
      return;
    case "/api/bytes":
      return new Uint8Array([0, 1, 2, 253, 254, 255]);
    case "/api/stream": {
      let i = 0;
      return new Response(new ReadableStream({
        async pull(controller) {
          if (i > 0) await sleep(150);
          if (i === 5) return controller.close();
          controller.enqueue(new TextEncoder().encode("chunk " + i++ + "\\n"));
        },
      }), { headers: { "content-type": "text/plain" } });
    }
    case "/api/binary":
      return new Response(new Uint8Array(await req.arrayBuffer()), {
        headers: { "content-type": "application/octet-stream" },
      });
    case "/api/require": {
      const a = uuid.v4();
      const b = uuid.v4();
      const $ = cheerio.load('<ul><li class="x">alpha</li><li>skip</li><li class="x">beta</li></ul>');
      const bad = Person.safeParse({ name: "Ada", age: -1 });
      return {
        db: db.name,
        sameModule: db === dbWithExt,
        data,
        lib,
        chunk: _.chunk([1, 2, 3, 4, 5], 2),
        items: $("li.x").map((_i, el) => $(el).text()).get(),
        uuids: [a, b],
        zodGood: Person.safeParse({ name: "Ada", age: 36 }).success,
        zodBad: { success: bad.success, path: bad.error.issues[0].path },
      };
    }
    case "/api/escape":
      return ["../../../etc/passwd", "/etc/passwd", "../../outside", "fs", "node:fs"].map((spec) => {
        try {
          require(spec);
          return spec + ": loaded";
        } catch (e) {
          return spec + ": " + e.message;
        }
      });
    case "/api/missing":
      return require("./does-not-exist");
    case "/api/whoami":
      console.log("whoami " + q.get("m"));
      return { app: fazt.app, ctxApp: ctx.app, ctxFazt: ctx.fazt === fazt, requestId: ctx.requestId };
    case "/api/levels":
      console.debug("debug " + q.get("m"));
      console.log("log " + q.get("m"));
      console.info("info " + q.get("m"));
      console.warn("warn " + q.get("m"));
      console.error("error " + q.get("m"));
      return "logged";
    case "/api/throw":
      explodeOnPurpose(q.get("m"));
      return "unreachable";
    case "/api/call": {
      const { op, args } = await req.json();
      const [ns, fn] = op.split(".");
      try {
        return { value: dump(await fazt[ns][fn](...revive(args))) ?? null };
      } catch (e) {
        return { error: { name: e.name, code: e.code ?? null, message: e.message } };
      }
    }
  }
  return new Response("no route " + path, { status: 404 });
}
`;

const KIT: Files = {
  "index.html": "<!doctype html><title>Kit</title><h1>kit home</h1>\n",
  "style.css": "h1 { color: teal; }\n",
  "api/main.js": KIT_MAIN,
  "api/db.js": 'module.exports = { name: "the db module", file: __filename };\n',
  "api/data.json": '{ "answer": 42, "list": ["a", "b"] }\n',
  "api/lib/index.js": [
    'const db = require("../db");',
    'const config = require("../../shared/config");',
    "module.exports = {",
    '  from: "lib/index.js",',
    "  parentDb: db.name,",
    '  sameInstance: db === require("../db.js"),',
    "  config,",
    "};",
    "",
  ].join("\n"),
  "shared/config.js": 'module.exports = { shared: "outside api/, inside the app" };\n',
};

/** One handler export form: its app, entry file and source; each answers `{form, app}`. */
interface ExportForm {
  what: string;
  app: string;
  entry: string;
  source: string;
  /** The `form` it answers with. */
  form: string;
}

const EXPORT_FORMS: ExportForm[] = [
  {
    what: "ESM `export default async (req, ctx) => …`",
    app: "form-esm",
    form: "esm function",
    entry: "api/main.js",
    source:
      'export default async (req, ctx) => ({ form: "esm function", app: ctx.app.name, method: req.method });\n',
  },
  {
    what: "ESM `export default { fetch(req, ctx) }`",
    app: "form-object",
    form: "esm object",
    entry: "api/main.js",
    source: [
      "export default {",
      "  greeting: 'esm object',",
      "  fetch(req, ctx) {",
      "    return { form: this.greeting, app: ctx.app.name, method: req.method };",
      "  },",
      "};",
      "",
    ].join("\n"),
  },
  {
    what: "CommonJS `module.exports = (req, ctx) => …`",
    app: "form-cjs",
    form: "commonjs function",
    entry: "api/main.js",
    source:
      'module.exports = (req, ctx) => ({ form: "commonjs function", app: ctx.app.name, method: req.method });\n',
  },
  {
    what: "TypeScript `api/main.ts` with type annotations",
    app: "form-ts",
    form: "typescript",
    entry: "api/main.ts",
    source: [
      "interface Ctx { requestId: string; app: { id: string; name: string } }",
      "interface Reply { form: string; app: string; method: string }",
      "type Form = 'typescript';",
      "const form: Form = 'typescript';",
      "export default async function handle(req: Request, ctx: Ctx): Promise<Reply> {",
      "  const reply: Reply = { form, app: ctx.app.name, method: req.method as string };",
      "  return reply;",
      "}",
      "",
    ].join("\n"),
  },
  {
    what: "`api/main.mjs`",
    app: "form-mjs",
    form: "mjs",
    entry: "api/main.mjs",
    source: [
      "const form = 'mjs';",
      "export default (req, ctx) => ({ form, app: ctx.app.name, method: req.method });",
      "",
    ].join("\n"),
  },
  {
    what: "`api/main.cjs` exporting `{ fetch }`",
    app: "form-cjs-file",
    form: "cjs file",
    entry: "api/main.cjs",
    source:
      'module.exports = { fetch: (req, ctx) => ({ form: "cjs file", app: ctx.app.name, method: req.method }) };\n',
  },
];

/** v1 of the redeployed app: `/api/slow` waits until someone sets kv `release`. */
const FLIP_V1 = `
export default async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/api/slow") {
    await fazt.kv.set("slow-started", true);
    for (let i = 0; i < 160 && !(await fazt.kv.get("release")); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return "v1";
  }
  if (path === "/api/started") return (await fazt.kv.get("slow-started")) === true;
  return "v1";
};
`;

const FLIP_V2 = `
export default async (req) => {
  if (new URL(req.url).pathname === "/api/release") await fazt.kv.set("release", true);
  return "v2";
};
`;

// ---------------------------------------------------------------------------
// Helpers

/** A log entry as `GET /_fazt/api/apps/{app}/logs` shows it. */
interface LogView {
  at: string;
  level: "debug" | "info" | "warn" | "error";
  source: "kernel" | "app";
  message: string;
  requestId: string | null;
}

/** The fazt JSON error body. */
interface ErrorBody {
  error: { code: string; message: string };
}

/** What `/api/call` answers. */
interface CallReply {
  value?: unknown;
  error?: { name: string; code: string | null; message: string };
}

/** One piece of a streamed body and when it arrived. */
interface Piece {
  text: string;
  at: number;
}

class Harness {
  readonly dirs: string[] = [];
  constructor(readonly server: TestServer) {}

  /** Writes `files` into a fresh temp folder and returns it. */
  async folder(files: Files): Promise<string> {
    const dir = await Deno.makeTempDir({ prefix: "fazt-runtime-" });
    this.dirs.push(dir);
    for (const [path, content] of Object.entries(files)) {
      await Deno.mkdir(join(dir, dirname(path)), { recursive: true });
      if (typeof content === "string") await Deno.writeTextFile(join(dir, path), content);
      else await Deno.writeFile(join(dir, path), content);
    }
    return dir;
  }

  /** Deploys `files` as app `name` with the real CLI. */
  async deploy(name: string, files: Files): Promise<void> {
    const dir = await this.folder(files);
    const res = await this.fazt(["app", "add", dir, "--name", name]);
    assert.equal(res.code, 0, `deploying ${name} failed:\n${res.stderr}`);
  }

  /** Runs the CLI against the server's data folder. */
  fazt(args: string[]): ReturnType<typeof cli> {
    return cli([...args, "--data", this.server.dataDir]);
  }

  /** A request to `<app>.localhost`. */
  fetch(
    app: string,
    path: string,
    init?: Parameters<TestServer["fetch"]>[2],
  ): Promise<Response> {
    return this.server.fetch(`${app}.localhost`, path, init);
  }

  /** GET and expect 200 JSON. */
  async json(app: string, path: string): Promise<unknown> {
    const res = await this.fetch(app, path);
    const text = await res.text();
    assert.equal(res.status, 200, `${app}${path}: ${text}`);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    return JSON.parse(text);
  }

  /** Runs `fazt.<op>(...args)` inside `app` and returns its reply. */
  async callReply(app: string, op: string, args: unknown[]): Promise<CallReply> {
    const res = await this.fetch(app, "/api/call", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ op, args }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, `${op}: ${text}`);
    return JSON.parse(text) as CallReply;
  }

  /** Runs `fazt.<op>(...args)` inside `app`, expecting success, and returns the value. */
  async call(app: string, op: string, ...args: unknown[]): Promise<unknown> {
    const reply = await this.callReply(app, op, args);
    assert.equal(reply.error, undefined, `${op}(${JSON.stringify(args)}) failed`);
    return reply.value;
  }

  /** Runs `fazt.<op>(...args)` inside `app`, expecting it to throw, and returns the error. */
  async callError(
    app: string,
    op: string,
    ...args: unknown[]
  ): Promise<NonNullable<CallReply["error"]>> {
    const reply = await this.callReply(app, op, args);
    assert.ok(reply.error, `${op}(${JSON.stringify(args)}) should fail, got ${reply.value}`);
    return reply.error;
  }

  /** The app's log entries whose message contains `text`. */
  async logs(app: string, text: string): Promise<LogView[]> {
    const res = await this.server.api(
      "GET",
      `/apps/${app}/logs?contains=${encodeURIComponent(text)}&limit=1000`,
    );
    const body = await res.text();
    assert.equal(res.status, 200, body);
    return JSON.parse(body) as LogView[];
  }

  /** The ID of an app as `apps.get` shows it. */
  async appId(app: string): Promise<string> {
    const res = await this.server.api("GET", `/apps/${app}`);
    const body = await res.text();
    assert.equal(res.status, 200, body);
    return (JSON.parse(body) as { id: string }).id;
  }

  /** GETs a path and records each piece of the body as it arrives. */
  stream(app: string, path: string): Promise<{ status: number; pieces: Piece[]; end: number }> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port: this.server.port,
        path,
        headers: { host: `${app}.localhost` },
      }, (res) => {
        const pieces: Piece[] = [];
        const decoder = new TextDecoder();
        res.on("data", (c: Uint8Array) => {
          pieces.push({ text: decoder.decode(c, { stream: true }), at: performance.now() });
        });
        res.on(
          "end",
          () => resolve({ status: res.statusCode ?? 0, pieces, end: performance.now() }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.setTimeout(20_000, () => req.destroy(new Error(`${path}: no answer within 20 s`)));
      req.end();
    });
  }

  async cleanup(): Promise<void> {
    for (const dir of this.dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Expects a fazt JSON error with `status` and `code`; returns it. */
async function expectError(
  res: Response,
  status: number,
  code: string,
  what = "",
): Promise<ErrorBody> {
  const text = await res.text();
  assert.equal(res.status, status, `${what} ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
  const body = JSON.parse(text) as ErrorBody;
  assert.equal(body.error.code, code, `${what} ${text}`);
  return body;
}

/** A unique marker for log lines. */
function marker(what: string): string {
  return `${what}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `fn` over `items`, `size` at a time. */
async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(fn));
  }
}

// ---------------------------------------------------------------------------
// The specification

Deno.test("the serverless runtime over real HTTP", async (t) => {
  const server = await startServer();
  const h = new Harness(server);
  try {
    await t.step("fixture apps deploy with the CLI", async () => {
      const apps: [string, Files][] = [
        ["kit", KIT],
        ["twin", KIT],
        ["mover", KIT],
        ["flip", { "api/main.js": FLIP_V1 }],
        ["plain-site", { "index.html": "<h1>static only</h1>\n" }],
        ["broken-syntax", { "api/main.js": "export default (req => {\n  return 'never';\n" }],
        ["broken-require", {
          "api/main.js": 'const gone = require("./not-there");\nmodule.exports = () => "never";\n',
        }],
        ...EXPORT_FORMS.map((f): [string, Files] => [f.app, { [f.entry]: f.source }]),
      ];
      await inBatches(apps, 3, ([name, files]) => h.deploy(name, files));
    });

    await t.step("every handler export form answers", async () => {
      for (const form of EXPORT_FORMS) {
        const expected = { form: form.form, app: form.app, method: "GET" };
        assert.deepEqual(await h.json(form.app, "/api/hello"), expected, form.what);
      }
    });

    await t.step("a headless app (only api/main.js) answers at /api", async () => {
      assert.deepEqual(await h.json("form-esm", "/api"), {
        form: "esm function",
        app: "form-esm",
        method: "GET",
      });
      const home = await h.fetch("form-esm", "/");
      await home.body?.cancel();
      assert.equal(home.status, 404, "no index.html, so / is not found");
    });

    await t.step("return forms become responses", async () => {
      const cases: {
        what: string;
        path: string;
        status: number;
        type: RegExp | null;
        body: string;
        headers?: Record<string, string>;
      }[] = [
        {
          what: "a Response keeps its status and headers",
          path: "/api/response",
          status: 418,
          type: /^text\/x-teapot$/,
          body: "short and stout",
          headers: { "x-custom": "kept", "set-cookie": "a=1" },
        },
        {
          what: "a string is text/plain",
          path: "/api/string",
          status: 200,
          type: /^text\/plain/,
          body: "just text",
        },
        {
          what: "a plain object is JSON",
          path: "/api/object",
          status: 200,
          type: /^application\/json/,
          body: JSON.stringify({ ok: true, list: [1, "two", null], nested: { deep: true } }),
        },
        {
          what: "nothing is 204",
          path: "/api/nothing",
          status: 204,
          type: null,
          body: "",
        },
      ];
      for (const c of cases) {
        const res = await h.fetch("kit", c.path);
        assert.equal(res.status, c.status, c.what);
        // The kernel adds nosniff to every answer, over the app's own value.
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", c.what);
        if (c.type) assert.match(res.headers.get("content-type") ?? "", c.type, c.what);
        for (const [k, v] of Object.entries(c.headers ?? {})) {
          assert.equal(res.headers.get(k), v, `${c.what}: header ${k}`);
        }
        assert.equal(await res.text(), c.body, c.what);
      }
      const bytes = await h.fetch("kit", "/api/bytes");
      assert.equal(bytes.status, 200);
      assert.equal(bytes.headers.get("content-type"), "application/octet-stream", "bytes");
      assert.equal(bytes.headers.get("x-content-type-options"), "nosniff", "bytes");
      assert.deepEqual(
        new Uint8Array(await bytes.arrayBuffer()),
        new Uint8Array([0, 1, 2, 253, 254, 255]),
      );
      for (const path of ["/api/stream", "/api/missing"]) {
        const res = await h.fetch("kit", path);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        await res.body?.cancel();
      }
    });

    await t.step("a streaming body arrives chunk by chunk, in order", async () => {
      const { status, pieces, end } = await h.stream("kit", "/api/stream");
      assert.equal(status, 200);
      const expected = [0, 1, 2, 3, 4].map((i) => `chunk ${i}\n`).join("");
      assert.equal(pieces.map((p) => p.text).join(""), expected);
      // The handler waits 150 ms between chunks: the first chunk must be
      // delivered on its own, well before the stream ends.
      assert.ok(pieces.length >= 3, `expected separate pieces, got ${pieces.length}`);
      assert.equal(pieces[0].text, "chunk 0\n");
      assert.ok(end - pieces[0].at >= 400, `first chunk only ${end - pieces[0].at} ms before end`);
    });

    await t.step("req.signal aborts when the client goes away mid-request", async () => {
      await h.deploy("waiter", {
        "api/main.js": `export default async (req) => {
  if (new URL(req.url).pathname !== "/api/wait") return (await fazt.kv.get("aborted")) ?? "not yet";
  const before = req.signal instanceof AbortSignal && !req.signal.aborted;
  await new Promise((resolve) => req.signal.addEventListener("abort", resolve, { once: true }));
  await fazt.kv.set("aborted", { before, after: req.signal.aborted });
  return "aborted";
};
`,
      });
      assert.equal(await (await h.fetch("waiter", "/api/check")).text(), "not yet");
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(
        new TextEncoder().encode("GET /api/wait HTTP/1.1\r\nhost: waiter.localhost\r\n\r\n"),
      );
      await new Promise((r) => setTimeout(r, 700));
      conn.close();
      let seen = "";
      for (let i = 0; i < 40 && !seen.startsWith("{"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = await (await h.fetch("waiter", "/api/check")).text();
      }
      assert.deepEqual(JSON.parse(seen), { before: true, after: true });
      assert.doesNotMatch(server.output(), /legacy/, "no warning about Deno's legacy aborts");
    });

    await t.step(
      "every byte an API answer sends counts as the app's egress, streamed too",
      async () => {
        await h.deploy("metered", {
          "api/main.js": `export default (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/api/text") return "h\u00e9llo \u{1f600}";
  const block = new Uint8Array(300 * 1024).fill(46);
  let left = 4;
  return new Response(new ReadableStream({
    async pull(c) {
      await new Promise((r) => setTimeout(r, 5));
      if (left-- > 0) c.enqueue(block);
      else c.close();
    },
  }));
};
`,
        });
        const egress = async () => {
          const res = await server.api("GET", "/apps/metered/egress");
          return (JSON.parse(await res.text()) as { servedBytes: number }).servedBytes;
        };
        // The hourly traffic table (`fazt app info`) counts the same bytes.
        const traffic = async () => {
          const res = await server.api("GET", "/apps/metered");
          return (JSON.parse(await res.text()) as { traffic24h: { bytesOut: number } }).traffic24h
            .bytesOut;
        };
        const before = await egress();
        const trafficBefore = await traffic();
        const text = await h.fetch("metered", "/api/text");
        assert.equal(await text.text(), "h\u00e9llo \u{1f600}");
        assert.equal(await egress() - before, 11);
        const streamed = await h.fetch("metered", "/api/stream");
        assert.equal((await streamed.arrayBuffer()).byteLength, 4 * 300 * 1024);
        assert.equal(await egress() - before, 11 + 4 * 300 * 1024);
        assert.equal(await traffic() - trafficBefore, 11 + 4 * 300 * 1024);
      },
    );

    await t.step("req carries method, path, query, headers and bodies", async () => {
      const cases: { method: string; path: string; body?: string; json: unknown }[] = [
        { method: "GET", path: "/api/echo", json: null },
        { method: "GET", path: "/api/echo/a/b%20c?x=1&y=two&x=3", json: null },
        { method: "DELETE", path: "/api/echo/item/7", json: null },
        {
          method: "POST",
          path: "/api/echo/items?draft=true",
          body: JSON.stringify({ title: "Grüße", tags: ["a", "b"], n: 1.5 }),
          json: { title: "Grüße", tags: ["a", "b"], n: 1.5 },
        },
        { method: "PUT", path: "/api/echo/put", body: "[1,2,3]", json: [1, 2, 3] },
      ];
      for (const c of cases) {
        const res = await h.fetch("kit", c.path, {
          method: c.method,
          headers: {
            "x-test": `hello ${c.method}`,
            ...(c.body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: c.body,
        });
        assert.equal(res.status, 200, `${c.method} ${c.path}`);
        const url = new URL(c.path, "http://x");
        assert.deepEqual(await res.json(), {
          method: c.method,
          path: url.pathname,
          search: url.search,
          query: Object.fromEntries(url.searchParams),
          header: `hello ${c.method}`,
          contentType: c.body === undefined ? null : "application/json",
          json: c.json,
        }, `${c.method} ${c.path}`);
      }

      const binary = new Uint8Array(200_000);
      for (let i = 0; i < binary.length; i += 65536) {
        crypto.getRandomValues(binary.subarray(i, Math.min(binary.length, i + 65536)));
      }
      binary.set(Array.from({ length: 256 }, (_, i) => i), 0);
      const res = await h.fetch("kit", "/api/binary", {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: binary,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), binary, "bytes round-trip");
    });

    await t.step("routing: /api and /api/* run code, other paths stay static", async () => {
      const api = await h.fetch("kit", "/api");
      assert.equal(api.status, 200);
      assert.equal(await api.text(), "api root");

      const home = await h.fetch("kit", "/");
      assert.equal(home.status, 200);
      assert.match(home.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(await home.text(), KIT["index.html"]);

      const css = await h.fetch("kit", "/style.css");
      assert.equal(css.status, 200);
      assert.equal(await css.text(), KIT["style.css"]);

      const notApi = await h.fetch("kit", "/apix");
      await notApi.body?.cancel();
      assert.equal(notApi.status, 404, "/apix is a static path");

      const staticApi = await h.fetch("plain-site", "/api/x");
      const staticMissing = await h.fetch("plain-site", "/no-such-page");
      assert.equal(staticApi.status, 404);
      assert.equal(
        staticApi.headers.get("content-type"),
        staticMissing.headers.get("content-type"),
        "a static app's /api/x is the same kind of 404 as any missing page",
      );
      assert.match(staticApi.headers.get("content-type") ?? "", /^text\/html/);
      await staticApi.body?.cancel();
      await staticMissing.body?.cancel();
    });

    await t.step("require loads the app's files and the stdlib", async () => {
      const body = await h.json("kit", "/api/require") as {
        db: string;
        sameModule: boolean;
        data: unknown;
        lib: unknown;
        chunk: unknown;
        items: unknown;
        uuids: string[];
        zodGood: boolean;
        zodBad: unknown;
      };
      assert.equal(body.db, "the db module", "./db");
      assert.equal(body.sameModule, true, "./db and ./db.js are one cached module");
      assert.deepEqual(body.data, { answer: 42, list: ["a", "b"] }, "./data.json");
      assert.deepEqual(body.lib, {
        from: "lib/index.js",
        parentDb: "the db module",
        sameInstance: true,
        config: { shared: "outside api/, inside the app" },
      }, "./lib/ loads index.js, which reaches ../db and ../../shared/config");
      assert.deepEqual(body.chunk, [[1, 2], [3, 4], [5]], "lodash _.chunk");
      assert.deepEqual(body.items, ["alpha", "beta"], "cheerio load(html)");
      const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      for (const id of body.uuids) assert.match(id, v4, "uuid v4");
      assert.notEqual(body.uuids[0], body.uuids[1]);
      assert.equal(body.zodGood, true, "zod safeParse accepts");
      assert.deepEqual(body.zodBad, { success: false, path: ["age"] }, "zod safeParse refuses");

      const escapes = await h.json("kit", "/api/escape") as string[];
      assert.equal(escapes.length, 5);
      for (const line of escapes) {
        assert.match(
          line,
          /: (?:Cannot find module|node:fs is not available to apps)/,
          "nothing outside the app, the stdlib and the allowed node: modules loads",
        );
      }
    });

    await t.step("a missing module at request time is a 500 and a log line", async () => {
      const res = await h.fetch("kit", "/api/missing");
      const body = await expectError(res, 500, "app_error");
      assert.doesNotMatch(body.error.message, /does-not-exist/, "details stay in the logs");
      const requestId = res.headers.get("x-request-id");
      const lines = await h.logs("kit", "does-not-exist");
      const line = lines.find((l) => l.requestId === requestId);
      assert.ok(line, `no log line for request ${requestId}: ${JSON.stringify(lines)}`);
      assert.match(line.message, /Cannot find module "\.\/does-not-exist"/);
      assert.equal(line.level, "error");
    });

    await t.step("fazt.app and ctx identify the app; console goes to its logs", async () => {
      const id = await h.appId("kit");
      const m = marker("whoami");
      const body = await h.json("kit", `/api/whoami?m=${m}`) as {
        app: unknown;
        ctxApp: unknown;
        ctxFazt: boolean;
        requestId: string;
      };
      assert.deepEqual(body.app, { id, name: "kit" });
      assert.deepEqual(body.ctxApp, { id, name: "kit" });
      assert.equal(body.ctxFazt, true, "ctx.fazt is the global fazt");
      const [entry, ...more] = await h.logs("kit", m);
      assert.equal(more.length, 0);
      assert.deepEqual(
        { message: entry.message, requestId: entry.requestId, source: entry.source },
        { message: `whoami ${m}`, requestId: body.requestId, source: "app" },
      );

      const other = await h.json("kit", `/api/whoami?m=${marker("again")}`) as {
        requestId: string;
      };
      assert.notEqual(other.requestId, body.requestId, "every request has its own ID");

      const lv = marker("levels");
      const res = await h.fetch("kit", `/api/levels?m=${lv}`);
      assert.equal(await res.text(), "logged");
      const entries = await h.logs("kit", lv);
      assert.deepEqual(entries.map((e) => [e.level, e.message]), [
        ["debug", `debug ${lv}`],
        ["info", `log ${lv}`],
        ["info", `info ${lv}`],
        ["warn", `warn ${lv}`],
        ["error", `error ${lv}`],
      ]);
      assert.equal(new Set(entries.map((e) => e.requestId)).size, 1, "one request, one ID");
    });

    await t.step("fazt.kv: get, set, delete, list, increment, ttl", async () => {
      const set = (k: string, v: unknown, o?: unknown) =>
        o === undefined ? h.call("kit", "kv.set", k, v) : h.call("kit", "kv.set", k, v, o);
      await set("short", "soon gone", { ttl: 1 });
      const ttlSetAt = Date.now();
      const steps: [string, unknown[], unknown][] = [
        ["kv.get", ["user:1"], null],
        ["kv.set", ["user:1", { name: "Ada", langs: ["en"] }], null],
        ["kv.set", ["user:2", "Grace"], null],
        ["kv.set", ["other", 1], null],
        ["kv.get", ["user:1"], { name: "Ada", langs: ["en"] }],
        ["kv.get", ["user:2"], "Grace"],
        ["kv.get", ["short"], "soon gone"],
        ["kv.increment", ["counter"], 1],
        ["kv.increment", ["counter", 5], 6],
        ["kv.increment", ["counter", -2], 4],
        ["kv.get", ["counter"], 4],
        ["kv.delete", ["user:2"], true],
        ["kv.delete", ["user:2"], false],
        ["kv.get", ["user:2"], null],
      ];
      for (const [op, args, expected] of steps) {
        assert.deepEqual(await h.call("kit", op, ...args), expected, `${op}(${args})`);
      }
      const listed = await h.call("kit", "kv.list", { prefix: "user:" }) as {
        keys: { key: string }[];
        cursor: string | null;
      };
      assert.deepEqual(listed.keys.map((k) => k.key), ["user:1"]);
      assert.equal(listed.cursor, null);
      const all = await h.call("kit", "kv.list") as { keys: { key: string }[] };
      assert.deepEqual(all.keys.map((k) => k.key), ["counter", "other", "short", "user:1"]);

      await delay(Math.max(0, ttlSetAt + 1300 - Date.now()));
      assert.equal(await h.call("kit", "kv.get", "short"), null, "expired after its ttl");
      const after = await h.call("kit", "kv.list") as { keys: { key: string }[] };
      assert.deepEqual(after.keys.map((k) => k.key), ["counter", "other", "user:1"]);
    });

    await t.step("fazt.docs: insert, find, findOne, update, delete, count", async () => {
      const books = [
        { _id: "b1", title: "Dune", year: 1965, tags: ["sf", "classic"] },
        { _id: "b2", title: "Neuromancer", year: 1984, tags: ["sf", "cyberpunk"] },
        { _id: "b3", title: "Emma", year: 1815, tags: ["classic"] },
        { _id: "b4", title: "Snow Crash", year: 1992, tags: ["sf", "cyberpunk"] },
      ];
      assert.deepEqual(await h.call("kit", "docs.insert", "books", books), [
        "b1",
        "b2",
        "b3",
        "b4",
      ]);
      const generated = await h.call("kit", "docs.insert", "misc", { note: "no id" }) as string[];
      assert.equal(generated.length, 1);
      assert.match(generated[0], /^[0-9a-f-]{36}$/);

      const finds: [string, unknown, unknown, string[]][] = [
        ["$gt, newest first", { year: { $gt: 1900 } }, { sort: { year: -1 } }, ["b4", "b2", "b1"]],
        [
          "$gt with sort, limit and offset",
          { year: { $gt: 1900 } },
          { sort: { year: 1 }, limit: 2, offset: 1 },
          ["b2", "b4"],
        ],
        ["$in on _id, insertion order", { _id: { $in: ["b3", "b1", "zz"] } }, {}, ["b1", "b3"]],
        ["$contains in an array", { tags: { $contains: "cyberpunk" } }, {}, ["b2", "b4"]],
        ["$contains in a string", { title: { $contains: "now" } }, {}, ["b4"]],
        ["everything, title order", {}, { sort: { title: 1 } }, ["b1", "b3", "b2", "b4"]],
      ];
      for (const [what, filter, opts, ids] of finds) {
        const found = await h.call("kit", "docs.find", "books", filter, opts) as { _id: string }[];
        assert.deepEqual(found.map((d) => d._id), ids, what);
      }
      assert.deepEqual(await h.call("kit", "docs.findOne", "books", { title: "Emma" }), books[2]);
      assert.equal(await h.call("kit", "docs.findOne", "books", { title: "Nope" }), null);

      assert.deepEqual(
        await h.call("kit", "docs.update", "books", { _id: "b1" }, {
          $set: { rating: 5, "meta.read": true },
          $unset: { tags: 1 },
          $inc: { year: 1 },
        }),
        { matched: 1, modified: 1 },
      );
      assert.deepEqual(await h.call("kit", "docs.findOne", "books", { _id: "b1" }), {
        _id: "b1",
        title: "Dune",
        year: 1966,
        rating: 5,
        meta: { read: true },
      });

      const counts: [unknown, number][] = [
        [{}, 4],
        [{ tags: { $contains: "sf" } }, 2],
        [{ year: { $lt: 1900 } }, 1],
      ];
      for (const [filter, n] of counts) {
        assert.equal(await h.call("kit", "docs.count", "books", filter), n, JSON.stringify(filter));
      }
      assert.equal(await h.call("kit", "docs.delete", "books", { year: { $lt: 1900 } }), 1);
      assert.equal(await h.call("kit", "docs.count", "books", {}), 3);
      assert.equal(await h.call("kit", "docs.findOne", "books", { _id: "b3" }), null);
    });

    await t.step("fazt.blobs: put, get, list, delete", async () => {
      const bytes = [0, 1, 2, 127, 128, 254, 255];
      assert.equal(
        await h.call("kit", "blobs.put", "img/a.bin", { $bytes: bytes }, { type: "image/x-test" }),
        null,
      );
      assert.equal(
        await h.call("kit", "blobs.put", "notes/hello.txt", "héllo wörld", { type: "text/plain" }),
        null,
      );
      await h.call("kit", "blobs.put", "img/b.bin", { $bytes: [9] });

      const a = await h.call("kit", "blobs.get", "img/a.bin") as Record<string, unknown>;
      assert.deepEqual({ ...a, updatedAt: typeof a.updatedAt }, {
        bytes: { $bytes: bytes },
        type: "image/x-test",
        contentType: "image/x-test",
        size: bytes.length,
        updatedAt: "number",
      });
      const text = await h.call("kit", "blobs.get", "notes/hello.txt") as {
        bytes: { $bytes: number[] };
        type: string;
      };
      assert.equal(dec.decode(new Uint8Array(text.bytes.$bytes)), "héllo wörld");
      assert.equal(text.type, "text/plain");
      const b = await h.call("kit", "blobs.get", "img/b.bin") as { type: string };
      assert.equal(b.type, "application/octet-stream", "default type");

      const list = await h.call("kit", "blobs.list") as { path: string; size: number }[];
      assert.deepEqual(list.map((x) => [x.path, x.size]), [
        ["img/a.bin", 7],
        ["img/b.bin", 1],
        ["notes/hello.txt", enc.encode("héllo wörld").length],
      ]);
      const imgs = await h.call("kit", "blobs.list", { prefix: "img/" }) as { path: string }[];
      assert.deepEqual(imgs.map((x) => x.path), ["img/a.bin", "img/b.bin"]);

      assert.equal(await h.call("kit", "blobs.delete", "img/a.bin"), true);
      assert.equal(await h.call("kit", "blobs.delete", "img/a.bin"), false);
      assert.equal(await h.call("kit", "blobs.get", "img/a.bin"), null);
    });

    await t.step("fazt.blobs.put takes { contentType }, and get and list return it", async () => {
      assert.equal(
        await h.call("kit", "blobs.put", "ct/logo.png", { $bytes: [137, 80] }, {
          contentType: "image/png",
        }),
        null,
      );
      const got = await h.call("kit", "blobs.get", "ct/logo.png") as Record<string, unknown>;
      assert.equal(got.contentType, "image/png");
      assert.equal(got.type, "image/png", "the same type under its other name");
      await h.call("kit", "blobs.put", "ct/same.txt", "x", {
        contentType: "text/plain",
        type: "text/plain",
      });
      const listed = await h.call("kit", "blobs.list", { prefix: "ct/" }) as {
        path: string;
        contentType: string;
        type: string;
      }[];
      assert.deepEqual(listed.map((x) => [x.path, x.contentType, x.type]), [
        ["ct/logo.png", "image/png", "image/png"],
        ["ct/same.txt", "text/plain", "text/plain"],
      ]);
      // Nothing is silently ignored: an unknown option or two different types are refused.
      const typo = await h.callError("kit", "blobs.put", "ct/x", "x", { contentTyp: "text/plain" });
      assert.equal(typo.code, "invalid_input");
      assert.match(
        typo.message,
        /unknown option "contentTyp": blobs\.put takes only \{ contentType \}/,
      );
      const twice = await h.callError("kit", "blobs.put", "ct/x", "x", {
        contentType: "text/plain",
        type: "text/html",
      });
      assert.equal(twice.code, "invalid_input");
      assert.match(twice.message, /two different media types/);
      assert.equal(await h.call("kit", "blobs.get", "ct/x"), null, "nothing was stored");
      assert.equal(await h.call("kit", "blobs.delete", "ct/logo.png"), true);
      assert.equal(await h.call("kit", "blobs.delete", "ct/same.txt"), true);
    });

    await t.step("fazt.sql: exec, query, and ATTACH refused", async () => {
      assert.deepEqual(
        await h.call(
          "kit",
          "sql.exec",
          "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, score REAL)",
        ),
        { changes: 0, lastInsertRowid: 0 },
      );
      assert.deepEqual(
        await h.call("kit", "sql.exec", "INSERT INTO notes (body, score) VALUES (?, ?), (?, ?)", [
          "first",
          1.5,
          "second",
          -2,
        ]),
        { changes: 2, lastInsertRowid: 2 },
      );
      assert.deepEqual(
        await h.call("kit", "sql.query", "SELECT id, body, score FROM notes WHERE score > ?", [0]),
        [{ id: 1, body: "first", score: 1.5 }],
      );
      assert.deepEqual(
        await h.call("kit", "sql.query", "SELECT count(*) AS n FROM notes"),
        [{ n: 2 }],
      );
      const attach = await h.callError(
        "kit",
        "sql.exec",
        "ATTACH DATABASE 'elsewhere.db' AS other",
      );
      assert.equal(attach.code, "forbidden");
      assert.match(attach.message, /ATTACH is not allowed/);
      const bad = await h.callError("kit", "sql.query", "SELECT * FROM no_such_table");
      assert.match(bad.message, /no such table/);
    });

    await t.step("fazt.env.get reads the app's secrets", async () => {
      assert.equal(await h.call("kit", "env.get", "API_KEY"), null, "missing → null");
      const put = await server.api("PUT", "/apps/kit/secrets/API_KEY", { value: "s3cr3t-värde" });
      assert.equal(put.status, 200, await put.text());
      assert.equal(await h.call("kit", "env.get", "API_KEY"), "s3cr3t-värde");
      assert.equal(await h.call("kit", "env.get", "OTHER"), null);
      assert.equal(await h.call("twin", "env.get", "API_KEY"), null, "another app's secret");
    });

    await t.step("apps never see each other's data", async () => {
      // A (kit) writes under names that B (twin) then reads.
      await h.call("kit", "kv.set", "iso:key", "A's value");
      await h.call("kit", "docs.insert", "iso_docs", { _id: "d1", owner: "A" });
      await h.call("kit", "blobs.put", "iso/file.txt", "A's blob");
      await h.call("kit", "sql.exec", "CREATE TABLE iso_t (v TEXT)");
      await h.call("kit", "sql.exec", "INSERT INTO iso_t VALUES (?)", ["A's row"]);

      const reads: [string, unknown[], unknown][] = [
        ["kv.get", ["iso:key"], null],
        ["kv.list", [{ prefix: "iso" }], { keys: [], cursor: null }],
        ["kv.get", ["user:1"], null],
        ["docs.find", ["iso_docs", {}], []],
        ["docs.count", ["books", {}], 0],
        ["blobs.get", ["iso/file.txt"], null],
        ["blobs.list", [], []],
        ["sql.query", ["SELECT name FROM sqlite_master"], []],
      ];
      for (const [op, args, expected] of reads) {
        assert.deepEqual(await h.call("twin", op, ...args), expected, `B: ${op}(${args})`);
      }
      const noTable = await h.callError("twin", "sql.query", "SELECT * FROM iso_t");
      assert.match(noTable.message, /no such table/);

      // B writing the same names leaves A's data alone.
      await h.call("twin", "kv.set", "iso:key", "B's value");
      await h.call("twin", "docs.insert", "iso_docs", { _id: "d1", owner: "B" });
      await h.call("twin", "blobs.put", "iso/file.txt", "B's blob");
      assert.equal(await h.call("kit", "kv.get", "iso:key"), "A's value");
      assert.equal(await h.call("twin", "kv.get", "iso:key"), "B's value");
      assert.deepEqual(await h.call("kit", "docs.find", "iso_docs", {}), [{
        _id: "d1",
        owner: "A",
      }]);
      const blob = await h.call("kit", "blobs.get", "iso/file.txt") as {
        bytes: { $bytes: number[] };
      };
      assert.equal(dec.decode(new Uint8Array(blob.bytes.$bytes)), "A's blob");
      assert.deepEqual(await h.call("kit", "sql.query", "SELECT v FROM iso_t"), [{
        v: "A's row",
      }]);
    });

    await t.step("a handler that throws is a 500 app_error; the stack goes to logs", async () => {
      const m = marker("throw");
      const res = await h.fetch("kit", `/api/throw?m=${m}`);
      const body = await expectError(res, 500, "app_error");
      assert.doesNotMatch(body.error.message, new RegExp(m), "the message stays in the logs");
      const requestId = res.headers.get("x-request-id");
      assert.ok(requestId);
      const lines = await h.logs("kit", m);
      const line = lines.find((l) => l.requestId === requestId);
      assert.ok(line, JSON.stringify(lines));
      assert.equal(line.level, "error");
      assert.match(line.message, new RegExp(`Error: kaboom ${m}`));
      assert.match(line.message, /at explodeOnPurpose/, "with the stack");

      const again = await h.fetch("kit", "/api/string");
      assert.equal(await again.text(), "just text", "the app keeps serving");
    });

    await t.step("code that fails to load is a 500 about loading", async () => {
      const cases: [string, RegExp][] = [
        ["broken-syntax", /SyntaxError/],
        ["broken-require", /Cannot find module "\.\/not-there"/],
      ];
      for (const [app, detail] of cases) {
        const res = await h.fetch(app, "/api/anything");
        const body = await expectError(res, 500, "app_error");
        assert.match(body.error.message, /failed to load/, app);
        assert.match(body.error.message, detail, app);
        const requestId = res.headers.get("x-request-id");
        const lines = await h.logs(app, "failed to load");
        const line = lines.find((l) => l.requestId === requestId);
        assert.ok(line, `${app}: the load error is in the app's logs: ${JSON.stringify(lines)}`);
        assert.equal(line.level, "error");
        assert.match(line.message, detail);
      }
    });

    await t.step("a request body over 10 MiB is 413", async () => {
      const big = new Uint8Array(10 * MiB + 1);
      const cases: [string, Record<string, string>][] = [
        ["declared with content-length", { "content-length": String(big.length) }],
        ["streamed (chunked)", {}],
      ];
      for (const [what, headers] of cases) {
        const res = await h.fetch("kit", "/api/binary", {
          method: "POST",
          headers: { "content-type": "application/octet-stream", ...headers },
          body: big,
        });
        await expectError(res, 413, "payload_too_large", what);
      }
      const exact = new Uint8Array(10 * MiB);
      exact[exact.length - 1] = 7;
      const ok = await h.fetch("kit", "/api/binary", { method: "POST", body: exact });
      assert.equal(ok.status, 200, "exactly the limit is accepted");
      const back = new Uint8Array(await ok.arrayBuffer());
      assert.equal(back.length, exact.length);
      assert.equal(back[back.length - 1], 7);
    });

    await t.step("a redeploy switches code atomically", async () => {
      // Instead of a fixed sleep (which a slow CLI deploy could outlast), v1's
      // /api/slow waits until kv "release" is set, which only v2 does: the
      // slow request is provably in flight across the whole deploy.
      assert.equal(await (await h.fetch("flip", "/api/which")).text(), "v1");
      let settled = false;
      const slow = h.fetch("flip", "/api/slow").then(async (res) => {
        settled = true;
        return [res.status, await res.text()] as const;
      });
      for (let i = 0; i < 100; i++) {
        const started = await h.json("flip", "/api/started");
        if (started === true) break;
        await delay(50);
      }
      assert.equal(await h.json("flip", "/api/started"), true, "the slow request is running");

      await h.deploy("flip", { "api/main.js": FLIP_V2 });
      assert.equal(settled, false, "the v1 request is still in flight");
      assert.equal(await (await h.fetch("flip", "/api/which")).text(), "v2", "new requests: v2");
      assert.equal(await (await h.fetch("flip", "/api/release")).text(), "v2");
      assert.deepEqual(await slow, [200, "v1"], "the in-flight request finishes on v1");
      assert.equal(await (await h.fetch("flip", "/api/which")).text(), "v2");
    });

    await t.step("a renamed app keeps its data and learns its new name", async () => {
      const id = await h.appId("mover");
      await h.call("mover", "kv.set", "kept", { since: "before the rename" });
      const res = await h.fazt(["app", "rename", "mover", "moved"]);
      assert.equal(res.code, 0, res.stderr);

      const gone = await h.fetch("mover", "/api/string");
      await gone.body?.cancel();
      assert.equal(gone.status, 404, "the old host serves nothing");
      assert.deepEqual(await h.call("moved", "kv.get", "kept"), { since: "before the rename" });
      const who = await h.json("moved", `/api/whoami?m=${marker("moved")}`) as { app: unknown };
      assert.deepEqual(who.app, { id, name: "moved" });
    });
  } finally {
    await server.stop();
    await h.cleanup();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
});
