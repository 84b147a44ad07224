/**
 * End-to-end specification of import atomicity: a server killed with
 * SIGKILL in the middle of `POST /_fazt/api/apps/import` (while the upload
 * arrives, while the data snapshot is staged and checked, inside the write
 * transaction) restarts with no trace of the app: no app row, version,
 * blob or data folder, a consistent database and an empty temp folder. The
 * same archive then imports completely, with its exported ID, replacing a
 * data folder that no app owns (what a crash between moving the data in and
 * the commit would leave).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { zipSync } from "fflate";
import { startServer, type TestServer } from "../_helpers/server.ts";
import { openDatabase } from "../../kernel/store/database.ts";
import { APPDATA_MIGRATIONS } from "../../kernel/services/appdata/store_schema.ts";

const enc = new TextEncoder();
const MiB = 1024 * 1024;
const SOURCE_ID = "app_bbbbbbbbbbbbbbbb";

function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(size, at + 65536)));
  }
  return out;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A real `store.db` (fazt's schema) holding `blobMiB` MiB of random blobs. */
async function storeDb(blobMiB: number): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    const db = openDatabase({ path: join(dir, "store.db"), migrations: APPDATA_MIGRATIONS });
    await db.write((w) => {
      const put = w.prepare(
        "INSERT INTO blobs (path, type, size, updated_at, data) VALUES (?, 'x', ?, 0, ?)",
      );
      for (let i = 0; i < blobMiB; i++) put.run(`b${i}`, MiB, randomBytes(MiB));
      w.prepare("INSERT INTO kv (key, value, updated_at) VALUES ('marker', '\"yes\"', 0)").run();
    });
    await db.close();
    const copy = new DatabaseSync(join(dir, "store.db"));
    copy.exec("PRAGMA journal_mode = DELETE");
    copy.close();
    return await Deno.readFile(join(dir, "store.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A `.fazt` archive of `filesMiB` MiB of random files and a store.db, stored uncompressed. */
async function bigArchive(filesMiB: number, dataMiB: number): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = { "index.html": enc.encode("<h1>big</h1>") };
  for (let left = filesMiB, n = 0; left > 0; left -= 24, n++) {
    files[`blob-${n}.bin`] = randomBytes(Math.min(24, left) * MiB);
  }
  const store = await storeDb(dataMiB);
  const manifest = {
    format: "fazt-app",
    formatVersion: 1,
    faztVersion: "0.1.0",
    exportedAt: new Date().toISOString(),
    withData: true,
    app: { id: SOURCE_ID, name: "big", title: null },
    manifest: {},
    files: Object.entries(files).map(([path, b]) => ({ path, size: b.length, sha256: sha256(b) })),
    data: [{ path: "data/store.db", size: store.length, sha256: sha256(store) }],
  };
  return zipSync({
    "fazt-app.json": enc.encode(JSON.stringify(manifest)),
    ...Object.fromEntries(Object.entries(files).map(([p, b]) => [`files/${p}`, b])),
    "data/store.db": store,
  }, { level: 0 });
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return -1;
  }
}

function dirNames(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return [];
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a watcher sees while an import runs. */
interface ImportProgress {
  sent: number;
  total: number;
  /** Size of the spooled upload (-1 when none). */
  spooled: number;
  /** Size of the staged store.db (-1 when none). */
  staged: number;
  walGrowth: number;
}

interface KillPoint {
  name: string;
  /** [files MiB, data MiB] to try, smallest first. */
  sizes: [number, number][];
  holdAt?: (total: number) => number;
  ready(p: ImportProgress): boolean;
}

const KILL_POINTS: KillPoint[] = [
  {
    name: "while the upload is being received",
    sizes: [[16, 1]],
    holdAt: (total) => Math.floor(total / 2),
    ready: (p) => p.spooled >= 4 * MiB && p.sent < p.total,
  },
  {
    name: "while the data snapshot is staged and checked",
    sizes: [[1, 48], [1, 96]],
    ready: (p) => p.sent === p.total && p.staged >= 0,
  },
  {
    name: "inside the write transaction",
    sizes: [[96, 1], [168, 1]],
    ready: (p) => p.sent === p.total && p.walGrowth > 8 * MiB && p.walGrowth < p.total * 0.75,
  },
];

/** Streams the archive to the import route, pausing at `holdAt` until `released`. */
function streamImport(
  server: TestServer,
  body: Uint8Array,
  holdAt: number,
  released: Promise<void>,
): { sent: () => number; outcome: Promise<string>; done: Promise<void> } {
  let sent = 0;
  const req = request({
    host: "127.0.0.1",
    port: server.port,
    method: "POST",
    path: "/_fazt/api/apps/import?keepId=true",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
  });
  const outcome = new Promise<string>((resolve) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c: Uint8Array) => text += new TextDecoder().decode(c));
      res.on("end", () => resolve(`HTTP ${res.statusCode}: ${text}`));
      res.on("error", (err) => resolve(`response failed: ${err.message}`));
    });
    req.on("error", (err) => resolve(`request failed: ${err.message}`));
  });
  const done = (async () => {
    while (sent < body.length && !req.destroyed) {
      if (sent >= holdAt) {
        await released;
        break;
      }
      const end = Math.min(sent + MiB, holdAt);
      const flushed = req.write(body.subarray(sent, end));
      sent = end;
      if (!flushed) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            req.off("drain", go);
            req.off("close", go);
            resolve();
          };
          req.on("drain", go);
          req.on("close", go);
        });
      }
    }
    if (sent === body.length && !req.destroyed) req.end();
    else req.destroy();
  })();
  return { sent: () => sent, outcome, done };
}

/**
 * Starts a server, streams the archive and SIGKILLs the server once
 * `point.ready`. Returns the data folder and the archive, or undefined when
 * the import was answered before the kill point.
 */
async function killMidImport(
  point: KillPoint,
  [filesMiB, dataMiB]: [number, number],
): Promise<{ dataDir: string; archive: Uint8Array } | undefined> {
  const server = await startServer();
  const dataDir = server.dataDir;
  let keep = false;
  try {
    const archive = await bigArchive(filesMiB, dataMiB);
    const wal = join(dataDir, "kernel.db-wal");
    const walBefore = Math.max(0, fileSize(wal));
    let release = (): void => {};
    const released = new Promise<void>((resolve) => release = resolve);
    const upload = streamImport(
      server,
      archive,
      point.holdAt?.(archive.length) ?? archive.length,
      released,
    );
    let settled: string | undefined;
    upload.outcome.then((o) => settled = o);
    let killed = false;
    const deadline = Date.now() + 60_000;
    while (!killed && settled === undefined) {
      assert.ok(Date.now() < deadline, "the import neither finished nor reached the kill point");
      const work = dirNames(join(dataDir, "tmp")).find((n) => n.startsWith("import-"));
      const progress: ImportProgress = {
        sent: upload.sent(),
        total: archive.length,
        spooled: work ? fileSize(join(dataDir, "tmp", work, "upload.fazt")) : -1,
        staged: work ? fileSize(join(dataDir, "tmp", work, "data", "store.db")) : -1,
        walGrowth: Math.max(0, fileSize(wal)) - walBefore,
      };
      if (point.ready(progress)) {
        await server.stop("SIGKILL");
        killed = true;
      } else await delay(1);
    }
    release();
    const outcome = await upload.outcome;
    await upload.done;
    if (!killed) {
      assert.match(outcome, /^HTTP 201/, "the import itself must succeed");
      return undefined;
    }
    assert.doesNotMatch(outcome, /^HTTP/, "the import was never answered");
    keep = true;
    return { dataDir, archive };
  } finally {
    await server.stop("SIGKILL");
    if (!keep) await Deno.remove(dataDir, { recursive: true });
  }
}

for (const point of KILL_POINTS) {
  Deno.test(`kill -9 ${point.name} leaves no app, and the import then succeeds`, async () => {
    let killed: { dataDir: string; archive: Uint8Array } | undefined;
    for (const size of point.sizes) {
      killed = await killMidImport(point, size);
      if (killed) break;
    }
    assert.ok(
      killed,
      `every import (${
        JSON.stringify(point.sizes)
      }) finished before the kill point "${point.name}"`,
    );
    const { dataDir, archive } = killed;
    const server = await startServer({ dataDir });
    try {
      assert.deepEqual(dirNames(join(dataDir, "tmp")), [], "the restart empties the temp folder");
      const apps = await (await server.api("GET", "/apps")).json();
      assert.deepEqual(apps, [], "no app after the crash");
      assert.deepEqual(dirNames(join(dataDir, "apps")), [], "no app data folder");
      const db = new DatabaseSync(join(dataDir, "kernel.db"), { readOnly: true });
      try {
        const integrity = db.prepare("PRAGMA integrity_check").all().map((r) => r.integrity_check);
        assert.deepEqual(integrity, ["ok"]);
        for (const table of ["apps", "versions", "version_files", "blobs"]) {
          const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
          assert.equal(n, 0, `no rows left in ${table}`);
        }
      } finally {
        db.close();
      }

      // What a crash between moving the data in and the commit would leave:
      // a data folder no app owns. The import replaces it.
      await Deno.mkdir(join(dataDir, "apps", SOURCE_ID), { recursive: true });
      await Deno.writeTextFile(join(dataDir, "apps", SOURCE_ID, "store.db"), "stale leftover");
      const res = await fetch(`${server.url}/_fazt/api/apps/import?keepId=true`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
        body: archive as Uint8Array<ArrayBuffer>,
      });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      assert.equal(JSON.parse(text).app.id, SOURCE_ID);
      const page = await server.fetch("big.localhost", "/");
      assert.equal(await page.text(), "<h1>big</h1>");
      const kv = await (await server.api("GET", "/apps/big/data/kv/marker")).json();
      assert.equal(kv.value, "yes");
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}
