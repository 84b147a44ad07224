/**
 * End-to-end specification of moving an app between servers: `fazt app
 * export` on server A and `fazt app import` (or the REST operations) on
 * server B, each with its own data folder, give the same files byte for
 * byte, the same manifest and, with `--with-data`, the same kv, document,
 * blob and SQL rows; without it no data; a new ID unless `keepId`; never a
 * secret in the archive. Hostile archives are refused with a 4xx in fazt's
 * error shape and change nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { unzipSync, zipSync } from "fflate";
import { faztCommand, startServer, type TestServer } from "../_helpers/server.ts";
import { craftZip } from "../_helpers/zip_craft.ts";
import { openDatabase } from "../../kernel/store/database.ts";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { APPDATA_MIGRATIONS } from "../../kernel/services/appdata/store_schema.ts";

const enc = new TextEncoder();
const MiB = 1024 * 1024;
const SECRET = "s3cr3t-value-that-must-never-leave-9f2c";

/** Incompressible bytes (getRandomValues fills at most 64 KiB per call). */
function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const API_MAIN = `
export default async (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/api/seed") {
    await fazt.kv.set("greeting", { text: "hello", n: 1 });
    await fazt.kv.set("count", 42);
    await fazt.docs.insert("posts", [{ title: "first" }, { title: "second", tags: ["a"] }]);
    await fazt.blobs.put("img/pixel.bin", new Uint8Array([0, 1, 2, 255]));
    await fazt.sql.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, raw BLOB)");
    await fazt.sql.exec("INSERT INTO notes (body, raw) VALUES (?, ?), (?, ?)", ["one", "x", "two", "y"]);
    return Response.json({ ok: true });
  }
  return new Response("api");
};
`;

/** The site deployed on server A. */
function siteFiles(): Record<string, Uint8Array> {
  return {
    "index.html": enc.encode("<h1>blog</h1>"),
    "app.json": enc.encode(JSON.stringify({ name: "blog", title: "My Blog", spa: true })),
    "api/main.js": enc.encode(API_MAIN),
    "css/site.css": enc.encode("body { color: red; }\n".repeat(200)),
    "img/photo.bin": randomBytes(300 * 1024),
    "empty.txt": new Uint8Array(),
    "café/menü.txt": enc.encode("unicode names survive"),
  };
}

/** Runs the real CLI and returns its raw standard output. */
async function cliBytes(
  args: string[],
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const out = await faztCommand(args).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/** Runs the real CLI and returns its text output. */
async function cliText(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await cliBytes(args);
  return { code: r.code, stdout: new TextDecoder().decode(r.stdout), stderr: r.stderr };
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

interface AppInfo {
  id: string;
  name: string;
  title: string | null;
  version: number | null;
  versions: { number: number; live: boolean }[];
}

interface FileInfo {
  path: string;
  size: number;
  hash: string;
}

interface ImportReply {
  app: { id: string; name: string; version: number };
  version: { number: number; files: number; live: boolean };
  sourceId: string;
  withData: boolean;
}

/** Every file of an app's live version with its bytes, fetched over REST. */
async function filesOf(server: TestServer, app: string): Promise<Map<string, string>> {
  const list = await json<FileInfo[]>(await server.api("GET", `/apps/${app}/files`));
  const out = new Map<string, string>();
  for (const f of list) {
    const res = await server.api(
      "GET",
      `/apps/${app}/file?path=${encodeURIComponent(f.path)}`,
    );
    const body = await json<{ encoding: string; content: string }>(res);
    const bytes = body.encoding === "base64"
      ? Uint8Array.fromBase64(body.content)
      : enc.encode(body.content);
    assert.equal(sha256(bytes), f.hash, `${f.path} matches its listed hash`);
    out.set(f.path, f.hash);
  }
  return out;
}

/** The rows of an app's `store.db`, read straight from its data folder. */
function storeRows(dataDir: string, appId: string): Record<string, unknown[]> | null {
  const path = join(dataDir, "apps", appId, "store.db");
  try {
    Deno.statSync(path);
  } catch {
    return null;
  }
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return {
      kv: db.prepare("SELECT key, value, expires_at FROM kv ORDER BY key").all(),
      docs: db.prepare("SELECT collection, id, body FROM docs ORDER BY seq").all(),
      blobs: db.prepare("SELECT path, type, size, hex(data) AS data FROM blobs ORDER BY path")
        .all(),
    };
  } finally {
    db.close();
  }
}

/** The SQL rows of an app through `data.sql_query` (null when the table does not exist). */
async function sqlRows(server: TestServer, app: string): Promise<unknown[] | null> {
  const res = await server.api("POST", `/apps/${app}/data/sql`, {
    sql: "SELECT id, body, raw FROM notes ORDER BY id",
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    return null;
  }
  return await res.json();
}

/** Every entry of a zip, inflated. */
function entries(zip: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(zip);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function importRest(
  server: TestServer,
  archive: Uint8Array,
  query = "",
): Promise<Response> {
  return await fetch(`${server.url}/_fazt/api/apps/import${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: archive as Uint8Array<ArrayBuffer>,
  });
}

Deno.test("an app moves from server A to server B with its files and, when asked, its data", async (t) => {
  const a = await startServer();
  const b = await startServer();
  const work = await Deno.makeTempDir({ prefix: "fazt-transfer-" });
  try {
    const site = siteFiles();
    const deployed = await fetch(`${a.url}/_fazt/api/deploy?app=blog`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.token}`, "content-type": "application/zip" },
      body: zipSync(site) as Uint8Array<ArrayBuffer>,
    });
    await json(deployed);
    const seeded = await a.fetch("blog.localhost", "/api/seed");
    assert.equal(seeded.status, 200, await seeded.text());
    await json(await a.api("PUT", "/apps/blog/secrets/API_KEY", { value: SECRET }));
    const source = await json<AppInfo>(await a.api("GET", "/apps/blog"));
    const sourceFiles = await filesOf(a, "blog");
    const sourceRows = storeRows(a.dataDir, source.id);
    const sourceSql = await sqlRows(a, "blog");
    assert.ok(sourceRows && sourceRows.kv.length === 2 && sourceRows.blobs.length === 1);
    assert.equal(sourceSql?.length, 2);

    const withData = join(work, "blog.fazt");
    let withDataBytes: Uint8Array;
    let plainBytes: Uint8Array;

    await t.step(
      "fazt app export writes the archive to -o FILE or to standard output",
      async () => {
        const toFile = await cliText([
          "app",
          "export",
          "blog",
          "--with-data",
          "-o",
          withData,
          "--data",
          a.dataDir,
        ]);
        assert.equal(toFile.code, 0, toFile.stderr);
        assert.equal(toFile.stdout, "");
        withDataBytes = await Deno.readFile(withData);
        const toStdout = await cliBytes(["app", "export", "blog", "--data", a.dataDir]);
        assert.equal(toStdout.code, 0, toStdout.stderr);
        plainBytes = toStdout.stdout;
        const files = entries(plainBytes);
        const manifest = JSON.parse(new TextDecoder().decode(files["fazt-app.json"]));
        assert.equal(manifest.format, "fazt-app");
        assert.equal(manifest.formatVersion, 1);
        assert.equal(manifest.withData, false);
        assert.deepEqual(manifest.app, { id: source.id, name: "blog", title: "My Blog" });
        assert.deepEqual(manifest.manifest, { name: "blog", title: "My Blog", spa: true });
        assert.deepEqual(manifest.data, []);
        assert.deepEqual(
          Object.keys(files).sort(),
          ["fazt-app.json", ...Object.keys(site).map((p) => `files/${p}`)].sort(),
        );
        for (const [path, bytes] of Object.entries(site)) {
          assert.deepEqual(files[`files/${path}`], bytes, path);
          assert.equal(
            manifest.files.find((f: { path: string }) => f.path === path).sha256,
            sha256(bytes),
          );
        }
        const full = entries(withDataBytes);
        assert.ok(full["data/store.db"] && full["data/sql.db"], "with data: both snapshots");
      },
    );

    await t.step("a secret is in no byte of the archive, raw or inflated", () => {
      const needle = enc.encode(SECRET);
      for (const archive of [withDataBytes, plainBytes]) {
        assert.ok(!contains(archive, needle));
        for (const [name, bytes] of Object.entries(entries(archive))) {
          assert.ok(!contains(bytes, needle), `the secret is not in ${name}`);
          assert.ok(!contains(bytes, enc.encode("API_KEY")), `the secret's name is not in ${name}`);
        }
      }
    });

    let imported: ImportReply;
    await t.step(
      "fazt app import on B gives the same app with a new ID and the same data",
      async () => {
        const r = await cliText(["app", "import", withData, "--json", "--data", b.dataDir]);
        assert.equal(r.code, 0, r.stderr);
        imported = JSON.parse(r.stdout) as ImportReply;
        assert.notEqual(imported.app.id, source.id);
        assert.equal(imported.app.name, "blog");
        assert.equal(imported.sourceId, source.id);
        assert.equal(imported.withData, true);
        assert.equal(imported.version.number, 1);
        assert.equal(imported.version.live, true);
        const info = await json<AppInfo>(await b.api("GET", "/apps/blog"));
        assert.equal(info.title, "My Blog");
        assert.deepEqual(await filesOf(b, "blog"), sourceFiles);
        const page = await b.fetch("blog.localhost", "/");
        assert.equal(await page.text(), "<h1>blog</h1>");
        assert.deepEqual(storeRows(b.dataDir, imported.app.id), sourceRows);
        assert.deepEqual(await sqlRows(b, "blog"), sourceSql);
        const api = await b.fetch("blog.localhost", "/api/hello");
        assert.equal(await api.text(), "api");
        const secrets = await json<unknown[]>(await b.api("GET", "/apps/blog/secrets"));
        assert.deepEqual(secrets, []);
      },
    );

    await t.step("importing the same name again is a conflict that changes nothing", async () => {
      const before = await json<unknown[]>(await b.api("GET", "/apps"));
      const res = await importRest(b, withDataBytes);
      const body = await json<{ error: { code: string; message: string } }>(res, 409);
      assert.equal(body.error.code, "conflict");
      assert.match(body.error.message, /"blog" is already taken/);
      assert.deepEqual(await json<unknown[]>(await b.api("GET", "/apps")), before);
    });

    await t.step("without data: the files only, no kv, documents, blobs or SQL", async () => {
      const reply = await json<ImportReply>(await importRest(b, plainBytes, "?name=nodata"), 201);
      assert.equal(reply.withData, false);
      assert.deepEqual(await filesOf(b, "nodata"), sourceFiles);
      assert.equal(storeRows(b.dataDir, reply.app.id), null);
      assert.equal(await sqlRows(b, "nodata"), null);
      const kv = await json<{ keys: unknown[] }>(await b.api("GET", "/apps/nodata/data/kv"));
      assert.deepEqual(kv.keys, []);
    });

    await t.step("keepId keeps the exported ID, once", async () => {
      const reply = await json<ImportReply>(
        await importRest(b, withDataBytes, "?name=kept&keepId=true"),
        201,
      );
      assert.equal(reply.app.id, source.id);
      assert.deepEqual(storeRows(b.dataDir, source.id), sourceRows);
      const again = await cliText([
        "app",
        "import",
        withData,
        "--name",
        "kept2",
        "--keep-id",
        "--data",
        b.dataDir,
      ]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists here/);
      const names = (await json<{ name: string }[]>(await b.api("GET", "/apps"))).map((x) =>
        x.name
      );
      assert.deepEqual(names.sort(), ["blog", "kept", "nodata"]);
    });

    await t.step(
      "MCP: apps_export returns the archive as base64, apps_import takes it back",
      async () => {
        const client = new Client({ name: "fazt-e2e", version: "1.0.0" });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${b.url}/_fazt/mcp`), {
            requestInit: { headers: { authorization: `Bearer ${b.token}` } },
          }),
        );
        try {
          const exported = await client.callTool({
            name: "apps_export",
            arguments: { app: "blog", withData: true },
          }) as CallToolResult;
          assert.ok(!exported.isError, JSON.stringify(exported.content));
          const out = exported.structuredContent as {
            filename: string;
            size: number;
            content_base64: string;
          };
          assert.equal(out.filename, "blog.fazt");
          const zip = Uint8Array.fromBase64(out.content_base64);
          assert.equal(zip.length, out.size);
          assert.ok(entries(zip)["data/store.db"]);
          const imported = await client.callTool({
            name: "apps_import",
            arguments: { archive_base64: out.content_base64, name: "viamcp" },
          }) as CallToolResult;
          assert.ok(!imported.isError, JSON.stringify(imported.content));
          const reply = imported.structuredContent as unknown as ImportReply;
          assert.equal(reply.app.name, "viamcp");
          assert.equal(reply.withData, true);
          assert.deepEqual(await filesOf(b, "viamcp"), sourceFiles);
          assert.deepEqual(storeRows(b.dataDir, reply.app.id), sourceRows);
          await json(await b.api("DELETE", "/apps/viamcp"));
        } finally {
          await client.close();
        }
      },
    );

    await t.step(
      "an export over REST is a zip attachment; data needs data:read; an app-limited token reaches only its app",
      async () => {
        const res = await a.api("GET", "/apps/blog/export?withData=true");
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "application/zip");
        assert.match(
          res.headers.get("content-disposition") ?? "",
          /attachment; filename="blog.fazt"/,
        );
        const zip = new Uint8Array(await res.arrayBuffer());
        assert.ok(entries(zip)["data/store.db"]);
        await json(await a.api("POST", "/apps", { name: "other" }), 201);
        const token = await json<{ token: string }>(
          await a.api("POST", "/tokens", {
            name: "blog-only",
            scopes: ["apps:read", "apps:write"],
            apps: ["blog"],
          }),
          201,
        );
        const as = (path: string, init: RequestInit = {}) =>
          fetch(`${a.url}/_fazt/api${path}`, {
            ...init,
            headers: { authorization: `Bearer ${token.token}`, ...init.headers },
          });
        const readOnly = await json<{ token: string }>(
          await a.api("POST", "/tokens", { name: "files-only", scopes: ["apps:read"] }),
          201,
        );
        const noData = await fetch(`${a.url}/_fazt/api/apps/blog/export?withData=true`, {
          headers: { authorization: `Bearer ${readOnly.token}` },
        });
        const refused = await json<{ error: { code: string; message: string } }>(noData, 403);
        assert.match(refused.error.message, /data:read/);
        const filesOnly = await fetch(`${a.url}/_fazt/api/apps/blog/export`, {
          headers: { authorization: `Bearer ${readOnly.token}` },
        });
        assert.equal(filesOnly.status, 200);
        await filesOnly.body?.cancel();
        const own = await as("/apps/blog/export");
        assert.equal(own.status, 200);
        await own.body?.cancel();
        const foreign = await as("/apps/other/export");
        assert.equal(foreign.status, 403);
        await foreign.body?.cancel();
        const imp = await as("/apps/import?name=sneaky", {
          method: "POST",
          headers: { "content-type": "application/zip" },
          body: plainBytes as Uint8Array<ArrayBuffer>,
        });
        assert.equal(imp.status, 403);
        await imp.body?.cancel();
      },
    );
  } finally {
    await a.stop();
    await b.stop();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(a.dataDir, { recursive: true });
    await Deno.remove(b.dataDir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// Hostile archives

/** What a refused import must leave unchanged. */
function fingerprint(dataDir: string): unknown {
  const db = new DatabaseSync(join(dataDir, "kernel.db"), { readOnly: true });
  try {
    const count = (table: string): number =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    let appDirs: string[] = [];
    try {
      appDirs = [...Deno.readDirSync(join(dataDir, "apps"))].map((e) => e.name).sort();
    } catch { /* none yet */ }
    return {
      apps: count("apps"),
      versions: count("versions"),
      versionFiles: count("version_files"),
      blobs: count("blobs"),
      appDirs,
      tmp: [...Deno.readDirSync(join(dataDir, "tmp"))].map((e) => e.name),
    };
  } finally {
    db.close();
  }
}

interface ArchiveParts {
  files?: Record<string, Uint8Array>;
  data?: Record<string, Uint8Array>;
  /** Changes to `fazt-app.json` after it is computed. */
  patch?: (m: Record<string, unknown>) => void;
  /** Extra raw zip entries (not listed). */
  extra?: Record<string, Uint8Array>;
}

/** A `.fazt` archive built by hand (hashes computed unless patched). */
function faztArchive(parts: ArchiveParts = {}): Uint8Array {
  const files = parts.files ?? { "index.html": enc.encode("<h1>x</h1>") };
  const data = parts.data ?? {};
  const manifest: Record<string, unknown> = {
    format: "fazt-app",
    formatVersion: 1,
    faztVersion: "0.1.0",
    exportedAt: new Date().toISOString(),
    withData: Object.keys(data).length > 0,
    app: { id: "app_aaaaaaaaaaaaaaaa", name: "hostile", title: null },
    manifest: {},
    files: Object.entries(files).map(([path, b]) => ({ path, size: b.length, sha256: sha256(b) })),
    data: Object.entries(data).map(([path, b]) => ({ path, size: b.length, sha256: sha256(b) })),
  };
  parts.patch?.(manifest);
  return zipSync({
    "fazt-app.json": enc.encode(JSON.stringify(manifest)),
    ...Object.fromEntries(Object.entries(files).map(([p, b]) => [`files/${p}`, b])),
    ...data,
    ...parts.extra,
  });
}

/** A real `store.db` made by fazt's own schema, plus `extra` SQL. */
async function storeDb(extra = ""): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    const db = openDatabase({ path: join(dir, "store.db"), migrations: APPDATA_MIGRATIONS });
    if (extra) await db.write((w) => w.exec(extra));
    await db.close();
    const copy = new DatabaseSync(join(dir, "store.db"));
    copy.exec("PRAGMA journal_mode = DELETE");
    copy.close();
    return await Deno.readFile(join(dir, "store.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface HostileCase {
  name: string;
  body: () => Uint8Array | Promise<Uint8Array>;
  query?: string;
  status: number;
  code: string;
  reason?: string;
  limited?: boolean;
}

const HOSTILE: HostileCase[] = [
  {
    name: "not a zip",
    body: () => enc.encode("this is not a zip file at all"),
    status: 400,
    code: "invalid_archive",
  },
  {
    name: "a deploy zip without fazt-app.json",
    body: () => zipSync({ "index.html": enc.encode("<h1>x</h1>") }),
    status: 400,
    code: "invalid_archive",
    reason: "not_fazt_archive",
  },
  {
    name: "a newer format version",
    body: () => faztArchive({ patch: (m) => m.formatVersion = 2 }),
    status: 400,
    code: "invalid_archive",
    reason: "format_version",
  },
  {
    name: "fazt-app.json that is not JSON",
    body: () => zipSync({ "fazt-app.json": enc.encode("{nope") }),
    status: 400,
    code: "invalid_archive",
    reason: "bad_manifest",
  },
  {
    name: "an app ID that is not one",
    body: () => faztArchive({ patch: (m) => (m.app as { id: string }).id = "../../etc" }),
    status: 400,
    code: "invalid_archive",
    reason: "bad_manifest",
  },
  {
    name: "a file whose bytes do not match its SHA-256",
    body: () =>
      faztArchive({
        patch: (m) => (m.files as { sha256: string }[])[0].sha256 = "0".repeat(64),
      }),
    status: 400,
    code: "invalid_archive",
    reason: "hash_mismatch",
  },
  {
    name: "a listed size that differs from the entry",
    body: () => faztArchive({ patch: (m) => (m.files as { size: number }[])[0].size = 3 }),
    status: 400,
    code: "invalid_archive",
    reason: "size_mismatch",
  },
  {
    name: "an entry fazt-app.json does not list",
    body: () => faztArchive({ extra: { "files/extra.js": enc.encode("x") } }),
    status: 400,
    code: "invalid_archive",
    reason: "unexpected_entry",
  },
  {
    name: "a listed file that is missing",
    body: () =>
      faztArchive({
        patch: (m) =>
          (m.files as unknown[]).push({
            path: "gone.txt",
            size: 1,
            sha256: sha256(enc.encode("x")),
          }),
      }),
    status: 400,
    code: "invalid_archive",
    reason: "missing_entry",
  },
  {
    name: "a traversal path",
    body: () =>
      craftZip([
        { name: "fazt-app.json", data: "{}" },
        { name: "files/../../../etc/cron.d/x", data: "x" },
      ]),
    status: 400,
    code: "invalid_archive",
    reason: "path_traversal",
  },
  {
    name: "a zip bomb (4 MiB of zeros)",
    body: () => faztArchive({ files: { "zeros.bin": new Uint8Array(4 * MiB) } }),
    status: 400,
    code: "invalid_archive",
    reason: "compression_ratio",
  },
  {
    name: "a lying entry (declares 1000 bytes, inflates to 8 MiB)",
    body: () =>
      craftZip([
        { name: "fazt-app.json", data: new Uint8Array(8 * MiB), size: 1000 },
      ]),
    status: 400,
    code: "invalid_archive",
    reason: "size_mismatch",
  },
  {
    name: "a data snapshot that is not a database",
    body: () => faztArchive({ data: { "data/store.db": randomBytes(8192) } }),
    status: 400,
    code: "invalid_archive",
    reason: "corrupt_database",
  },
  {
    name: "a store.db without fazt's tables",
    body: async () => {
      const dir = await Deno.makeTempDir();
      const db = new DatabaseSync(join(dir, "x.db"));
      db.exec("CREATE TABLE other (x)");
      db.close();
      const bytes = await Deno.readFile(join(dir, "x.db"));
      await Deno.remove(dir, { recursive: true });
      return faztArchive({ data: { "data/store.db": bytes } });
    },
    status: 400,
    code: "invalid_archive",
    reason: "corrupt_database",
  },
  {
    name: "a damaged store.db page (integrity check fails)",
    body: async () => {
      const bytes = await storeDb(
        "INSERT INTO kv (key, value, updated_at) VALUES " +
          Array.from({ length: 400 }, (_, i) => `('k${i}', '"${"v".repeat(100)}"', 0)`).join(","),
      );
      assert.ok(bytes.length >= 4 * 4096);
      bytes.fill(0x41, 2 * 4096, 3 * 4096);
      return faztArchive({ data: { "data/store.db": bytes } });
    },
    status: 400,
    code: "invalid_archive",
    reason: "corrupt_database",
  },
  {
    name: "data listed while withData is false",
    body: async () =>
      faztArchive({ data: { "data/store.db": await storeDb() }, patch: (m) => m.withData = false }),
    status: 400,
    code: "invalid_archive",
    reason: "bad_manifest",
  },
  {
    name: "a reserved name",
    body: () => faztArchive(),
    query: "?name=admin",
    status: 400,
    code: "reserved_name",
  },
  {
    name: "larger than --max-upload",
    body: () => faztArchive({ files: { "big.bin": randomBytes(2 * MiB) } }),
    status: 413,
    code: "payload_too_large",
    limited: true,
  },
];

Deno.test("hostile archives are refused with a 4xx error and change nothing", async (t) => {
  const main = await startServer();
  const limited = await startServer({ args: ["--max-upload", "1"] });
  try {
    const good = await json<ImportReply>(
      await importRest(main, faztArchive({ data: { "data/store.db": await storeDb() } })),
      201,
    );
    assert.equal(good.app.name, "hostile");
    for (const c of HOSTILE) {
      await t.step(c.name, async () => {
        const server = c.limited ? limited : main;
        const before = fingerprint(server.dataDir);
        const res = await importRest(server, await c.body(), c.query ?? "?name=fresh");
        const text = await res.text();
        assert.equal(res.status, c.status, text);
        const { error } = JSON.parse(text);
        assert.equal(error.code, c.code, text);
        assert.equal(typeof error.message, "string");
        if (c.reason) assert.equal(error.details.reason, c.reason, text);
        assert.deepEqual(fingerprint(server.dataDir), before);
      });
    }
  } finally {
    await main.stop();
    await limited.stop();
    await Deno.remove(main.dataDir, { recursive: true });
    await Deno.remove(limited.dataDir, { recursive: true });
  }
});
