/**
 * End-to-end: the kernel database gives free pages back by itself after
 * version retention and app removal (no call asks for it), and
 * `system.status` shows its size and free pages.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { zipSync } from "fflate";
import { startServer, type TestServer } from "../_helpers/server.ts";

const MiB = 1024 * 1024;

/** The part of `system.status` about the store. */
interface StoreStatus {
  fileBytes: number;
  walBytes: number;
  pageSize: number;
  pages: number;
  freePages: number;
  freeBytes: number;
  autoVacuum: string;
  vacuum: { running: boolean; pagesFreed: number; steps: number; maxStepMs: number };
}

async function storeStatus(server: TestServer): Promise<StoreStatus> {
  const res = await server.api("GET", "/system/status");
  assert.equal(res.status, 200);
  return (await res.json()).store;
}

/** Deploys `mb` MB of random (incompressible) bytes as the app `name`. */
async function deployRandom(server: TestServer, name: string, mb: number): Promise<void> {
  const bytes = new Uint8Array(mb * MiB);
  for (let i = 0; i < bytes.length; i += 65_536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  }
  const zip = zipSync({
    "index.html": [bytes.subarray(0, 100), { level: 0 }],
    "data.bin": [bytes, { level: 0 }],
  });
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zip,
  });
  assert.equal(res.status, 200, await res.text());
}

async function until(
  server: TestServer,
  what: string,
  ok: (s: StoreStatus) => boolean,
): Promise<StoreStatus> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await storeStatus(server);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("free pages go back to the disk after retention and app removal, and status shows them", async () => {
  const server = await startServer({ args: ["--keep-versions", "0"] });
  try {
    const fresh = await storeStatus(server);
    assert.equal(fresh.autoVacuum, "incremental");
    assert.equal(fresh.pageSize, 4096);
    assert.equal(fresh.freeBytes, fresh.freePages * fresh.pageSize);
    const main = Deno.statSync(join(server.dataDir, "kernel.db")).size;
    assert.equal(fresh.fileBytes - fresh.walBytes, main);

    await deployRandom(server, "big", 4);
    const deployed = await storeStatus(server);
    assert.ok(deployed.pages * deployed.pageSize > 4 * MiB, JSON.stringify(deployed));

    // The second deploy prunes the first version (keep 0) and its 4 MB blob.
    await deployRandom(server, "big", 4);
    const pruned = await until(
      server,
      "pages of the pruned version given back",
      (s) => s.freePages === 0 && s.vacuum.pagesFreed >= 900 && !s.vacuum.running,
    );

    const del = await server.api("DELETE", "/apps/big");
    assert.equal(del.status, 200, await del.text());
    const removed = await until(
      server,
      "pages of the removed app given back",
      (s) => s.freePages === 0 && s.vacuum.pagesFreed >= pruned.vacuum.pagesFreed + 900,
    );
    assert.ok(removed.pages < pruned.pages - 900, `${pruned.pages} → ${removed.pages} pages`);
    assert.ok(removed.vacuum.steps >= 2);
  } finally {
    await server.stop();
  }
});
