/**
 * End-to-end specification of deploy atomicity over real HTTP against a
 * real server process: concurrent deploys of one app never mix files, a
 * server killed with SIGKILL in the middle of a deploy restarts with the
 * previous version live and a consistent database, old versions are pruned
 * with their blobs, and identical content is stored once across apps.
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
import { type CraftEntry, craftZip } from "../_helpers/zip_craft.ts";

const enc = new TextEncoder();
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------
// Helpers

/** A version as the API shows it. */
interface VersionView {
  number: number;
  live: boolean;
  files: number;
}

/** The body of a successful deploy. */
interface DeployReply {
  version: VersionView;
  created: boolean;
}

/** The body of `GET /_fazt/api/apps/{app}`. */
interface AppReply {
  name: string;
  version: number | null;
  versions: VersionView[];
}

/** A plain, valid zip built with fflate. */
function zipOf(files: Record<string, string | Uint8Array>): Uint8Array<ArrayBuffer> {
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? enc.encode(v) : v]),
    ),
  ) as Uint8Array<ArrayBuffer>;
}

/** Deploys a zip to `app` and returns the status and the raw body. */
async function deploy(
  server: TestServer,
  app: string,
  zip: Uint8Array<ArrayBuffer>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=${app}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
    body: zip,
  });
  return { status: res.status, text: await res.text() };
}

/** Deploys and asserts success. */
async function deployOk(
  server: TestServer,
  app: string,
  zip: Uint8Array<ArrayBuffer>,
): Promise<DeployReply> {
  const { status, text } = await deploy(server, app, zip);
  assert.equal(status, 200, text);
  return JSON.parse(text) as DeployReply;
}

/** `GET /_fazt/api/apps/{app}`. */
async function appInfo(server: TestServer, app: string): Promise<AppReply> {
  const res = await server.api("GET", `/apps/${app}`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text) as AppReply;
}

/** Fetches a file of an app by its subdomain. */
async function get(server: TestServer, app: string, path: string): Promise<[number, string]> {
  const res = await server.fetch(`${app}.localhost`, path);
  return [res.status, await res.text()];
}

/** Runs `fn` on the server's database opened read-only (WAL readers are fine). */
function withDb<T>(dataDir: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(dataDir, "kernel.db"), { readOnly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** `SELECT count(*)` of a query. */
function count(db: DatabaseSync, sql: string, ...params: (string | number)[]): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${sql}`).get(...params) as { n: number }).n;
}

function sha256(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Incompressible bytes, filled 64 KiB at a time (the crypto.getRandomValues limit). */
function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(size, at + 65536)));
  }
  return out;
}

function tmpFiles(dataDir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dataDir, "tmp"))].map((e) => e.name);
  } catch {
    return [];
  }
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Concurrency and deduplication (one server, default --keep-versions 10)

const RACERS = 8;
const RACE_FILES = 20;

/** The content of file `k` in the deploy that carries marker `v<i>`. */
function raceContent(i: number, k: number): string {
  return `v${i} file ${k} ${"·".repeat(k * 7)}`;
}

function raceZip(i: number): Uint8Array<ArrayBuffer> {
  const files: Record<string, string> = { "index.html": `<h1>v${i}</h1>` };
  for (let k = 0; k < RACE_FILES; k++) files[`file-${k}.txt`] = raceContent(i, k);
  return zipOf(files);
}

Deno.test("deploys of one app and of identical content across apps", async (t) => {
  const server = await startServer();
  try {
    await t.step(
      "8 concurrent deploys of one app get distinct versions and never mix",
      async () => {
        let deploying = true;
        const reader = (async () => {
          while (deploying) {
            for (const k of [0, 7, 13, 19]) {
              const [status, body] = await get(server, "race", `/file-${k}.txt`);
              if (status === 404) continue; // before the first deploy commits
              assert.equal(status, 200, body);
              const marker = /^v(\d+) /.exec(body);
              assert.ok(marker, `unexpected body ${JSON.stringify(body)}`);
              assert.equal(body, raceContent(Number(marker[1]), k), "a file is whole and its own");
            }
          }
        })();
        let replies: DeployReply[];
        try {
          replies = await Promise.all(
            Array.from({ length: RACERS }, (_, i) => deployOk(server, "race", raceZip(i + 1))),
          );
        } finally {
          deploying = false;
          await reader;
        }

        const numbers = replies.map((r) => r.version.number);
        assert.deepEqual([...numbers].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert.equal(replies.filter((r) => r.created).length, 1, "exactly one deploy created it");

        // The live version is the one numbered 8, and every file carries its marker.
        const lastMarker = numbers.indexOf(8) + 1;
        const info = await appInfo(server, "race");
        assert.equal(info.version, 8);
        assert.deepEqual(info.versions.map((v) => [v.number, v.live]), [
          [8, true],
          [7, false],
          [6, false],
          [5, false],
          [4, false],
          [3, false],
          [2, false],
          [1, false],
        ]);
        assert.deepEqual(await get(server, "race", "/"), [200, `<h1>v${lastMarker}</h1>`]);
        for (let k = 0; k < RACE_FILES; k++) {
          assert.deepEqual(await get(server, "race", `/file-${k}.txt`), [
            200,
            raceContent(lastMarker, k),
          ]);
        }
      },
    );

    await t.step("the same file deployed in two apps is stored as one blob", async () => {
      const shared = `shared ${crypto.randomUUID()} `.repeat(40);
      const hash = sha256(shared);
      await deployOk(server, "dedup-one", zipOf({ "index.html": "one", "shared.txt": shared }));
      await deployOk(server, "dedup-two", zipOf({ "index.html": "two", "shared.txt": shared }));
      withDb(server.dataDir, (db) => {
        assert.equal(count(db, "blobs WHERE hash = ?", hash), 1);
        assert.equal(count(db, "blob_chunks WHERE hash = ?", hash), 1);
        const apps = db.prepare(
          `SELECT a.name FROM version_files f JOIN versions v ON v.id = f.version_id
           JOIN apps a ON a.id = v.app_id WHERE f.hash = ? ORDER BY a.name`,
        ).all(hash).map((r) => (r as { name: string }).name);
        assert.deepEqual(apps, ["dedup-one", "dedup-two"]);
      });
      assert.deepEqual(await get(server, "dedup-one", "/shared.txt"), [200, shared]);
      assert.deepEqual(await get(server, "dedup-two", "/shared.txt"), [200, shared]);
    });
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// Retention

Deno.test("--keep-versions 2 keeps the live version plus 2 and deletes pruned blobs", async () => {
  const server = await startServer({ args: ["--keep-versions", "2"] });
  try {
    const shared = "body { color: teal } ".repeat(20);
    const page = (i: number) => `<h1>keep v${i}</h1>`;
    const blobs = () => withDb(server.dataDir, (db) => count(db, "blobs"));
    const stored = (hash: string) =>
      withDb(server.dataDir, (db) => [
        count(db, "blobs WHERE hash = ?", hash),
        count(db, "blob_chunks WHERE hash = ?", hash),
      ]);

    for (let i = 1; i <= 3; i++) {
      await deployOk(server, "keep", zipOf({ "index.html": page(i), "site.css": shared }));
    }
    assert.equal(blobs(), 4, "three pages and one shared stylesheet");
    for (let i = 4; i <= 5; i++) {
      await deployOk(server, "keep", zipOf({ "index.html": page(i), "site.css": shared }));
    }
    assert.equal(blobs(), 4, "pages 1 and 2 went with their versions; 4 and 5 came");

    const info = await appInfo(server, "keep");
    assert.deepEqual(info.versions.map((v) => [v.number, v.live]), [
      [5, true],
      [4, false],
      [3, false],
    ]);
    assert.deepEqual(stored(sha256(page(1))), [0, 0]);
    assert.deepEqual(stored(sha256(page(2))), [0, 0]);
    for (const i of [3, 4, 5]) assert.deepEqual(stored(sha256(page(i))), [1, 1]);
    assert.deepEqual(stored(sha256(shared)), [1, 1]);

    const gone = await server.api("POST", "/apps/keep/rollback", { version: 1 });
    const body = await gone.json() as { error: { code: string; message: string } };
    assert.equal(gone.status, 404);
    assert.equal(body.error.code, "not_found");
    assert.match(body.error.message, /has no version 1/);
    assert.deepEqual(await get(server, "keep", "/"), [200, page(5)]);

    // Control: a kept version can be rolled back to.
    const back = await server.api("POST", "/apps/keep/rollback", { version: 3 });
    assert.equal(back.status, 200, await back.text());
    assert.deepEqual(await get(server, "keep", "/"), [200, page(3)]);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// kill -9 in the middle of a deploy

/** What a watcher sees while a big deploy runs. */
interface DeployProgress {
  /** Bytes of the request body handed to the socket so far. */
  sent: number;
  /** The upload's total size. */
  total: number;
  /** Size of the spooled upload in `<data>/tmp` (0 when none). */
  spooled: number;
  /** Growth of `kernel.db-wal` since the deploy started. */
  walGrowth: number;
}

/** A moment to kill the server at. */
interface KillPoint {
  name: string;
  /** Big upload sizes to try, smallest first (a deploy that finishes first is retried larger). */
  sizesMiB: number[];
  /** Stop sending after this many bytes until the kill (none: send everything). */
  holdAt?: (total: number) => number;
  /** True when the server is provably in the middle of this phase. */
  ready(p: DeployProgress): boolean;
}

const KILL_POINTS: KillPoint[] = [
  {
    name: "while the upload is being received",
    sizesMiB: [16],
    holdAt: (total) => Math.floor(total / 2),
    ready: (p) => p.spooled >= 4 * MiB && p.sent < p.total,
  },
  {
    // All blob pages go through the WAL before the commit, so a WAL that has
    // grown by more than 8 MiB but less than 3/4 of the payload proves the
    // write transaction is running and has not committed.
    name: "inside the write transaction",
    sizesMiB: [96, 168],
    ready: (p) =>
      p.sent === p.total && p.spooled > 0 && p.walGrowth > 8 * MiB &&
      p.walGrowth < p.total * 0.75,
  },
];

/** A zip of `sizeMiB` of random data in files of up to 24 MiB, stored (no compression). */
function bigZip(sizeMiB: number): Uint8Array<ArrayBuffer> {
  const entries: CraftEntry[] = [{ name: "index.html", data: "<h1>big v2</h1>" }];
  for (let left = sizeMiB, n = 0; left > 0; left -= 24, n++) {
    entries.push({ name: `blob-${n}.bin`, data: randomBytes(Math.min(24, left) * MiB) });
  }
  const zip = craftZip(entries.map((e) => ({ ...e, method: "stored" as const })));
  return new Uint8Array(zip.buffer as ArrayBuffer, zip.byteOffset, zip.length);
}

/**
 * Streams `zip` to `POST /_fazt/api/deploy?app=big` with node:http (chunked,
 * with backpressure), pausing at `holdAt` until `released`. `sent` reports
 * the bytes handed to the socket; `outcome` settles with the response or
 * the connection error.
 */
function streamDeploy(
  server: TestServer,
  zip: Uint8Array,
  holdAt: number,
  released: Promise<void>,
): { sent: () => number; outcome: Promise<string>; done: Promise<void> } {
  let sent = 0;
  const req = request({
    host: "127.0.0.1",
    port: server.port,
    method: "POST",
    path: "/_fazt/api/deploy?app=big",
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
    while (sent < zip.length && !req.destroyed) {
      if (sent >= holdAt) {
        await released;
        break;
      }
      const end = Math.min(sent + MiB, holdAt);
      const flushed = req.write(zip.subarray(sent, end));
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
    if (sent === zip.length && !req.destroyed) req.end();
    else req.destroy();
  })();
  return { sent: () => sent, outcome, done };
}

/**
 * Starts a server, deploys v1 of `big`, streams a big v2 and SIGKILLs the
 * server once `point.ready`. Returns the data folder to restart on, or
 * undefined (folder removed) when the deploy was acknowledged before the
 * kill point was reached.
 */
async function killMidDeploy(point: KillPoint, sizeMiB: number): Promise<string | undefined> {
  const server = await startServer();
  const dataDir = server.dataDir;
  let keep = false;
  try {
    await deployOk(server, "big", zipOf({ "index.html": "<h1>big v1</h1>" }));
    const zip = bigZip(sizeMiB);
    const wal = join(dataDir, "kernel.db-wal");
    const walBefore = fileSize(wal);
    let release = (): void => {};
    const released = new Promise<void>((resolve) => release = resolve);
    const upload = streamDeploy(server, zip, point.holdAt?.(zip.length) ?? zip.length, released);
    let settled: string | undefined;
    upload.outcome.then((o) => settled = o);

    let killed = false;
    const deadline = Date.now() + 30_000;
    while (!killed && settled === undefined) {
      assert.ok(
        Date.now() < deadline,
        "the big deploy neither finished nor reached the kill point",
      );
      const spool = tmpFiles(dataDir).find((n) => n.startsWith("upload-"));
      const progress: DeployProgress = {
        sent: upload.sent(),
        total: zip.length,
        spooled: spool ? fileSize(join(dataDir, "tmp", spool)) : 0,
        walGrowth: fileSize(wal) - walBefore,
      };
      if (point.ready(progress)) {
        await server.stop("SIGKILL");
        killed = true;
      } else await delay(2);
    }
    release();
    const outcome = await upload.outcome;
    await upload.done;
    if (!killed) {
      // Acknowledged before the kill point: this attempt proves nothing.
      assert.match(outcome, /^HTTP 200/, "the big deploy itself must succeed");
      return undefined;
    }
    assert.doesNotMatch(outcome, /^HTTP/, "the deploy was never answered");
    keep = true;
    return dataDir;
  } finally {
    await server.stop("SIGKILL");
    if (!keep) await Deno.remove(dataDir, { recursive: true });
  }
}

for (const point of KILL_POINTS) {
  Deno.test(`kill -9 ${point.name} leaves v1 live and the store consistent`, async () => {
    let dataDir: string | undefined;
    for (const size of point.sizesMiB) {
      dataDir = await killMidDeploy(point, size);
      if (dataDir) break;
    }
    assert.ok(
      dataDir,
      `every big deploy (${point.sizesMiB.join(", ")} MiB) finished before the kill point ` +
        `"${point.name}"; make the payload larger`,
    );

    const server = await startServer({ dataDir });
    try {
      assert.deepEqual(tmpFiles(dataDir), [], "the restart cleans up the spooled upload");
      assert.deepEqual(await get(server, "big", "/"), [200, "<h1>big v1</h1>"]);
      assert.equal((await get(server, "big", "/blob-0.bin"))[0], 404);
      const info = await appInfo(server, "big");
      assert.equal(info.version, 1);
      assert.deepEqual(info.versions.map((v) => [v.number, v.live, v.files]), [[1, true, 1]]);

      withDb(dataDir, (db) => {
        const integrity = db.prepare("PRAGMA integrity_check").all().map((r) => r.integrity_check);
        assert.deepEqual(integrity, ["ok"]);
        assert.deepEqual(db.prepare("PRAGMA foreign_key_check").all(), []);
        assert.equal(
          count(
            db,
            "blobs b WHERE NOT EXISTS (SELECT 1 FROM version_files f WHERE f.hash = b.hash)",
          ),
          0,
          "no orphan blobs",
        );
        assert.equal(count(db, "versions"), 1);
        assert.equal(count(db, "blobs WHERE size >= ?", MiB), 0, "no big blob survived");
      });

      // The store keeps working: the next deploy is version 2.
      const next = await deployOk(server, "big", zipOf({ "index.html": "<h1>big v2</h1>" }));
      assert.equal(next.version.number, 2);
      assert.deepEqual(await get(server, "big", "/"), [200, "<h1>big v2</h1>"]);
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}
