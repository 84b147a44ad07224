import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import { zipFiles } from "../../apps/zip_writer.ts";
import { bytesSource, openEntry, readZipDirectory } from "../../apps/zip_reader.ts";

const enc = new TextEncoder();

function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  crypto.getRandomValues(out);
  return out;
}

Deno.test("zipFiles() round-trips through our reader and fflate: deflated, stored, UTF-8 names", async () => {
  const text = enc.encode("body { color: red; }\n".repeat(5000));
  const noise = random(4096);
  const files = [
    { name: "css/site.css", data: text, deflate: true },
    { name: "img/logo.png", data: noise, deflate: false },
    { name: "noise.txt", data: noise, deflate: true },
    { name: "grüße/wörld.txt", data: enc.encode("hallo"), deflate: true },
    { name: "empty.txt", data: new Uint8Array(0), deflate: true },
  ];
  const zip = zipFiles(files);
  const entries = await readZipDirectory(bytesSource(zip));
  assert.deepEqual(entries.map((e) => e.name), files.map((f) => f.name));
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get("css/site.css")!.method, 8);
  assert.ok(byName.get("css/site.css")!.compressedSize < text.length / 10);
  assert.equal(byName.get("img/logo.png")!.method, 0);
  assert.equal(byName.get("noise.txt")!.method, 0, "stored when deflate does not help");
  for (const f of files) {
    const got = new Uint8Array(
      await new Response(openEntry(bytesSource(zip), byName.get(f.name)!)).arrayBuffer(),
    );
    assert.deepEqual(got, f.data, f.name);
  }
  const unzipped = unzipSync(zip);
  for (const f of files) assert.deepEqual(unzipped[f.name], f.data, `fflate: ${f.name}`);
});

Deno.test("zipFiles() is deterministic and stamps every entry 1980-01-01 00:00", () => {
  const files = [{ name: "a.txt", data: enc.encode("a".repeat(1000)), deflate: true }];
  const a = zipFiles(files);
  assert.deepEqual(zipFiles(files), a);
  const view = new DataView(a.buffer, a.byteOffset);
  assert.equal(view.getUint16(10, true), 0, "DOS time");
  assert.equal(view.getUint16(12, true), (1 << 5) | 1, "DOS date");
});

Deno.test("zipFiles() refuses more entries than a zip without ZIP64 holds", () => {
  const files = Array.from({ length: 65_536 }, (_, i) => ({
    name: `f${i}`,
    data: new Uint8Array(0),
    deflate: false,
  }));
  assert.throws(() => zipFiles(files), /at most 65,535/);
});
