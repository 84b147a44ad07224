/**
 * Specification of folder packing: what goes into the zip (ignore rules,
 * symlinks, nested `.git` / `node_modules`), how entries are compressed,
 * byte-for-byte determinism, and the errors a user sees.
 *
 * @module
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { strToU8, unzipSync, zipSync } from "fflate";
import { packFolder, readArchiveFile } from "../../apps/pack.ts";
import { FaztError } from "../../kernel/core/errors.ts";

/** Writes `files` (relative path → content) under `root`, creating folders. */
async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, ...rel.split("/"));
    await Deno.mkdir(join(path, ".."), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt_pack_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Unzips to a map of path → text, in archive order. */
function unzipText(zip: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const decoder = new TextDecoder();
  for (const [path, data] of Object.entries(unzipSync(zip))) out[path] = decoder.decode(data);
  return out;
}

/** Asserts that `fn` rejects with a `FaztError` of `code` whose message contains `text`. */
async function assertFaztError(
  fn: () => Promise<unknown>,
  code: string,
  text: string,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert(err instanceof FaztError, `expected a FaztError, got ${err}`);
    assertEquals(err.code, code);
    assert(err.message.includes(text), `message ${JSON.stringify(err.message)} lacks ${text}`);
    return;
  }
  throw new Error("expected a FaztError, but nothing was thrown");
}

/** A site with everything the walker must handle. */
const SITE: Record<string, string> = {
  "index.html": "<h1>hi</h1>",
  "css/site.css": "body{}",
  "js/app.js": "console.log(1)",
  "js/app.js.map": "{}",
  "debug.log": "noise",
  "logs/keep.log": "kept by negation",
  "logs/other.log": "noise",
  "drafts/post.md": "draft",
  "drafts/keep.md": "cannot be re-included",
  "docs/.DS_Store": "mac",
  "docs/Thumbs.db": "win",
  "docs/guide.md": "guide",
  ".git/HEAD": "ref: refs/heads/main",
  "sub/.git/config": "nested repo",
  "node_modules/x/index.js": "dep",
  "sub/node_modules/y/index.js": "nested dep",
  "sub/page.html": "page",
  ".well-known/security.txt": "dotfiles are kept",
  ".faztignore": [
    "# build noise",
    "*.log",
    "!logs/keep.log",
    "*.map",
    "drafts/",
    "!drafts/keep.md",
    "",
  ].join("\n"),
};

Deno.test("packFolder() zips exactly the files left after ALWAYS_IGNORED and .faztignore", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, SITE);
    const result = await packFolder(dir);
    assertEquals(unzipText(result.zip), {
      ".well-known/security.txt": "dotfiles are kept",
      "css/site.css": "body{}",
      "docs/guide.md": "guide",
      "index.html": "<h1>hi</h1>",
      "js/app.js": "console.log(1)",
      "logs/keep.log": "kept by negation",
      "sub/page.html": "page",
    });
    assertEquals(result.files, 7);
    assertEquals(result.skipped, []);
  });
});

Deno.test("packFolder() writes entries in sorted walk order with relative / paths", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "b.txt": "b", "a/z.txt": "z", "a/b/c.txt": "c", "A.txt": "A" });
    const { zip } = await packFolder(dir);
    assertEquals(Object.keys(unzipSync(zip)), ["A.txt", "a/b/c.txt", "a/z.txt", "b.txt"]);
  });
});

Deno.test("packFolder() reports the total uncompressed size and calls onFile per file", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "a.txt": "12345", "d/b.txt": "", "d/c.bin": new Uint8Array(70_000) });
    const seen: [string, number][] = [];
    const result = await packFolder(dir, { onFile: (path, bytes) => seen.push([path, bytes]) });
    assertEquals(seen, [["a.txt", 5], ["d/b.txt", 0], ["d/c.bin", 70_000]]);
    assertEquals({ files: result.files, bytes: result.bytes }, { files: 3, bytes: 70_005 });
    assertEquals(unzipSync(result.zip)["d/c.bin"], new Uint8Array(70_000));
  });
});

Deno.test("packFolder() skips symlinks without following them and reports them", async () => {
  await withTempDir(async (dir) => {
    const site = join(dir, "site");
    const outside = join(dir, "outside");
    await writeTree(outside, { "id_rsa": "PRIVATE KEY" });
    await writeTree(site, { "index.html": "ok", "assets/logo.svg": "<svg/>" });
    await Deno.symlink(join(outside, "id_rsa"), join(site, "link.txt"));
    await Deno.symlink(outside, join(site, "assets", "ssh"));
    await Deno.symlink(join(dir, "missing"), join(site, "dangling"));
    const result = await packFolder(site);
    assertEquals(Object.keys(unzipText(result.zip)), ["assets/logo.svg", "index.html"]);
    assertEquals(result.skipped, [
      "assets/ssh (symlink)",
      "dangling (symlink)",
      "link.txt (symlink)",
    ]);
  });
});

Deno.test("packFolder() skips a root file named __proto__ as an unsupported name", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "__proto__"), "x");
    await writeTree(dir, { "index.html": "ok", "sub/__proto__": "nested is fine" });
    const result = await packFolder(dir);
    assertEquals(result.skipped, ["__proto__ (unsupported name)"]);
    assertEquals(Object.keys(unzipSync(result.zip)), ["index.html", "sub/__proto__"]);
  });
});

Deno.test("packFolder() does not report a symlink that .faztignore excludes", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "index.html": "ok", ".faztignore": "*.lnk\n" });
    await Deno.symlink(join(dir, "index.html"), join(dir, "home.lnk"));
    assertEquals((await packFolder(dir)).skipped, []);
  });
});

Deno.test({
  name: "packFolder() skips a FIFO as not a regular file",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, { "index.html": "ok" });
      const mk = await new Deno.Command("mkfifo", { args: [join(dir, "pipe")] }).output();
      assert(mk.success, "mkfifo failed");
      const result = await packFolder(dir);
      assertEquals(result.skipped, ["pipe (not a regular file)"]);
      assertEquals(result.files, 1);
    });
  },
});

Deno.test("packFolder() packs the same folder to identical bytes", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    await writeTree(a, SITE);
    // The same content written in reverse order, later, with other timestamps.
    await writeTree(b, Object.fromEntries(Object.entries(SITE).reverse()));
    await Deno.utime(join(b, "index.html"), new Date(2020, 5, 1), new Date(2020, 5, 1));
    const first = await packFolder(a);
    const again = await packFolder(a);
    const copy = await packFolder(b);
    assertEquals(again.zip, first.zip);
    assertEquals(copy.zip, first.zip);
  });
});

Deno.test("packFolder() stamps every entry 1980-01-01 00:00", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "index.html": "ok" });
    const { zip } = await packFolder(dir);
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    assertEquals(view.getUint32(0, true), 0x04034b50);
    // DOS time then date in the local file header: 00:00:00, (1980-1980)<<9 | 1<<5 | 1.
    assertEquals([view.getUint16(10, true), view.getUint16(12, true)], [0, 0x21]);
  });
});

const COMPRESSION_CASES: [name: string, method: number][] = [
  ["photo.png", 0],
  ["photo.JPG", 0],
  ["photo.jpeg", 0],
  ["anim.gif", 0],
  ["img.webp", 0],
  ["img.avif", 0],
  ["font.woff", 0],
  ["font.woff2", 0],
  ["bundle.zip", 0],
  ["data.gz", 0],
  ["data.br", 0],
  ["song.mp3", 0],
  ["clip.mp4", 0],
  ["clip.webm", 0],
  ["clip.mov", 0],
  ["paper.pdf", 0],
  ["index.html", 8],
  ["app.js", 8],
  ["logo.svg", 8],
  ["png", 8],
  [".png", 8],
];

Deno.test("packFolder() stores already-compressed types and deflates the rest", async () => {
  await withTempDir(async (dir) => {
    const text = "compressible ".repeat(200);
    await writeTree(dir, Object.fromEntries(COMPRESSION_CASES.map(([name]) => [name, text])));
    const { zip } = await packFolder(dir);
    const methods: Record<string, number> = {};
    const files = unzipSync(zip, {
      filter: (file) => {
        methods[file.name] = file.compression;
        return true;
      },
    });
    assertEquals(methods, Object.fromEntries(COMPRESSION_CASES));
    for (const [name] of COMPRESSION_CASES) {
      assertEquals(new TextDecoder().decode(files[name]), text);
    }
  });
});

const FOLDER_ERRORS: [name: string, setup: (dir: string) => Promise<string>, text: string][] = [
  [
    "a folder that does not exist",
    (dir) => Promise.resolve(join(dir, "nope")),
    "it does not exist.",
  ],
  [
    "a path that is a file",
    async (dir) => {
      await writeTree(dir, { "site.zip": "x" });
      return join(dir, "site.zip");
    },
    "it is a file, not a folder.",
  ],
  [
    "an empty folder",
    (dir) => Promise.resolve(dir),
    "has no files to deploy (after .faztignore",
  ],
  [
    "a folder whose files are all ignored",
    async (dir) => {
      await writeTree(dir, {
        ".faztignore": "*\n",
        "a.txt": "a",
        ".git/HEAD": "x",
        "node_modules/m.js": "m",
      });
      return dir;
    },
    "has no files to deploy (after .faztignore",
  ],
  [
    "a folder holding only a symlink",
    async (dir) => {
      await Deno.symlink(join(dir, "missing"), join(dir, "link"));
      return dir;
    },
    "has no files to deploy (after .faztignore",
  ],
];

for (const [name, setup, text] of FOLDER_ERRORS) {
  Deno.test(`packFolder() refuses ${name} with a bad_request FaztError`, async () => {
    await withTempDir(async (dir) => {
      const target = await setup(dir);
      await assertFaztError(() => packFolder(target), "bad_request", text);
    });
  });
}

Deno.test("packFolder() names the folder in its errors", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "my-site");
    await assertFaztError(
      () => packFolder(missing),
      "bad_request",
      `Cannot read the folder "${missing}": it does not exist.`,
    );
  });
});

const ARCHIVES: [name: string, content: Uint8Array, accepted: boolean][] = [
  ["a zip with files (PK\\x03\\x04)", zipSync({ "index.html": strToU8("hi") }), true],
  ["an empty zip (PK\\x05\\x06)", zipSync({}), true],
  ["a text file", strToU8("hello, world"), false],
  ["a gzip file", new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), false],
  ["a file shorter than the signature", new Uint8Array([0x50, 0x4b, 3]), false],
  ["an empty file", new Uint8Array(), false],
];

for (const [name, content, accepted] of ARCHIVES) {
  Deno.test(`readArchiveFile() ${accepted ? "reads" : "refuses"} ${name}`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "upload.zip");
      await Deno.writeFile(path, content);
      if (accepted) assertEquals(await readArchiveFile(path), content);
      else {await assertFaztError(
          () => readArchiveFile(path),
          "bad_request",
          "is not a zip archive",
        );}
    });
  });
}

Deno.test("readArchiveFile() refuses a missing file and a folder with bad_request", async () => {
  await withTempDir(async (dir) => {
    await assertFaztError(
      () => readArchiveFile(join(dir, "none.zip")),
      "bad_request",
      "it does not exist",
    );
    await assertFaztError(() => readArchiveFile(dir), "bad_request", "Cannot read the archive");
  });
});

Deno.test("readArchiveFile() accepts what packFolder() produces", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "site/index.html": "ok" });
    const { zip } = await packFolder(join(dir, "site"));
    await Deno.writeFile(join(dir, "site.zip"), zip);
    assertEquals(await readArchiveFile(join(dir, "site.zip")), zip);
  });
});

Deno.test("packFolder() writes names in Unicode NFC, as the server stores them", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "cafe\u0301.html": "nfd", "sub/e\u0301t\u00e9.txt": "ignored" });
    // The pattern typed in NFC matches the name the file system spells in NFD.
    await Deno.writeTextFile(join(dir, ".faztignore"), "\u00e9t\u00e9.txt\n");
    const result = await packFolder(dir);
    assertEquals(unzipText(result.zip), { "caf\u00e9.html": "nfd" });
  });
});

Deno.test("packFolder() refuses two files whose names are one name in NFC, before uploading", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "caf\u00e9.html": "nfc", "cafe\u0301.html": "nfd", "a.html": "a" });
    await assertFaztError(() => packFolder(dir), "bad_request", "two Unicode forms");
  });
});

Deno.test("packFolder() keeps files whose names differ only in case", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "Index.html": "upper", "index.html": "lower" });
    assertEquals(unzipText((await packFolder(dir)).zip), {
      "Index.html": "upper",
      "index.html": "lower",
    });
  });
});
