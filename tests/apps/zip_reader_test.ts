/**
 * Specification of the strict zip reader: it reads archives from common
 * writers (crafted, fflate, Info-ZIP `zip`, ZIP64, data descriptors, UTF-8
 * names), refuses corrupt or hostile directories, and streams entry data in
 * bounded chunks that stop as soon as an entry inflates past its declared
 * size.
 *
 * @module
 */
import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { constants, deflateRawSync } from "node:zlib";
import { zipSync } from "fflate";
import { FaztError } from "../../kernel/core/errors.ts";
import {
  bytesSource,
  crc32,
  fileSource,
  openEntry,
  type RandomAccessSource,
  readZipDirectory,
  ZIP_CHUNK_BYTES,
  type ZipEntry,
} from "../../apps/zip_reader.ts";
import { type CraftEntry, craftZip, unicodePathExtra, zipCrc32 } from "../_helpers/zip_craft.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const HAS_ZIP = (() => {
  try {
    return Deno.statSync("/usr/bin/zip").isFile;
  } catch {
    return false;
  }
})();

/** Reads a whole stream. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every entry of `zip` mapped to its content, read through openEntry. */
async function readArchive(src: RandomAccessSource): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const entry of await readZipDirectory(src)) {
    if (!entry.isDirectory) out.set(entry.name, await readAll(openEntry(src, entry)));
  }
  return out;
}

/** Asserts `promise` rejects with a FaztError of `code` and `details.reason`. */
async function assertRefused(
  promise: Promise<unknown>,
  code: string,
  reason: string,
  entry?: string,
): Promise<void> {
  await rejects(promise, (err: unknown) => {
    assert(err instanceof FaztError, `expected a FaztError, got ${err}`);
    assertEquals({ code: err.code, reason: err.details.reason }, { code, reason });
    if (entry !== undefined) assertEquals(err.details.entry, entry);
    assert(err.message.endsWith("."), `message is a full sentence: ${err.message}`);
    return true;
  });
}

/** A source that counts how many bytes were read from it. */
function countingSource(bytes: Uint8Array): RandomAccessSource & { bytesRead: number } {
  const inner = bytesSource(bytes);
  const counter = {
    size: inner.size,
    bytesRead: 0,
    read(offset: number, length: number): Promise<Uint8Array> {
      counter.bytesRead += length;
      return inner.read(offset, length);
    },
  };
  return counter;
}

/** Deterministic, poorly compressible bytes. */
function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * A raw deflate stream of `mib` MiB of zeros built by repeating one
 * full-flushed block, so even a GiB needs only about a MiB of memory.
 */
function zeroBomb(mib: number): Uint8Array {
  const block = deflateRawSync(new Uint8Array(1 << 20), {
    level: 9,
    finishFlush: constants.Z_FULL_FLUSH,
  });
  const out = new Uint8Array(block.length * mib + 2);
  for (let i = 0; i < mib; i++) out.set(block, i * block.length);
  out.set([0x03, 0x00], block.length * mib); // final empty fixed block
  return out;
}

async function onlyEntry(zip: Uint8Array): Promise<[RandomAccessSource, ZipEntry]> {
  const src = bytesSource(zip);
  const entries = await readZipDirectory(src);
  assertEquals(entries.length, 1);
  return [src, entries[0]];
}

Deno.test("crc32() computes the standard CRC-32, also across chunks", () => {
  assertEquals(crc32(enc.encode("123456789")), 0xcbf43926);
  assertEquals(crc32(new Uint8Array(0)), 0);
  const data = noise(100_000);
  assertEquals(crc32(data), zipCrc32(data));
  assertEquals(crc32(data.subarray(50_000), crc32(data.subarray(0, 50_000))), zipCrc32(data));
});

Deno.test("readZipDirectory() lists stored, deflated and directory entries with their metadata", async () => {
  const zip = craftZip([
    { name: "site/", directory: true, method: "stored" },
    { name: "site/index.html", data: "<h1>hello</h1>", method: "stored" },
    { name: "site/app.js", data: "console.log(1);\n".repeat(100) },
  ]);
  const entries = await readZipDirectory(bytesSource(zip));
  assertEquals(entries.map((e) => [e.name, e.method, e.isDirectory, e.size]), [
    ["site/", 0, true, 0],
    ["site/index.html", 0, false, 14],
    ["site/app.js", 8, false, 1600],
  ]);
  assert(entries[2].compressedSize < 1600);
  assertEquals(entries[1].crc32, zipCrc32(enc.encode("<h1>hello</h1>")));
  assert(entries.every((e) => !e.isSymlink && !e.encrypted));
});

Deno.test("openEntry() streams stored and deflated content that matches the original bytes", async () => {
  const big = noise(300_000);
  const text = "fazt ".repeat(50_000);
  const src = bytesSource(craftZip([
    { name: "big.bin", data: big, method: "stored" },
    { name: "text.txt", data: text },
    { name: "empty.txt", data: "", method: "stored" },
    { name: "empty-deflated.txt", data: "" },
  ]));
  const files = await readArchive(src);
  assertEquals(files.get("big.bin"), big);
  assertEquals(dec.decode(files.get("text.txt")), text);
  assertEquals(files.get("empty.txt"), new Uint8Array(0));
  assertEquals(files.get("empty-deflated.txt"), new Uint8Array(0));
});

Deno.test("openEntry() emits chunks of at most 64 KiB, even for highly compressible data", async () => {
  const data = new Uint8Array(3 * 1024 * 1024).fill(7);
  const [src, entry] = await onlyEntry(craftZip([{ name: "sevens.bin", data }]));
  let total = 0;
  for await (const chunk of openEntry(src, entry)) {
    assert(chunk.length <= ZIP_CHUNK_BYTES, `chunk of ${chunk.length} bytes`);
    assert(chunk.every((b) => b === 7));
    total += chunk.length;
  }
  assertEquals(total, data.length);
});

Deno.test("readZipDirectory() reads ZIP64 archives (EOCD64 record, locator and 0x0001 extra field)", async () => {
  const src = bytesSource(craftZip([
    { name: "a.txt", data: "alpha", zip64: true },
    { name: "b.bin", data: noise(70_000), zip64: true, method: "stored" },
    { name: "c.txt", data: "gamma" },
  ], { zip64: true }));
  const entries = await readZipDirectory(src);
  assertEquals(entries.map((e) => [e.name, e.size]), [["a.txt", 5], ["b.bin", 70_000], [
    "c.txt",
    5,
  ]]);
  assertEquals(entries[1].compressedSize, 70_000);
  assert(entries[1].localHeaderOffset > 0);
  const files = await readArchive(src);
  assertEquals(dec.decode(files.get("a.txt")), "alpha");
  assertEquals(files.get("b.bin"), noise(70_000));
});

Deno.test("readZipDirectory() reads data descriptor entries from the central directory sizes", async () => {
  const src = bytesSource(craftZip([
    { name: "dd.txt", data: "described later", dataDescriptor: true },
    { name: "dd64.txt", data: "zip64 described", dataDescriptor: true, zip64: true },
    { name: "stored.txt", data: "stored too", dataDescriptor: true, method: "stored" },
  ]));
  const files = await readArchive(src);
  assertEquals([...files].map(([k, v]) => [k, dec.decode(v)]), [
    ["dd.txt", "described later"],
    ["dd64.txt", "zip64 described"],
    ["stored.txt", "stored too"],
  ]);
});

Deno.test("readZipDirectory() decodes UTF-8 names, Unicode path fields and CP437 fallback names", async () => {
  const raw = new Uint8Array([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]); // "caf\x82.txt"
  const entries = await readZipDirectory(bytesSource(craftZip([
    { name: "été/日本語.txt", data: "x" }, // flag bit 11 set
    { name: enc.encode("naïve.txt"), data: "x", utf8: false }, // valid UTF-8, no flag
    { name: raw, data: "x" }, // CP437: 0x82 is "é"
    { name: raw, data: "x", extra: unicodePathExtra(raw, "ünïcode.txt") },
  ])));
  assertEquals(entries.map((e) => e.name), [
    "été/日本語.txt",
    "naïve.txt",
    "café.txt",
    "ünïcode.txt",
  ]);
});

Deno.test("readZipDirectory() reports symlinks, encryption and DOS directory attributes", async () => {
  const entries = await readZipDirectory(bytesSource(craftZip([
    { name: "link", data: "/etc/passwd", symlink: true, method: "stored" },
    { name: "secret.txt", data: "x", encrypted: true },
    { name: "dosdir", externalAttrs: 0x10, versionMadeBy: 20, method: "stored" },
    { name: "unixdir", externalAttrs: 0o40755 << 16, method: "stored" },
    { name: "plain", data: "x", externalAttrs: 0o120777 << 16, versionMadeBy: 20 },
  ])));
  assertEquals(entries.map((e) => [e.name, e.isSymlink, e.encrypted, e.isDirectory]), [
    ["link", true, false, false],
    ["secret.txt", false, true, false],
    ["dosdir", false, false, true],
    ["unixdir", false, false, true],
    ["plain", false, false, false], // symlink mode bits only count when made by Unix
  ]);
});

Deno.test("readZipDirectory() reads an archive written by fflate's zipSync", async () => {
  const files = {
    "index.html": enc.encode("<!doctype html><p>hi</p>"),
    "css/site.css": enc.encode("body{color:red}".repeat(200)),
    "img/blob.bin": noise(20_000),
    "ünï/ok.txt": enc.encode("unicode"),
  };
  const zip = zipSync(files, { level: 6 });
  const read = await readArchive(bytesSource(zip));
  assertEquals(new Set(read.keys()), new Set(Object.keys(files)));
  for (const [name, data] of Object.entries(files)) assertEquals(read.get(name), data);
});

Deno.test({
  name: "readZipDirectory() reads archives made by the Info-ZIP zip CLI, to a file and to a pipe",
  ignore: !HAS_ZIP,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/site/css`, { recursive: true });
      await Deno.writeTextFile(`${dir}/site/index.html`, "<h1>zip cli</h1>");
      await Deno.writeTextFile(`${dir}/site/css/a.css`, "p{margin:0}\n".repeat(1000));
      await Deno.writeFile(`${dir}/site/noise.bin`, noise(100_000));
      await Deno.writeTextFile(`${dir}/site/ümlaut.txt`, "utf-8 name");
      const expected = new Map([
        ["site/index.html", enc.encode("<h1>zip cli</h1>")],
        ["site/css/a.css", enc.encode("p{margin:0}\n".repeat(1000))],
        ["site/noise.bin", noise(100_000)],
        ["site/ümlaut.txt", enc.encode("utf-8 name")],
      ]);

      // Seekable output file.
      const toFile = await new Deno.Command("zip", {
        args: ["-q", "-r", `${dir}/out.zip`, "site"],
        cwd: dir,
        env: { LC_ALL: "C.UTF-8" },
      }).output();
      assert(toFile.success, dec.decode(toFile.stderr));
      assertEquals(await readArchive(bytesSource(await Deno.readFile(`${dir}/out.zip`))), expected);

      // Output to a pipe: streamed entries with data descriptors.
      const toPipe = await new Deno.Command("zip", {
        args: ["-q", "-r", "-", "site"],
        cwd: dir,
        env: { LC_ALL: "C.UTF-8" },
        stdout: "piped",
      }).output();
      assert(toPipe.success, dec.decode(toPipe.stderr));
      const piped = toPipe.stdout;
      assert(
        piped.some((b, i) => b === 0x50 && piped[i + 1] === 0x4b && piped[i + 2] === 7),
        "streamed entries end with a data descriptor",
      );
      assertEquals(await readArchive(bytesSource(piped)), expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "readZipDirectory() reads a streamed ZIP64 archive from `zip - -` (stdin to stdout)",
  ignore: !HAS_ZIP,
  async fn() {
    const input = enc.encode("streamed through stdin\n".repeat(5000));
    const child = new Deno.Command("zip", {
      args: ["-q", "-", "-"],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
    const { success, stdout } = await child.output();
    assert(success);
    const src = bytesSource(stdout);
    const [entry] = await readZipDirectory(src);
    assertEquals(entry.name, "-");
    assertEquals(await readAll(openEntry(src, entry)), input);
  },
});

Deno.test("fileSource() reads an archive from a file, also with entries streamed concurrently", async () => {
  const a = noise(200_000, 1);
  const b = noise(200_000, 2);
  const path = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    await Deno.writeFile(path, craftZip([{ name: "a", data: a }, { name: "b", data: b }]));
    using file = await Deno.open(path);
    const src = fileSource(file, (await file.stat()).size);
    const [ea, eb] = await readZipDirectory(src);
    const [ra, rb] = await Promise.all([readAll(openEntry(src, ea)), readAll(openEntry(src, eb))]);
    assertEquals(ra, a);
    assertEquals(rb, b);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("fileSource() refuses reads past the end and a file shorter than its stated size", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, craftZip([{ name: "a.txt", data: "a" }]));
    using file = await Deno.open(path);
    const size = (await file.stat()).size;
    await assertRefused(fileSource(file, size).read(size - 1, 2), "invalid_archive", "corrupt");
    await assertRefused(
      readZipDirectory(fileSource(file, size + 100)),
      "invalid_archive",
      "corrupt",
    );
  } finally {
    await Deno.remove(path);
  }
});

// ---------------------------------------------------------------------------
// Corrupt and hostile directories

const good = craftZip([{ name: "index.html", data: "<p>ok</p>" }, {
  name: "b.txt",
  data: "b",
}]);
const cdOffset = new DataView(good.buffer).getUint32(good.length - 6, true);

/** Archives the reader must refuse when listing, with the expected reason. */
const BAD_DIRECTORIES: [name: string, zip: Uint8Array, reason: string][] = [
  ["an empty upload", new Uint8Array(0), "corrupt"],
  ["a file shorter than an EOCD record", enc.encode("PK\x05\x06"), "corrupt"],
  ["random garbage", noise(10_000, 42), "corrupt"],
  ["a text file", enc.encode("<html>not a zip</html>\n".repeat(10)), "corrupt"],
  ["an archive cut in half", good.slice(0, good.length >> 1), "corrupt"],
  ["an archive missing its last byte", good.slice(0, -1), "corrupt"],
  [
    "an archive with garbage after the EOCD",
    craftZip([{ name: "a", data: "a" }], {
      trailing: enc.encode("junk"),
    }),
    "corrupt",
  ],
  [
    "a central directory offset past the end",
    craftZip([{ name: "a", data: "a" }], { eocd: { cdOffset: 1_000_000 } }),
    "corrupt",
  ],
  [
    "a central directory size past the EOCD",
    craftZip([{ name: "a", data: "a" }], { eocd: { cdSize: 500 } }),
    "corrupt",
  ],
  [
    "an entry count larger than the directory",
    craftZip([{ name: "a", data: "a" }], { eocd: { totalEntries: 2, diskEntries: 2 } }),
    "corrupt",
  ],
  [
    "an entry count smaller than the directory (hidden entries)",
    craftZip([{ name: "a", data: "a" }, { name: "b", data: "b" }], {
      eocd: { totalEntries: 1, diskEntries: 1 },
    }),
    "corrupt",
  ],
  [
    "a central directory with a bad signature",
    (() => {
      const z = good.slice();
      z[cdOffset] = 0x00;
      return z;
    })(),
    "corrupt",
  ],
  [
    "a local header offset inside another entry (overlapping data)",
    craftZip([{ name: "a", data: "aaaaaaaaaaaaaaaa", method: "stored" }, {
      name: "b",
      data: "b",
      localHeaderOffset: 10,
    }]),
    "corrupt",
  ],
  [
    "two entries sharing one local header",
    craftZip([{ name: "a", data: "a" }, { name: "a", data: "a", localHeaderOffset: 0 }]),
    "corrupt",
  ],
  [
    "a local header offset past the central directory",
    craftZip([{ name: "a", data: "a", localHeaderOffset: 5000 }]),
    "corrupt",
  ],
  [
    "a 0xFFFFFFFF size without a ZIP64 extra field",
    craftZip([{ name: "a", data: "a", size: 0xffffffff }]),
    "corrupt",
  ],
  [
    "a ZIP64 locator pointing at garbage",
    (() => {
      const z = craftZip([{ name: "a", data: "a" }], { zip64: true });
      const at = z.length - 22 - 20 - 56; // the EOCD64 record
      z[at] = 0;
      return z;
    })(),
    "corrupt",
  ],
  [
    "a truncated extra field",
    craftZip([{ name: "a", data: "a", extra: new Uint8Array([0x55, 0x54, 0x20, 0x00, 1]) }]),
    "corrupt",
  ],
  [
    "a multi-disk archive",
    craftZip([{ name: "a", data: "a" }], { eocd: { disk: 1 } }),
    "multi_disk",
  ],
  [
    "a multi-disk archive (entry on another disk)",
    craftZip([{ name: "a", data: "a", diskStart: 2 }]),
    "multi_disk",
  ],
  [
    "a multi-disk ZIP64 archive",
    craftZip([{ name: "a", data: "a" }], { zip64: true, eocd: { cdDisk: 3 } }),
    "multi_disk",
  ],
  [
    "a name flagged UTF-8 that is not UTF-8",
    craftZip([{ name: new Uint8Array([0x61, 0xff, 0xfe]), data: "a", utf8: true }]),
    "invalid_path",
  ],
];

for (const [what, zip, reason] of BAD_DIRECTORIES) {
  Deno.test(`readZipDirectory() refuses ${what} (${reason})`, async () => {
    await assertRefused(readZipDirectory(bytesSource(zip)), "invalid_archive", reason);
  });
}

Deno.test("readZipDirectory() accepts an archive comment and a self-extractor prefix", async () => {
  const zip = craftZip([{ name: "a.txt", data: "a" }], {
    comment: "PK\x05\x06 looks like an EOCD but is a comment",
  });
  assertEquals((await readArchive(bytesSource(zip))).get("a.txt"), enc.encode("a"));
  const prefixed = craftZip([{ name: "b.txt", data: "b" }], { prefix: noise(1000) });
  assertEquals((await readArchive(bytesSource(prefixed))).get("b.txt"), enc.encode("b"));
});

Deno.test("readZipDirectory() refuses more entries than maxEntries before parsing them", async () => {
  const entries: CraftEntry[] = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: "x" }));
  await assertRefused(
    readZipDirectory(bytesSource(craftZip(entries)), { maxEntries: 4 }),
    "payload_too_large",
    "too_many_files",
  );
  assertEquals(
    (await readZipDirectory(bytesSource(craftZip(entries)), { maxEntries: 5 })).length,
    5,
  );
  // A claim of a million entries over a garbage directory is refused by the count alone.
  const claim = craftZip([{ name: "a", data: "a" }], {
    zip64: true,
    eocd: { totalEntries: 1_000_000, diskEntries: 1_000_000, cdSize: 10 },
  });
  const src = countingSource(claim);
  await rejects(readZipDirectory(src, { maxEntries: 10_000 }), (err: unknown) => {
    assert(err instanceof FaztError);
    assertEquals(err.code, "payload_too_large");
    assertEquals(err.details, { reason: "too_many_files", limit: 10_000 });
    return true;
  });
  // The tail (here the whole small file), the locator and the ZIP64 record: no entries.
  assert(src.bytesRead <= claim.length + 20 + 56, `read ${src.bytesRead} bytes`);
});

// ---------------------------------------------------------------------------
// Entry data

Deno.test("openEntry() errors with crc_mismatch when the data does not match the declared CRC", async () => {
  for (const method of ["stored", "deflate"] as const) {
    const [src, entry] = await onlyEntry(
      craftZip([{ name: "a.txt", data: "hello", crc32: 0x12345678, method }]),
    );
    await assertRefused(readAll(openEntry(src, entry)), "invalid_archive", "crc_mismatch", "a.txt");
  }
});

Deno.test("openEntry() errors with size_mismatch when the data is shorter than declared", async () => {
  const [src, entry] = await onlyEntry(craftZip([{ name: "short.txt", data: "hello", size: 6 }]));
  await assertRefused(
    readAll(openEntry(src, entry)),
    "invalid_archive",
    "size_mismatch",
    "short.txt",
  );
});

Deno.test("openEntry() errors with size_mismatch when stored data is longer than declared", async () => {
  const [src, entry] = await onlyEntry(
    craftZip([{ name: "long.txt", data: "hello world", size: 5, method: "stored" }]),
  );
  await assertRefused(
    readAll(openEntry(src, entry)),
    "invalid_archive",
    "size_mismatch",
    "long.txt",
  );
});

Deno.test("openEntry() stops a lying bomb (declares 1 KB, inflates to 50 MB) without buffering it", async () => {
  const bomb = deflateRawSync(new Uint8Array(50 * 1024 * 1024));
  const [src, entry] = await onlyEntry(
    craftZip([{ name: "bomb.txt", compressed: bomb, size: 1024, crc32: 0 }]),
  );
  let delivered = 0;
  const started = performance.now();
  await assertRefused(
    (async () => {
      for await (const chunk of openEntry(src, entry)) delivered += chunk.length;
    })(),
    "invalid_archive",
    "size_mismatch",
    "bomb.txt",
  );
  assert(delivered <= 1024 + ZIP_CHUNK_BYTES, `delivered ${delivered} bytes`);
  assert(performance.now() - started < 2000, "stopped quickly");
});

Deno.test("openEntry() stops a 1 GiB lying bomb after reading only a little of it", async () => {
  const compressed = zeroBomb(1024);
  const zip = craftZip([{ name: "gig.bin", compressed, size: 1000, crc32: 0 }]);
  const src = countingSource(zip);
  const [entry] = await readZipDirectory(src);
  const before = src.bytesRead;
  const memBefore = Deno.memoryUsage().rss;
  let delivered = 0;
  await assertRefused(
    (async () => {
      for await (const chunk of openEntry(src, entry)) delivered += chunk.length;
    })(),
    "invalid_archive",
    "size_mismatch",
  );
  assert(delivered <= 1000 + ZIP_CHUNK_BYTES, `delivered ${delivered} bytes`);
  const read = src.bytesRead - before;
  assert(read <= 4 * ZIP_CHUNK_BYTES, `read ${read} of ${compressed.length} compressed bytes`);
  const grown = Deno.memoryUsage().rss - memBefore;
  assert(grown < 64 * 1024 * 1024, `memory grew by ${grown} bytes`);
});

Deno.test("openEntry() errors with corrupt for damaged deflate data", async () => {
  const [src, entry] = await onlyEntry(
    craftZip([{ name: "bad.txt", compressed: new Uint8Array([0xff, 0xff, 0xff, 0xff]), size: 4 }]),
  );
  await assertRefused(readAll(openEntry(src, entry)), "invalid_archive", "corrupt", "bad.txt");
  const cut = deflateRawSync(enc.encode("hello hello hello hello")).subarray(0, 5);
  const [src2, entry2] = await onlyEntry(
    craftZip([{ name: "cut.txt", data: "hello hello hello hello", compressed: cut }]),
  );
  await assertRefused(readAll(openEntry(src2, entry2)), "invalid_archive", "corrupt", "cut.txt");
});

Deno.test("openEntry() errors with unsupported_method for methods other than stored and deflate", async () => {
  for (const method of [12, 14, 93, 99]) {
    const [src, entry] = await onlyEntry(craftZip([{ name: "x.bz2", data: "xyz", method }]));
    assertEquals(entry.method, method);
    await assertRefused(
      readAll(openEntry(src, entry)),
      "invalid_archive",
      "unsupported_method",
      "x.bz2",
    );
  }
});

Deno.test("openEntry() errors with encrypted for encrypted entries", async () => {
  const [src, entry] = await onlyEntry(craftZip([{ name: "s.txt", data: "s", encrypted: true }]));
  await assertRefused(readAll(openEntry(src, entry)), "invalid_archive", "encrypted", "s.txt");
});

Deno.test("openEntry() checks the local header: signature, method, and data inside the file", async () => {
  const zip = craftZip([{ name: "a.txt", data: "abc" }]);
  zip[0] = 0x50 ^ 0xff;
  const [src, entry] = await onlyEntry(zip);
  await assertRefused(readAll(openEntry(src, entry)), "invalid_archive", "corrupt", "a.txt");

  const [src2, entry2] = await onlyEntry(
    craftZip([{ name: "m.txt", data: "abc", method: "stored", localMethod: 8 }]),
  );
  await assertRefused(readAll(openEntry(src2, entry2)), "invalid_archive", "corrupt", "m.txt");

  // A local extra length that pushes the data past the end of the file.
  const pushed = craftZip([{ name: "n.txt", data: "abc", method: "stored" }]);
  pushed.set([0xff, 0xff], 28);
  const [src3, entry3] = await onlyEntry(pushed);
  await assertRefused(readAll(openEntry(src3, entry3)), "invalid_archive", "corrupt", "n.txt");
});

Deno.test("openEntry() uses the local header's own name and extra lengths to find the data", async () => {
  const [src, entry] = await onlyEntry(
    craftZip([{ name: "long-central-name.txt", localName: "x", data: "payload" }]),
  );
  assertEquals(dec.decode(await readAll(openEntry(src, entry))), "payload");
});

Deno.test("openEntry() can be cancelled midway without leaking work", async () => {
  const [src, entry] = await onlyEntry(craftZip([{ name: "n.bin", data: noise(1_000_000) }]));
  const reader = openEntry(src, entry).getReader();
  const first = await reader.read();
  assert(!first.done && first.value.length > 0);
  await reader.cancel();
});
