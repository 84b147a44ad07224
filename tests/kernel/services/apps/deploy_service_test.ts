import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { createDeployService } from "../../../../kernel/services/apps/deploy_service.ts";
import { versionFiles } from "../../../../kernel/services/vfs/version_store.ts";
import { readBlob, readVariant } from "../../../../kernel/services/vfs/content_store.ts";
import { createVariantCompressor } from "../../../../kernel/services/vfs/variant_compressor.ts";

Deno.test("files past the in-memory budget are read again from the spool: all stored, app.json read, text compressed after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-deploy-" });
  const db = openDatabase({ path: `${dir}/k.db`, migrations: KERNEL_MIGRATIONS });
  try {
    const files: Record<string, Uint8Array> = {};
    // 6 MB of distinct small files before the manifest and a text file: more than is kept in memory.
    for (let i = 0; i < 600; i++) {
      const bytes = new Uint8Array(10 * 1024);
      crypto.getRandomValues(bytes);
      files[`a/${String(i).padStart(3, "0")}.bin`] = bytes;
    }
    const text = "body { color: red; }\n".repeat(2000);
    files["z/style.css"] = new TextEncoder().encode(text);
    files["zz/app.json"] = new TextEncoder().encode("{}");
    files["app.json"] = new TextEncoder().encode(JSON.stringify({ name: "late" }));
    const zip = zipSync(
      Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level: 0 }]])),
    );
    const deploy = createDeployService({
      db,
      tmpDir: `${dir}/tmp`,
      keepVersions: 1,
      maxUploadBytes: 64 * 1024 * 1024,
      onChange: () => {},
    });
    const result = await deploy.deploy({ archive: new Blob([zip]).stream() });
    assert.equal(result.app.name, "late", "app.json at the end of the archive was read");
    const stored = versionFiles(db.read, result.version.id);
    assert.equal(stored.length, Object.keys(files).length);
    for (const f of stored) {
      assert.deepEqual(readBlob(db.read, f.hash), files[f.path], f.path);
    }
    const css = stored.find((f) => f.path === "z/style.css")!;
    assert.equal(
      readVariant(db.read, css.hash, "gzip"),
      undefined,
      "the deploy compressed nothing",
    );
    const compressor = createVariantCompressor({
      db,
      onPublished: () => {},
      onError: (err) => assert.fail(String(err)),
    });
    compressor.wake();
    await compressor.idle();
    const gz = readVariant(db.read, css.hash, "gzip");
    assert.ok(gz && gz.length < text.length / 10, "the text file read back was compressed");
    const bin = stored.find((f) => f.path === "a/000.bin")!;
    assert.equal(readVariant(db.read, bin.hash, "br"), undefined, "binary files are left alone");
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
