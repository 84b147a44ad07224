/**
 * Specification of the archive validation policy: which uploaded zips are
 * deployable, how their paths are normalised (including stripping a common
 * top folder), and the exact error code and reason for every refusal.
 *
 * @module
 */
import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { zipSync } from "fflate";
import { FaztError } from "../../kernel/core/errors.ts";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, inspectArchive } from "../../apps/archive.ts";
import { bytesSource, openEntry, ZIP_CHUNK_BYTES } from "../../apps/zip_reader.ts";
import { type CraftEntry, type CraftOptions, craftZip } from "../_helpers/zip_craft.ts";

const enc = new TextEncoder();
const MiB = 1024 * 1024;
const HAS_ZIP = (() => {
  try {
    return Deno.statSync("/usr/bin/zip").isFile;
  } catch {
    return false;
  }
})();

/** The deployable paths of a crafted archive. */
async function pathsOf(entries: CraftEntry[], opts?: CraftOptions): Promise<string[]> {
  const files = await inspectArchive(bytesSource(craftZip(entries, opts)));
  return files.map((f) => f.path);
}

/** Shorthand for a small deflated file entry. */
function file(name: string | Uint8Array, data = "x"): CraftEntry {
  return { name, data };
}

/** Reads a whole stream as text. */
async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

/** Asserts `promise` rejects with a FaztError of `code`, `details.reason` and `details.entry`. */
async function assertRefused(
  promise: Promise<unknown>,
  code: string,
  reason: string,
  entry?: string,
): Promise<FaztError> {
  let caught: FaztError | undefined;
  await rejects(promise, (err: unknown) => {
    assert(err instanceof FaztError, `expected a FaztError, got ${err}`);
    assertEquals({ code: err.code, reason: err.details.reason }, { code, reason });
    if (entry !== undefined) assertEquals(err.details.entry, entry);
    assert(/[.]$/.test(err.message), `message is a full sentence: ${err.message}`);
    caught = err;
    return true;
  });
  return caught!;
}

// ---------------------------------------------------------------------------
// Valid archives

Deno.test("inspectArchive() returns the files sorted by path with sizes, skipping directories", async () => {
  const zip = craftZip([
    { name: "js/", directory: true, method: "stored" },
    { name: "js/app.js", data: "console.log('app')" },
    { name: "index.html", data: "<h1>home</h1>", method: "stored" },
    { name: "api/", directory: true, method: "stored" },
    { name: "api/main.ts", data: "export default {}" },
  ]);
  const src = bytesSource(zip);
  const files = await inspectArchive(src);
  assertEquals(files.map((f) => [f.path, f.size]), [
    ["api/main.ts", 17],
    ["index.html", 13],
    ["js/app.js", 18],
  ]);
  assertEquals(await text(openEntry(src, files[1].entry)), "<h1>home</h1>");
  assertEquals(files[0].entry.name, "api/main.ts");
});

Deno.test("inspectArchive() accepts UTF-8 names and normalises ./ segments", async () => {
  assertEquals(
    await pathsOf([file("./index.html"), file("./docs/./été.md"), file("日本/a.txt")]),
    ["docs/été.md", "index.html", "日本/a.txt"],
  );
});

const NFC = "caf\u00e9.html";
const NFD = "cafe\u0301.html";

Deno.test("inspectArchive() stores names in Unicode NFC, whichever form the zip used", async () => {
  assertEquals(await pathsOf([file(NFD), file("d\u0301ir/e\u0301te\u0301.md")]), [
    NFC,
    "d\u0301ir/\u00e9t\u00e9.md".normalize("NFC"),
  ]);
  assertEquals(await pathsOf([file(NFC)]), [NFC]);
});

Deno.test("inspectArchive() refuses one name in two Unicode forms (NFC and NFD) as a duplicate", async () => {
  for (const [first, second] of [[NFC, NFD], [NFD, NFC], [`a/${NFD}`, `a/${NFC}`]]) {
    const err = await assertRefused(
      inspectArchive(bytesSource(craftZip([file("index.html"), file(first), file(second)]))),
      "invalid_archive",
      "duplicate_path",
      second,
    );
    assert(err.message.includes("two Unicode forms"), err.message);
    // Both spellings are shown so that they differ on screen.
    assert(err.message.includes("caf\\u00e9.html"), err.message);
    assert(err.message.includes("cafe\\u0301.html"), err.message);
  }
  // A folder in one form and a file below the other form's folder are one path too.
  await assertRefused(
    inspectArchive(bytesSource(craftZip([file("caf\u00e9"), file("cafe\u0301/x.html")]))),
    "invalid_archive",
    "path_conflict",
  );
});

Deno.test("inspectArchive() keeps names that differ only in case as two files (URLs are case-sensitive)", async () => {
  assertEquals(await pathsOf([file("Index.html"), file("index.html"), file("A/b"), file("a/b")]), [
    "A/b",
    "Index.html",
    "a/b",
    "index.html",
  ]);
});

Deno.test('inspectArchive() skips a name that is only "." or "./"', async () => {
  assertEquals(
    await pathsOf([{ name: "./", directory: true, method: "stored" }, file("."), file("a.html")]),
    ["a.html"],
  );
});

Deno.test("inspectArchive() skips __MACOSX/ entries and .DS_Store files", async () => {
  assertEquals(
    await pathsOf([
      file("index.html"),
      file(".DS_Store"),
      file("css/.DS_Store"),
      file("__MACOSX/._index.html"),
      file("__MACOSX/css/._a.css"),
      { name: "__MACOSX/", directory: true, method: "stored" },
      file("css/a.css"),
    ]),
    ["css/a.css", "index.html"],
  );
});

Deno.test("inspectArchive() reads an archive made by fflate's zipSync, content and CRC verified", async () => {
  const content = {
    "index.html": "<!doctype html><h1>fflate</h1>",
    "assets/app.js": "export const x = 1;\n".repeat(500),
  };
  const zip = zipSync({
    "index.html": enc.encode(content["index.html"]),
    assets: { "app.js": enc.encode(content["assets/app.js"]) },
  });
  const src = bytesSource(zip);
  const files = await inspectArchive(src);
  assertEquals(files.map((f) => f.path), ["assets/app.js", "index.html"]);
  for (const f of files) {
    assertEquals(await text(openEntry(src, f.entry)), content[f.path as keyof typeof content]);
  }
});

Deno.test({
  name: "inspectArchive() reads a zipped folder from the zip CLI and strips the folder",
  ignore: !HAS_ZIP,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/my-site/css`, { recursive: true });
      await Deno.writeTextFile(`${dir}/my-site/index.html`, "<h1>cli</h1>");
      await Deno.writeTextFile(`${dir}/my-site/css/a.css`, "a{}".repeat(3000));
      await Deno.writeTextFile(`${dir}/my-site/.DS_Store`, "junk");
      const out = await new Deno.Command("zip", {
        args: ["-q", "-r", "-", "my-site"],
        cwd: dir,
        stdout: "piped",
      }).output();
      assert(out.success);
      const src = bytesSource(out.stdout);
      const files = await inspectArchive(src);
      assertEquals(files.map((f) => f.path), ["css/a.css", "index.html"]);
      assertEquals(await text(openEntry(src, files[0].entry)), "a{}".repeat(3000));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------
// Common top folder

Deno.test("inspectArchive() strips a top folder that every file shares", async () => {
  assertEquals(
    await pathsOf([
      { name: "my-site/", directory: true, method: "stored" },
      file("my-site/index.html"),
      file("my-site/css/a.css"),
    ]),
    ["css/a.css", "index.html"],
  );
});

Deno.test("inspectArchive() strips the top folder of a macOS zip despite __MACOSX and .DS_Store", async () => {
  assertEquals(
    await pathsOf([
      file("site/index.html"),
      file("site/.DS_Store"),
      file(".DS_Store"),
      file("__MACOSX/site/._index.html"),
    ]),
    ["index.html"],
  );
});

Deno.test("inspectArchive() strips only one level of a shared top folder", async () => {
  assertEquals(
    await pathsOf([file("a/a/index.html"), file("a/a/b.js")]),
    [
      "a/index.html",
      "a/b.js",
    ].sort(),
  );
});

Deno.test("inspectArchive() does not strip when files sit at the root", async () => {
  assertEquals(await pathsOf([file("index.html"), file("site/a.html")]), [
    "index.html",
    "site/a.html",
  ]);
  assertEquals(await pathsOf([file("index.html")]), ["index.html"]);
});

Deno.test("inspectArchive() does not strip when files sit under several top folders", async () => {
  assertEquals(await pathsOf([file("a/index.html"), file("b/index.html")]), [
    "a/index.html",
    "b/index.html",
  ]);
});

Deno.test("inspectArchive() does not strip a folder that is only a name prefix", async () => {
  assertEquals(await pathsOf([file("site/index.html"), file("site2/x.html")]), [
    "site/index.html",
    "site2/x.html",
  ]);
});

// ---------------------------------------------------------------------------
// Refusals

const ratioBomb = deflateRawSync(new Uint8Array(20 * 1000 * 1000));

/** Archives that must be refused, with the expected code, reason and entry. */
const BAD_ARCHIVES: {
  what: string;
  entries: CraftEntry[];
  opts?: CraftOptions;
  code?: string;
  reason: string;
  entry?: string;
}[] = [
  { what: "a ../ path", entries: [file("index.html"), file("../x")], reason: "path_traversal" },
  { what: "a nested ../../ path", entries: [file("a/../../x")], reason: "path_traversal" },
  { what: "a .. segment inside a path", entries: [file("a/../b")], reason: "path_traversal" },
  { what: "a ..\\ path", entries: [file("..\\x")], reason: "path_traversal" },
  { what: "a trailing .. segment", entries: [file("a/..")], reason: "path_traversal" },
  {
    what: "a .. directory entry",
    entries: [file("index.html"), { name: "../up/", directory: true, method: "stored" }],
    reason: "path_traversal",
    entry: "../up/",
  },
  {
    what: "a .. path inside __MACOSX",
    entries: [file("index.html"), file("__MACOSX/../../evil")],
    reason: "path_traversal",
  },
  { what: "an absolute path", entries: [file("/etc/passwd")], reason: "absolute_path" },
  { what: "a Windows drive path", entries: [file("C:/x")], reason: "absolute_path" },
  { what: "a Windows drive-relative path", entries: [file("c:x")], reason: "absolute_path" },
  { what: "a UNC path", entries: [file("\\\\server\\share\\x")], reason: "absolute_path" },
  { what: "a backslash path", entries: [file("a\\b.html")], reason: "invalid_path" },
  { what: "a NUL in a name", entries: [file("index.html\0.png")], reason: "invalid_path" },
  { what: "a newline in a name", entries: [file("a\nb.html")], reason: "invalid_path" },
  {
    what: "an escape character in a name",
    entries: [file("a\x1b[31m.html")],
    reason: "invalid_path",
  },
  { what: "a DEL character in a name", entries: [file("a\x7f.html")], reason: "invalid_path" },
  { what: "an empty segment", entries: [file("a//b.html")], reason: "invalid_path" },
  { what: "an empty name", entries: [file("")], reason: "invalid_path" },
  {
    what: "a name over 1,024 bytes",
    entries: [file(`${"d/".repeat(512)}x`)],
    reason: "invalid_path",
  },
  {
    what: "a segment over 255 bytes",
    entries: [file(`${"é".repeat(128)}.html`)],
    reason: "invalid_path",
  },
  {
    what: "a name flagged UTF-8 that is not UTF-8",
    entries: [{ name: new Uint8Array([0x61, 0xc3, 0x28]), utf8: true, data: "x" }],
    reason: "invalid_path",
  },
  {
    what: "a symlink",
    entries: [file("index.html"), { name: "passwd", data: "/etc/passwd", symlink: true }],
    reason: "symlink",
    entry: "passwd",
  },
  {
    what: "an encrypted file",
    entries: [{ name: "secret.html", data: "x", encrypted: true }],
    reason: "encrypted",
    entry: "secret.html",
  },
  {
    what: "an unknown compression method",
    entries: [{ name: "a.html", data: "x", method: 14 }],
    reason: "unsupported_method",
    entry: "a.html",
  },
  {
    what: "a stored file declaring two sizes",
    entries: [{ name: "a.html", data: "abc", method: "stored", size: 2 }],
    reason: "size_mismatch",
    entry: "a.html",
  },
  {
    what: "the same path twice",
    entries: [file("a.html"), file("b.html"), file("a.html")],
    reason: "duplicate_path",
    entry: "a.html",
  },
  {
    what: "the same path twice after normalising",
    entries: [file("a/b.html"), file("./a/b.html")],
    reason: "duplicate_path",
    entry: "./a/b.html",
  },
  {
    what: "a file that is also a folder",
    entries: [file("a"), file("a/b")],
    reason: "path_conflict",
    entry: "a/b",
  },
  {
    what: "a file that is also a deeper folder",
    entries: [file("x/y/z/w.html"), file("x/y")],
    reason: "path_conflict",
    entry: "x/y/z/w.html",
  },
  { what: "no entries at all", entries: [], reason: "empty" },
  {
    what: "only directories and junk",
    entries: [
      { name: "site/", directory: true, method: "stored" },
      file("site/.DS_Store"),
      file("__MACOSX/._x"),
    ],
    reason: "empty",
  },
  {
    what: "a ratio bomb (20 MB of zeros deflated)",
    entries: [file("index.html"), { name: "zeros.bin", compressed: ratioBomb, size: 20_000_000 }],
    reason: "compression_ratio",
    entry: "zeros.bin",
  },
  {
    what: "an entry declaring 1 MiB with no data",
    entries: [{ name: "big.bin", compressed: new Uint8Array(0), size: MiB }],
    reason: "compression_ratio",
    entry: "big.bin",
  },
  {
    what: "a file over the per-file limit",
    entries: [{ name: "huge.bin", compressed: ratioBomb, size: 100 * MiB + 1 }],
    code: "payload_too_large",
    reason: "file_too_large",
    entry: "huge.bin",
  },
  {
    what: "files summing over the total limit",
    entries: Array.from({ length: 6 }, (_, i) => ({
      name: `part${i}.bin`,
      compressed: new Uint8Array(1000 * 1000),
      size: 90 * MiB,
    })),
    code: "payload_too_large",
    reason: "total_too_large",
  },
  {
    what: "a truncated archive",
    entries: [file("index.html", "<h1>x</h1>")],
    opts: { truncate: -10 },
    reason: "corrupt",
  },
  {
    what: "garbage after the archive",
    entries: [file("index.html")],
    opts: { trailing: new Uint8Array(100) },
    reason: "corrupt",
  },
];

for (const bad of BAD_ARCHIVES) {
  const code = bad.code ?? "invalid_archive";
  Deno.test(`inspectArchive() refuses ${bad.what} (${code}/${bad.reason})`, async () => {
    const err = await assertRefused(
      inspectArchive(bytesSource(craftZip(bad.entries, bad.opts))),
      code,
      bad.reason,
      bad.entry,
    );
    const named = bad.entries.filter((e) => typeof e.name === "string");
    if (bad.entry !== undefined) assert(err.message.includes(JSON.stringify(bad.entry)));
    if (
      !["empty", "corrupt", "total_too_large"].includes(bad.reason) && named.length === 1
    ) {
      assertEquals(err.details.entry, named[0].name, "details.entry names the entry");
    }
  });
}

Deno.test("inspectArchive() refuses an empty upload and random garbage as corrupt", async () => {
  await assertRefused(inspectArchive(bytesSource(new Uint8Array(0))), "invalid_archive", "corrupt");
  const garbage = crypto.getRandomValues(new Uint8Array(4096));
  await assertRefused(inspectArchive(bytesSource(garbage)), "invalid_archive", "corrupt");
});

Deno.test("inspectArchive() explains an empty archive in a full sentence", async () => {
  const err = await assertRefused(
    inspectArchive(bytesSource(craftZip([]))),
    "invalid_archive",
    "empty",
  );
  assertEquals(
    err.message,
    "The archive has no files. An app needs at least an index.html or an api/ folder.",
  );
});

// ---------------------------------------------------------------------------
// Limits

const SMALL: ArchiveLimits = { maxFiles: 3, maxFileBytes: 1000, maxTotalBytes: 2500, maxRatio: 10 };

Deno.test("DEFAULT_ARCHIVE_LIMITS are 10,000 files, 100 MiB per file, 500 MiB total, ratio 200", () => {
  assertEquals(DEFAULT_ARCHIVE_LIMITS, {
    maxFiles: 10_000,
    maxFileBytes: 100 * MiB,
    maxTotalBytes: 500 * MiB,
    maxRatio: 200,
  });
});

Deno.test("inspectArchive() refuses more files than maxFiles (too_many_files)", async () => {
  const four = [file("a"), file("b"), file("c"), file("d")];
  const err = await assertRefused(
    inspectArchive(bytesSource(craftZip(four)), SMALL),
    "payload_too_large",
    "too_many_files",
  );
  assertEquals(err.details.limit, 3);
  const three = await inspectArchive(bytesSource(craftZip(four.slice(0, 3))), SMALL);
  assertEquals(three.length, 3);
});

Deno.test("inspectArchive() does not count directories and junk as files", async () => {
  const files = await inspectArchive(
    bytesSource(craftZip([
      { name: "d/", directory: true, method: "stored" },
      file("d/a"),
      file("d/.DS_Store"),
      file("__MACOSX/d/._a"),
      file("d/b"),
      file("d/c"),
    ])),
    SMALL,
  );
  assertEquals(files.map((f) => f.path), ["a", "b", "c"]);
});

Deno.test("inspectArchive() refuses a directory listing far beyond maxFiles before reading it", async () => {
  const entries: CraftEntry[] = Array.from(
    { length: 13 },
    (_, i) => ({ name: `d${i}/`, directory: true, method: "stored" }),
  );
  const err = await assertRefused(
    inspectArchive(bytesSource(craftZip(entries)), SMALL),
    "payload_too_large",
    "too_many_files",
  );
  assertEquals(err.details.limit, 3);
});

Deno.test("inspectArchive() refuses a declared size over maxFileBytes (file_too_large)", async () => {
  const err = await assertRefused(
    inspectArchive(
      bytesSource(craftZip([file("ok.txt"), file("big.txt", "x".repeat(1001))])),
      SMALL,
    ),
    "payload_too_large",
    "file_too_large",
    "big.txt",
  );
  assertEquals(err.details.limit, 1000);
  assertEquals(
    (await inspectArchive(bytesSource(craftZip([file("a", "x".repeat(1000))])), SMALL))
      .length,
    1,
  );
});

Deno.test("inspectArchive() refuses declared sizes summing over maxTotalBytes (total_too_large)", async () => {
  const each = "x".repeat(900);
  const err = await assertRefused(
    inspectArchive(
      bytesSource(craftZip([file("a", each), file("b", each), file("c", each)])),
      SMALL,
    ),
    "payload_too_large",
    "total_too_large",
  );
  assertEquals(err.details.limit, 2500);
  const ok = await inspectArchive(
    bytesSource(craftZip([file("a", each), file("b", each), file("c", "x".repeat(700))])),
    SMALL,
  );
  assertEquals(ok.length, 3);
});

Deno.test("inspectArchive() applies maxRatio only to entries declaring at least 1 MiB", async () => {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxRatio: 10 };
  const small = new Uint8Array(MiB - 1); // ratio ~1000 but under 1 MiB
  const files = await inspectArchive(bytesSource(craftZip([{ name: "z", data: small }])), limits);
  assertEquals(files[0].size, MiB - 1);
  await assertRefused(
    inspectArchive(bytesSource(craftZip([{ name: "z", data: new Uint8Array(MiB) }])), limits),
    "invalid_archive",
    "compression_ratio",
    "z",
  );
  // Incompressible data at 1 MiB passes.
  const noisy = new Uint8Array(randomBytes(MiB));
  assertEquals(
    (await inspectArchive(bytesSource(craftZip([{ name: "n", data: noisy }])), limits)).length,
    1,
  );
});

Deno.test("inspectArchive() with openEntry() stops a lying bomb at its declared size", async () => {
  const bomb = deflateRawSync(new Uint8Array(50 * 1000 * 1000));
  const src = bytesSource(craftZip([
    file("index.html"),
    { name: "liar.bin", compressed: bomb, size: 1000, crc32: 0 },
  ]));
  const files = await inspectArchive(src); // declared sizes are within every limit
  const liar = files.find((f) => f.path === "liar.bin")!;
  let delivered = 0;
  await assertRefused(
    (async () => {
      for await (const chunk of openEntry(src, liar.entry)) delivered += chunk.length;
    })(),
    "invalid_archive",
    "size_mismatch",
    "liar.bin",
  );
  assert(delivered <= 1000 + ZIP_CHUNK_BYTES, `delivered ${delivered} bytes`);
});

Deno.test("inspectArchive() quotes the entry and says what to do in its messages", async () => {
  const err = await assertRefused(
    inspectArchive(bytesSource(craftZip([file("../etc/cron.d/x")]))),
    "invalid_archive",
    "path_traversal",
    "../etc/cron.d/x",
  );
  assert(err.message.includes('"../etc/cron.d/x"'));
  assert(/zip|Zip/.test(err.message));
  const ctl = await assertRefused(
    inspectArchive(bytesSource(craftZip([file("a\u0000b")]))),
    "invalid_archive",
    "invalid_path",
  );
  assert(!ctl.message.includes("\u0000"), "control characters are escaped in messages");
  assertEquals(ctl.details.entry, "a\u0000b");
});
