/**
 * The import service on real in-process kernels: an export of one kernel
 * imports into another with its files and data; the name and the ID follow
 * the caller's choice; a refused import (a taken ID, a bad name) leaves no
 * app, no data folder and nothing in the temp folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withKernel } from "../../../_helpers/kernel.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { zipSync } from "fflate";

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const streamOf = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();

Deno.test("an export of one kernel imports into another, with a new or the same ID", async () => {
  await withKernel(async (a) => {
    assert.equal((await a.deploy("notes", { "index.html": "<p>notes</p>" })).status, 200);
    const sourceId = a.kernel.services.apps.resolve("notes").id;
    await a.kernel.services.appData.forApp(sourceId).kv.set("greeting", { hi: true });
    const out = await a.kernel.services.appExport.exportApp("notes", { withData: true });
    const archive = await bytesOf(out.stream);

    await withKernel(async (b) => {
      const s = b.kernel.services;
      const fresh = await s.appImport.importApp({ archive: streamOf(archive) });
      assert.equal(fresh.app.name, "notes");
      assert.notEqual(fresh.app.id, sourceId);
      assert.equal(fresh.sourceId, sourceId);
      assert.equal(fresh.version.number, 1);
      assert.equal(fresh.withData, true);
      assert.deepEqual(await s.appData.forApp(fresh.app.id).kv.get("greeting"), { hi: true });
      const page = await b.get("notes.localhost", "/");
      assert.equal(await page.text(), "<p>notes</p>");

      const kept = await s.appImport.importApp({
        archive: streamOf(archive),
        name: "notes-kept",
        keepId: true,
      });
      assert.equal(kept.app.id, sourceId);
      assert.deepEqual(await s.appData.forApp(sourceId).kv.get("greeting"), { hi: true });

      await assert.rejects(
        s.appImport.importApp({ archive: streamOf(archive), name: "notes-3", keepId: true }),
        (e) => e instanceof FaztError && e.code === "conflict" && e.details.id === sourceId,
      );
      await assert.rejects(
        s.appImport.importApp({ archive: streamOf(archive), name: "Not A Name" }),
        (e) => e instanceof FaztError && e.code === "invalid_name",
      );
      assert.deepEqual(s.apps.list().map((x) => x.name), ["notes", "notes-kept"]);
      assert.deepEqual(
        [...Deno.readDirSync(join(b.dataDir, "apps"))].map((e) => e.name).sort(),
        [fresh.app.id, sourceId].sort(),
      );
      assert.deepEqual([...Deno.readDirSync(join(b.dataDir, "tmp"))], []);
    });
  });
});

Deno.test("an app holding megabytes of zeros survives the import's zip-bomb check", async () => {
  await withKernel(async (a) => {
    const zeros = new Uint8Array(4 * 1024 * 1024);
    const zip = zipSync({ "index.html": new TextEncoder().encode("z"), "zeros.txt": zeros }, {
      level: 0,
    });
    const deployed = await a.api("POST", "/deploy?app=zeros", {
      raw: { body: zip as Uint8Array<ArrayBuffer>, type: "application/zip" },
    });
    assert.equal(deployed.status, 200, await deployed.text());
    const id = a.kernel.services.apps.resolve("zeros").id;
    await a.kernel.services.appData.forApp(id).blobs.put("empty.bin", zeros);
    const out = await a.kernel.services.appExport.exportApp("zeros", { withData: true });
    const archive = await bytesOf(out.stream);
    await withKernel(async (b) => {
      const result = await b.kernel.services.appImport.importApp({ archive: streamOf(archive) });
      const blob = await b.kernel.services.appData.forApp(result.app.id).blobs.get("empty.bin");
      assert.equal(blob?.bytes.length, zeros.length);
      const file = b.kernel.services.apps.readFile("zeros", "zeros.txt", undefined, 8 << 20);
      assert.deepEqual(file.bytes, zeros);
    });
  });
});
