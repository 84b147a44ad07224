/**
 * End-to-end specification: every bad upload sent to `POST /_fazt/api/deploy`
 * over real HTTP is refused with a 4xx status, the standard error body
 * `{"error":{"code","message","details"}}` and a useful message, and leaves
 * the store exactly as it was: the same row counts in every VFS table, the
 * same live version of the already deployed app `good` (which keeps
 * serving), and no upload left behind in `<data>/tmp`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { zipSync } from "fflate";
import { startServer, type TestServer } from "../_helpers/server.ts";
import { type CraftEntry, craftZip } from "../_helpers/zip_craft.ts";

const enc = new TextEncoder();
const MiB = 1024 * 1024;
const GOOD_HTML = "<h1>good v1</h1>";

// ---------------------------------------------------------------------------
// Store fingerprint

/** What must not change when an upload is refused. */
interface StoreFingerprint {
  apps: number;
  versions: number;
  versionFiles: number;
  blobs: number;
  blobChunks: number;
  blobVariants: number;
  goodLiveVersionId: number | null;
  tmpFiles: string[];
}

/** Reads the fingerprint of a server's data folder (database opened read-only). */
function fingerprint(dataDir: string): StoreFingerprint {
  const db = new DatabaseSync(join(dataDir, "kernel.db"), { readOnly: true });
  try {
    const count = (table: string): number =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const good = db.prepare("SELECT live_version_id AS id FROM apps WHERE name = 'good'").get() as
      | { id: number | null }
      | undefined;
    return {
      apps: count("apps"),
      versions: count("versions"),
      versionFiles: count("version_files"),
      blobs: count("blobs"),
      blobChunks: count("blob_chunks"),
      blobVariants: count("blob_variants"),
      goodLiveVersionId: good?.id ?? null,
      tmpFiles: [...Deno.readDirSync(join(dataDir, "tmp"))].map((e) => e.name),
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// Archives

/** A plain, valid zip built with fflate. */
function zipOf(files: Record<string, string | Uint8Array>): Uint8Array {
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? enc.encode(v) : v]),
    ),
  );
}

/** A crafted archive: a harmless index.html plus the given entries. */
function withIndex(...entries: CraftEntry[]): Uint8Array {
  return craftZip([{ name: "index.html", data: "<h1>evil</h1>" }, ...entries]);
}

/** Incompressible bytes (crypto.getRandomValues fills at most 64 KiB per call). */
function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(size, at + 65536)));
  }
  return out;
}

// ---------------------------------------------------------------------------
// The corpus

/** One bad upload and how it must be refused. */
interface BadUpload {
  /** What is wrong with it. */
  name: string;
  /** The request body (built lazily: some are large). */
  body: () => Uint8Array;
  /** `?app=` (default "good", so an accepted upload would replace its live version). */
  app?: string;
  /** Content-Type (default application/zip). */
  contentType?: string;
  /** Credentials (default the owner token). */
  token?: "owner" | "wrong" | "none";
  /** Stream the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
  /** Send to the server started with `--max-upload 1`. */
  limited?: boolean;
  /** Expected HTTP status. */
  status: number;
  /** Expected `error.code`. */
  code: string;
  /** Expected members of `error.details` (e.g. the reader's `reason` and `entry`). */
  details?: Record<string, unknown>;
  /** The message must match this (it names the problem). */
  message: RegExp;
}

const CASES: BadUpload[] = [
  {
    name: "path traversal ../x",
    body: () => withIndex({ name: "../x", data: "x" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "path_traversal", entry: "../x" },
    message: /"\.\.\/x" points outside the app folder/,
  },
  {
    name: "path traversal a/../../x",
    body: () => withIndex({ name: "a/../../x", data: "x" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "path_traversal", entry: "a/../../x" },
    message: /outside the app folder/,
  },
  {
    name: "absolute path /etc/passwd",
    body: () => withIndex({ name: "/etc/passwd", data: "root:x:0:0" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "absolute_path", entry: "/etc/passwd" },
    message: /"\/etc\/passwd" has an absolute path/,
  },
  {
    name: "Windows drive path C:\\Windows\\evil.dll",
    body: () => withIndex({ name: "C:\\Windows\\evil.dll", data: "MZ" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "absolute_path", entry: "C:\\Windows\\evil.dll" },
    message: /absolute path/,
  },
  {
    name: "backslash traversal ..\\..\\evil.txt",
    body: () => withIndex({ name: "..\\..\\evil.txt", data: "x" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "path_traversal", entry: "..\\..\\evil.txt" },
    message: /outside the app folder/,
  },
  {
    name: "backslash traversal inside a folder a\\..\\..\\x",
    body: () => withIndex({ name: "a\\..\\..\\x", data: "x" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "path_traversal", entry: "a\\..\\..\\x" },
    message: /outside the app folder/,
  },
  {
    name: "symbolic link entry",
    body: () => withIndex({ name: "passwd", data: "/etc/passwd", symlink: true }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "symlink", entry: "passwd" },
    message: /"passwd" is a symbolic link/,
  },
  {
    name: "encrypted entry",
    body: () => withIndex({ name: "secret.txt", data: "x", encrypted: true }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "encrypted", entry: "secret.txt" },
    message: /"secret\.txt" is encrypted/,
  },
  {
    name: "unknown compression method 99",
    body: () => withIndex({ name: "packed.bin", data: "abc", method: 99 }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "unsupported_method", entry: "packed.bin" },
    message: /compression method 99/,
  },
  {
    name: "duplicate paths",
    body: () => withIndex({ name: "index.html", data: "<h1>second</h1>" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "duplicate_path", entry: "index.html" },
    message: /"index\.html" more than once/,
  },
  {
    name: "duplicate paths after normalisation (./index.html)",
    body: () => withIndex({ name: "./index.html", data: "<h1>second</h1>" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "duplicate_path", entry: "./index.html" },
    message: /more than once/,
  },
  {
    name: "file/folder conflict (docs and docs/readme.txt)",
    body: () => withIndex({ name: "docs", data: "a file" }, { name: "docs/readme.txt", data: "x" }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "path_conflict", entry: "docs/readme.txt" },
    message: /needs "docs" to be a folder/,
  },
  {
    // The archive limits are not serve flags, so this uses the real default (10,000).
    name: "too many files (10,001 stored entries)",
    body: () =>
      craftZip(
        Array.from({ length: 10_001 }, (_, i) => ({
          name: `f/${i}.txt`,
          data: "x",
          method: "stored" as const,
        })),
      ),
    status: 413,
    code: "payload_too_large",
    details: { reason: "too_many_files", limit: 10_000 },
    message: /more than 10000 files/,
  },
  {
    // Real content over the default 100 MiB per-file limit; zeros deflate to ~100 KiB.
    name: "a file over the per-file size limit (101 MiB)",
    body: () => withIndex({ name: "huge.bin", data: new Uint8Array(101 * MiB) }),
    status: 413,
    code: "payload_too_large",
    details: { reason: "file_too_large", entry: "huge.bin", limit: 100 * MiB },
    message: /"huge\.bin" is 101 MiB, over the limit of 100 MiB per file/,
  },
  {
    name: "ratio bomb (4 MiB of zeros, honestly declared)",
    body: () => withIndex({ name: "zeros.bin", data: new Uint8Array(4 * MiB) }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "compression_ratio", entry: "zeros.bin" },
    message: /looks like a zip bomb/,
  },
  {
    name: "lying bomb (declares 1000 bytes, inflates to 16 MiB)",
    body: () => withIndex({ name: "liar.bin", data: new Uint8Array(16 * MiB), size: 1000 }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "size_mismatch", entry: "liar.bin" },
    message: /does not have the size its header declares/,
  },
  {
    name: "CRC-32 mismatch",
    body: () => withIndex({ name: "app.js", data: "console.log(1)", crc32: 0x12345678 }),
    status: 400,
    code: "invalid_archive",
    details: { reason: "crc_mismatch", entry: "app.js" },
    message: /"app\.js" fails its checksum/,
  },
  {
    name: "truncated zip (cut in the middle)",
    body: () => {
      const zip = zipOf({ "index.html": "<h1>cut</h1>", "app.js": "x".repeat(5000) });
      return zip.slice(0, Math.floor(zip.length / 2));
    },
    status: 400,
    code: "invalid_archive",
    details: { reason: "corrupt" },
    message: /not a valid zip archive/,
  },
  {
    name: "truncated zip (last bytes of the end record missing)",
    body: () => withIndex().slice(0, -5),
    status: 400,
    code: "invalid_archive",
    details: { reason: "corrupt" },
    message: /not a valid zip archive \(no end of central directory record was found\)/,
  },
  {
    name: "random garbage",
    body: () => randomBytes(64 * 1024),
    status: 400,
    code: "invalid_archive",
    details: { reason: "corrupt" },
    message: /not a valid zip archive/,
  },
  {
    name: "empty body",
    body: () => new Uint8Array(0),
    status: 400,
    code: "invalid_archive",
    details: { reason: "corrupt" },
    message: /not a valid zip archive \(the file is empty\)/,
  },
  {
    name: "not a zip content type (text/plain)",
    body: () => zipOf({ "index.html": "<h1>fine</h1>" }),
    contentType: "text/plain",
    status: 415,
    code: "unsupported_media_type",
    details: { expected: ["application/zip", "application/octet-stream"] },
    message: /Send the body as application\/zip .*\(got "text\/plain"\)/,
  },
  {
    name: "app.json is not JSON",
    body: () => zipOf({ "index.html": "<h1>x</h1>", "app.json": "{ name: " }),
    status: 400,
    code: "invalid_manifest",
    details: { file: "app.json" },
    message: /app\.json is not valid JSON/,
  },
  {
    name: "app.json has an unknown field (sap)",
    body: () => zipOf({ "index.html": "<h1>x</h1>", "app.json": '{"sap": true}' }),
    status: 400,
    code: "invalid_manifest",
    details: { file: "app.json" },
    message: /app\.json is invalid: .*sap/,
  },
  {
    name: 'app.json has spa: "yes"',
    body: () => zipOf({ "index.html": "<h1>x</h1>", "app.json": '{"spa": "yes"}' }),
    status: 400,
    code: "invalid_manifest",
    details: { file: "app.json" },
    message: /app\.json is invalid: "spa"/,
  },
  {
    name: 'app.json has the reserved name "www"',
    body: () => zipOf({ "index.html": "<h1>x</h1>", "app.json": '{"name": "www"}' }),
    status: 400,
    code: "invalid_manifest",
    details: { file: "app.json" },
    message: /app\.json is invalid: "name" is reserved for fazt/,
  },
  {
    name: "upload over --max-upload (2 MiB to a 1 MB server, with Content-Length)",
    body: () => withIndex({ name: "noise.bin", data: randomBytes(2 * MiB), method: "stored" }),
    limited: true,
    status: 413,
    code: "payload_too_large",
    details: { reason: "upload_too_large", limit: MiB },
    message: /larger than the limit of 1048576 bytes/,
  },
  {
    name: "upload over --max-upload (2 MiB to a 1 MB server, chunked)",
    body: () => withIndex({ name: "noise.bin", data: randomBytes(2 * MiB), method: "stored" }),
    limited: true,
    chunked: true,
    status: 413,
    code: "payload_too_large",
    details: { reason: "upload_too_large", limit: MiB },
    message: /larger than the limit of 1048576 bytes/,
  },
  {
    name: "deploy to a reserved name (?app=www)",
    body: () => zipOf({ "index.html": "<h1>x</h1>" }),
    app: "www",
    status: 400,
    code: "reserved_name",
    details: { name: "www" },
    message: /The name "www" is reserved for fazt/,
  },
  {
    name: "deploy to an invalid name (?app=Bad_Name)",
    body: () => zipOf({ "index.html": "<h1>x</h1>" }),
    app: "Bad_Name",
    status: 400,
    code: "invalid_name",
    details: { name: "Bad_Name" },
    message: /The name "Bad_Name" is not a valid app name/,
  },
  {
    name: "wrong token",
    body: () => zipOf({ "index.html": "<h1>x</h1>" }),
    token: "wrong",
    status: 401,
    code: "unauthorized",
    details: { reason: "invalid_token" },
    message: /This token is not valid: it is unknown, expired or revoked/,
  },
  {
    name: "missing token",
    body: () => zipOf({ "index.html": "<h1>x</h1>" }),
    token: "none",
    status: 401,
    code: "unauthorized",
    details: { reason: "no_credentials" },
    message: /needs credentials.*Authorization: Bearer/,
  },
];

// ---------------------------------------------------------------------------
// Helpers

/** Sends one upload as the case describes. */
function send(server: TestServer, c: BadUpload): Promise<Response> {
  const headers: Record<string, string> = { "content-type": c.contentType ?? "application/zip" };
  const token = c.token ?? "owner";
  if (token === "owner") headers.authorization = `Bearer ${server.token}`;
  if (token === "wrong") headers.authorization = `Bearer ${server.token.slice(0, -6)}wrong0`;
  const path = `/_fazt/api/deploy?app=${encodeURIComponent(c.app ?? "good")}`;
  // hostFetch (node:http) streams the body chunked; fetch sends a Content-Length.
  if (c.chunked) {
    return server.fetch("127.0.0.1", path, { method: "POST", headers, body: c.body() });
  }
  return fetch(`${server.url}${path}`, { method: "POST", headers, body: new Uint8Array(c.body()) });
}

/** The parsed error body, after checking it has exactly the standard shape. */
function errorBody(
  json: unknown,
): { code: string; message: string; details: Record<string, unknown> } {
  assert.ok(typeof json === "object" && json !== null, "body is a JSON object");
  assert.deepEqual(Object.keys(json), ["error"]);
  const error = (json as { error: unknown }).error;
  assert.ok(typeof error === "object" && error !== null, "error is an object");
  assert.deepEqual(Object.keys(error).sort(), ["code", "details", "message"]);
  const { code, message, details } = error as Record<string, unknown>;
  assert.equal(typeof code, "string");
  assert.equal(typeof message, "string");
  assert.ok(
    typeof details === "object" && details !== null && !Array.isArray(details),
    "details is an object",
  );
  return {
    code: code as string,
    message: message as string,
    details: details as Record<string, unknown>,
  };
}

/** Deploys the known-good version of `good` and returns the server's baseline fingerprint. */
async function deployGood(server: TestServer): Promise<StoreFingerprint> {
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=good`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: new Uint8Array(zipOf({ "index.html": GOOD_HTML, "css/site.css": "body{margin:0}" })),
  });
  assert.equal(res.status, 200, await res.text());
  const print = fingerprint(server.dataDir);
  assert.equal(print.apps, 1);
  assert.equal(print.versions, 1);
  assert.notEqual(print.goodLiveVersionId, null);
  return print;
}

// ---------------------------------------------------------------------------
// The specification

Deno.test("every bad upload is refused with a 4xx error and leaves the store unchanged", async (t) => {
  const main = await startServer();
  const limited = await startServer({ args: ["--max-upload", "1"] });
  try {
    const baseline = new Map<TestServer, StoreFingerprint>([
      [main, await deployGood(main)],
      [limited, await deployGood(limited)],
    ]);

    for (const c of CASES) {
      await t.step(c.name, async () => {
        const server = c.limited ? limited : main;
        const res = await send(server, c);
        const text = await res.text();
        assert.equal(res.status, c.status, text);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        const error = errorBody(JSON.parse(text));
        assert.equal(error.code, c.code, text);
        for (const [key, value] of Object.entries(c.details ?? {})) {
          assert.deepEqual(error.details[key], value, `details.${key} in ${text}`);
        }
        // A useful sentence: names the problem, ends like a sentence, leaks nothing.
        assert.match(error.message, c.message);
        assert.ok(error.message.length >= 30, `message too short: ${error.message}`);
        assert.match(error.message, /\.$/);
        assert.doesNotMatch(error.message, /undefined|\[object |\bat file:|Error:/);

        assert.deepEqual(fingerprint(server.dataDir), baseline.get(server));
        const page = await server.fetch("good.localhost", "/");
        assert.equal(page.status, 200);
        assert.equal(await page.text(), GOOD_HTML);
      });
    }

    await t.step("control: a valid upload does change the fingerprint", async () => {
      const res = await fetch(`${main.url}/_fazt/api/deploy?app=good`, {
        method: "POST",
        headers: { authorization: `Bearer ${main.token}`, "content-type": "application/zip" },
        body: new Uint8Array(zipOf({ "index.html": "<h1>good v2</h1>" })),
      });
      assert.equal(res.status, 200, await res.text());
      const after = fingerprint(main.dataDir);
      const before = baseline.get(main)!;
      assert.equal(after.versions, before.versions + 1);
      assert.notEqual(after.goodLiveVersionId, before.goodLiveVersionId);
      assert.deepEqual(after.tmpFiles, []);
      assert.equal(await (await main.fetch("good.localhost", "/")).text(), "<h1>good v2</h1>");
    });
  } finally {
    await main.stop();
    await limited.stop();
    await Deno.remove(main.dataDir, { recursive: true });
    await Deno.remove(limited.dataDir, { recursive: true });
  }
});
