/**
 * The export service on a real in-process kernel: what it refuses, that
 * the archive describes the live version exactly, and that a data snapshot
 * taken while the app keeps writing is a sound database holding every
 * write finished before the export started.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { unzipSync } from "fflate";
import { withKernel } from "../../../_helpers/kernel.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("export refuses unknown apps and apps without files", async () => {
  await withKernel(async ({ kernel }) => {
    const s = kernel.services;
    await assert.rejects(
      s.appExport.exportApp("nope", { withData: false }),
      (e) => e instanceof FaztError && e.code === "not_found",
    );
    await s.apps.create("empty");
    await assert.rejects(
      s.appExport.exportApp("empty", { withData: false }),
      (e) => e instanceof FaztError && e.code === "not_found" && /no files yet/.test(e.message),
    );
  });
});

Deno.test("an export describes the live version and leaves nothing in the temp folder", async () => {
  await withKernel(async ({ kernel, dataDir, deploy }) => {
    assert.equal((await deploy("blog", { "index.html": "v1" })).status, 200);
    assert.equal((await deploy("blog", { "index.html": "v2", "a/b.txt": "x" })).status, 200);
    const out = await kernel.services.appExport.exportApp("blog", { withData: true });
    assert.equal(out.filename, "blog.fazt");
    assert.deepEqual(out.manifest.data, [], "an app that never stored data has no snapshot");
    const zip = unzipSync(await bytesOf(out.stream));
    assert.deepEqual(
      Object.keys(zip).sort(),
      ["a/b.txt", "index.html", "fazt-app.json"].map((
        p,
      ) => p === "fazt-app.json" ? p : `files/${p}`).sort(),
    );
    assert.equal(new TextDecoder().decode(zip["files/index.html"]), "v2");
    assert.deepEqual([...Deno.readDirSync(join(dataDir, "tmp"))], []);
  });
});

Deno.test("a cancelled export releases its snapshot files", async () => {
  await withKernel(async ({ kernel, dataDir, deploy }) => {
    assert.equal((await deploy("blog", { "index.html": "x" })).status, 200);
    await kernel.services.appData.forApp(kernel.services.apps.resolve("blog").id).kv.set("k", 1);
    const out = await kernel.services.appExport.exportApp("blog", { withData: true });
    assert.equal(out.manifest.data.length, 1);
    assert.equal([...Deno.readDirSync(join(dataDir, "tmp"))].length, 1, "the snapshot is staged");
    const reader = out.stream.getReader();
    await reader.read();
    await reader.cancel();
    assert.deepEqual([...Deno.readDirSync(join(dataDir, "tmp"))], []);
  });
});

Deno.test("a snapshot taken under writes is sound and holds every earlier write", async () => {
  await withKernel(async ({ kernel, deploy }) => {
    assert.equal((await deploy("busy", { "index.html": "x" })).status, 200);
    const id = kernel.services.apps.resolve("busy").id;
    const kv = kernel.services.appData.forApp(id).kv;
    for (let i = 0; i < 200; i++) await kv.set(`before-${i}`, i);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await kv.set(`during-${i}`, "x".repeat(1000));
        // A write can finish within microtasks; let the export's own I/O run.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    })();
    const out = await kernel.services.appExport.exportApp("busy", { withData: true });
    writing = false;
    await writer;
    const zip = unzipSync(await bytesOf(out.stream));
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(join(dir, "store.db"), zip["data/store.db"]);
      const db = new DatabaseSync(join(dir, "store.db"), { readOnly: true });
      try {
        assert.deepEqual(db.prepare("PRAGMA integrity_check").all().map((r) => r.integrity_check), [
          "ok",
        ]);
        const { n } = db.prepare("SELECT count(*) AS n FROM kv WHERE key LIKE 'before-%'")
          .get() as {
            n: number;
          };
        assert.equal(n, 200);
        assert.equal(
          (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
          "delete",
          "the snapshot is one self-contained file",
        );
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
