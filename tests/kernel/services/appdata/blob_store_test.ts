import assert from "node:assert/strict";
import { rejectsWith, T0, withApp } from "../../../_helpers/appdata.ts";

function pseudoRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const BINARIES: [string, Uint8Array][] = [
  ["every byte value", Uint8Array.from({ length: 256 }, (_, i) => i)],
  ["an empty blob", new Uint8Array(0)],
  ["zero bytes only", new Uint8Array(1000)],
  ["300 KiB of noise", pseudoRandomBytes(300 * 1024)],
  ["bytes that are not UTF-8", Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x80])],
];
for (const [name, bytes] of BINARIES) {
  Deno.test(`blobs put() then get() returns ${name} byte for byte`, async () => {
    await withApp(async (app) => {
      await app.blobs.put("data/file.bin", bytes);
      const got = await app.blobs.get("data/file.bin");
      assert.ok(got);
      assert.equal(got.size, bytes.byteLength);
      assert.ok(got.bytes instanceof Uint8Array);
      assert.deepEqual(got.bytes, bytes);
    });
  });
}

Deno.test("blobs keep their type and write time; the default type is application/octet-stream", async () => {
  await withApp(async (app, { clock }) => {
    await app.blobs.put("a.bin", new Uint8Array([1]));
    clock.t = T0 + 5;
    await app.blobs.put("logo.svg", new TextEncoder().encode("<svg/>"), { type: "image/svg+xml" });
    const a = await app.blobs.get("a.bin");
    const logo = await app.blobs.get("logo.svg");
    assert.equal(a?.type, "application/octet-stream");
    assert.equal(a?.updatedAt, T0);
    assert.equal(logo?.type, "image/svg+xml");
    assert.equal(logo?.updatedAt, T0 + 5);
    assert.equal(new TextDecoder().decode(logo?.bytes), "<svg/>");
  });
});

Deno.test("blobs put() replaces and delete() reports whether there was a blob", async () => {
  await withApp(async (app) => {
    await app.blobs.put("f", new Uint8Array([1, 2, 3]), { type: "a/b" });
    await app.blobs.put("f", new Uint8Array([9]));
    const got = await app.blobs.get("f");
    assert.deepEqual(got?.bytes, new Uint8Array([9]));
    assert.equal(got?.type, "application/octet-stream");
    assert.equal(await app.blobs.delete("f"), true);
    assert.equal(await app.blobs.get("f"), null);
    assert.equal(await app.blobs.delete("f"), false);
  });
});

Deno.test("blobs list() returns metadata in path order, by prefix, limit and after", async () => {
  await withApp(async (app) => {
    for (const path of ["img/b.png", "img/a.png", "imgs/x", "doc/readme.txt", "img/c/d.png"]) {
      await app.blobs.put(path, new Uint8Array(path.length), { type: "t/x" });
    }
    const all = await app.blobs.list();
    assert.deepEqual(all.map((b) => b.path), [
      "doc/readme.txt",
      "img/a.png",
      "img/b.png",
      "img/c/d.png",
      "imgs/x",
    ]);
    assert.deepEqual(all[0], { path: "doc/readme.txt", size: 14, type: "t/x", updatedAt: T0 });
    const img = await app.blobs.list({ prefix: "img/" });
    assert.deepEqual(img.map((b) => b.path), ["img/a.png", "img/b.png", "img/c/d.png"]);
    const page1 = await app.blobs.list({ prefix: "img/", limit: 2 });
    assert.deepEqual(page1.map((b) => b.path), ["img/a.png", "img/b.png"]);
    const page2 = await app.blobs.list({ prefix: "img/", limit: 2, after: page1[1].path });
    assert.deepEqual(page2.map((b) => b.path), ["img/c/d.png"]);
    await rejectsWith(app.blobs.list({ limit: 1001 }), "invalid_input");
  });
});

const BAD_PATHS: [string, string][] = [
  ["an empty path", ""],
  ["an absolute path", "/etc/passwd"],
  ["a parent segment", "a/../b"],
  ["only ..", ".."],
  ["a leading ..", "../other-app/store.db"],
  ["a . segment", "./a"],
  ["an empty segment", "a//b"],
  ["a trailing slash", "a/"],
  ["a backslash", "a\\b"],
  ["a NUL byte", "a\u0000b"],
  ["a newline", "a\nb"],
  ["1025 bytes", "x".repeat(1025)],
  ["a lone surrogate", "a\ud800"],
];
for (const [name, path] of BAD_PATHS) {
  Deno.test(`blobs refuse a path with ${name}`, async () => {
    await withApp(async (app) => {
      await rejectsWith(app.blobs.put(path, new Uint8Array(1)), "invalid_input", /blob path/);
      await rejectsWith(app.blobs.get(path), "invalid_input", /blob path/);
      await rejectsWith(app.blobs.delete(path), "invalid_input", /blob path/);
      assert.deepEqual(await app.blobs.list(), []);
    });
  });
}

Deno.test("blobs accept paths of 1024 bytes, dots inside names and unicode", async () => {
  await withApp(async (app) => {
    for (const path of ["x".repeat(1024), "a/.hidden", "a/b..c", "fotos/été 🌞.jpg", "...x"]) {
      await app.blobs.put(path, new Uint8Array([1]));
      assert.equal((await app.blobs.get(path))?.size, 1, path);
    }
  });
});

Deno.test("blobs larger than the limit are payload_too_large", async () => {
  await withApp(async (app) => {
    await app.blobs.put("fits", new Uint8Array(1024));
    await rejectsWith(
      app.blobs.put("big", new Uint8Array(1025)),
      "payload_too_large",
      /1025 bytes; the limit is 1024/,
    );
    assert.equal(await app.blobs.get("big"), null);
  }, { limits: { maxBlobBytes: 1024 } });
});

const BAD_PUTS: [string, unknown, unknown][] = [
  ["bytes given as a string", "text", undefined],
  ["bytes given as an array", [1, 2], undefined],
  ["bytes given as an ArrayBuffer", new ArrayBuffer(2), undefined],
  ["an empty type", new Uint8Array(1), ""],
  ["a type with a newline", new Uint8Array(1), "text/plain\nx-evil: 1"],
  ["a type that is not a string", new Uint8Array(1), 5],
];
for (const [name, bytes, type] of BAD_PUTS) {
  Deno.test(`blobs put() refuses ${name}`, async () => {
    await withApp(async (app) => {
      await rejectsWith(
        app.blobs.put("f", bytes as Uint8Array, { type: type as string }),
        "invalid_input",
      );
      assert.equal(await app.blobs.get("f"), null);
    });
  });
}
