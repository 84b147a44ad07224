/**
 * `deno task bench:deploy`: how long a large real-world deploy takes against
 * the plainest way to store the same bytes, measured in the same run.
 *
 * The folder is the `monaco-editor` npm package (version {@linkcode MONACO_VERSION}:
 * 1,918 files, ~99 MiB), fetched once with `npm pack` into
 * `~/.cache/fazt-bench` (or `FAZT_BENCH_CACHE`). Three measurements, each on
 * a fresh data folder so nothing is deduplicated:
 *
 * 1. the reference: `tar cf` of the folder, then the `sqlite3` CLI storing
 *    every file as one blob row of a fresh database in one transaction
 *    (`INSERT … SELECT name, readfile(name) FROM fsdir('.')`): packing plus a
 *    durable SQLite write of the same bytes, with no hashing, no checks and no
 *    compression;
 * 2. fazt: `fazt app add <folder>` (the real CLI: pack, upload, the server's
 *    checks, hashing, compression and write), wall time, and the server's CPU
 *    time during it;
 * 3. the server's share alone: the packed zip posted to the deploy endpoint;
 * 4. after (2), how long the background compressor takes to store the br and
 *    gzip encodings (the app is live and served as stored meanwhile).
 *
 * Target: (2) ≤ 1.5 × (1). Writes its section of `docs/BENCHMARKS.md`
 * between `<!-- bench:deploy -->` and `<!-- /bench:deploy -->` (appended when
 * missing; the rest of the file is kept) and prints it.
 *
 * @module
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { cli, ROOT, startServer } from "../tests/_helpers/server.ts";
import { packFolder } from "../apps/pack.ts";
import { findExecutable, processStat } from "./process.ts";
import { denoVersion, type MachineInfo, machineInfo } from "./suite.ts";
import { writeSection } from "./report_section.ts";

/** The monaco-editor release used: 1,918 files. */
export const MONACO_VERSION = "0.57.0";
/** fazt may take at most this multiple of the reference. */
export const TARGET_RATIO = 1.5;

const REPORT_PATH = join(ROOT, "docs", "BENCHMARKS.md");
const MIB = 1024 * 1024;
const TICKS_PER_S = 100;

function cacheDir(): string {
  return Deno.env.get("FAZT_BENCH_CACHE") ??
    join(Deno.env.get("HOME") ?? "/tmp", ".cache", "fazt-bench");
}

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** The unpacked package folder, fetched with `npm pack` on first use. */
export async function monacoFolder(): Promise<string> {
  const dir = join(cacheDir(), `monaco-${MONACO_VERSION}`);
  const folder = join(dir, "package");
  if (await Deno.stat(folder).then(() => true, () => false)) return folder;
  const npm = await findExecutable("npm");
  if (!npm) throw new Error("npm is not installed: it fetches the monaco-editor package once.");
  await Deno.mkdir(dir, { recursive: true });
  await run(npm, ["pack", `monaco-editor@${MONACO_VERSION}`, "--pack-destination", dir], dir);
  await run("tar", ["xzf", `monaco-editor-${MONACO_VERSION}.tgz`, "-C", dir], dir);
  return folder;
}

/** Counts the files and bytes under `folder`. */
async function folderSize(folder: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        files++;
        bytes += (await Deno.stat(p)).size;
      }
    }
  };
  await walk(folder);
  return { files, bytes };
}

/** Drops the page cache's dirty pages so one measurement's writeback does not bill the next. */
async function sync(): Promise<void> {
  await run("sync", []);
}

/** The reference: tar, then sqlite3 storing every file as a blob in one transaction. */
async function reference(
  folder: string,
  tmp: string,
): Promise<{ tarMs: number; sqliteMs: number }> {
  const sqlite3 = await findExecutable("sqlite3");
  if (!sqlite3) throw new Error("sqlite3 is not installed (apt-get install sqlite3).");
  await sync();
  const t0 = performance.now();
  await run("tar", ["cf", join(tmp, "ref.tar"), "-C", folder, "."]);
  const t1 = performance.now();
  const db = join(tmp, "ref.db");
  const sql = "PRAGMA journal_mode=WAL; BEGIN; " +
    "CREATE TABLE files (path TEXT PRIMARY KEY, data BLOB NOT NULL); " +
    "INSERT INTO files SELECT name, readfile(name) FROM fsdir('.') WHERE mode & 0x8000; COMMIT;";
  await run(sqlite3, [db, sql], folder);
  const t2 = performance.now();
  return { tarMs: t1 - t0, sqliteMs: t2 - t1 };
}

/** Everything the bench measured. */
export interface DeployReport {
  /** When. */
  date: string;
  /** The machine. */
  machine: string;
  /** `deno --version`, first line. */
  deno: string;
  /** The folder's files and bytes. */
  files: number;
  /** Total bytes of the files. */
  bytes: number;
  /** The packed zip's size. */
  zipBytes: number;
  /** Reference: `tar cf` (ms). */
  tarMs: number;
  /** Reference: sqlite3 storing the files (ms). */
  sqliteMs: number;
  /** `fazt app add <folder>`, wall time (ms). */
  cliMs: number;
  /** The server's CPU time during the CLI deploy (ms). */
  cliServerCpuMs: number;
  /** From the CLI's exit until every file was compressed (ms). */
  compressMs: number;
  /** The server's CPU time in that span (ms). */
  compressCpuMs: number;
  /** Packing the folder in process (ms). */
  packMs: number;
  /** The zip posted to the deploy endpoint, wall time (ms). */
  serverMs: number;
  /** The server's CPU time during that post (ms). */
  serverCpuMs: number;
}

async function withServer<T>(
  fn: (s: Awaited<ReturnType<typeof startServer>>) => Promise<T>,
): Promise<T> {
  const server = await startServer();
  try {
    return await fn(server);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
}

/** Waits until no blob of the kernel database waits for the background compressor. */
async function compressed(dbPath: string): Promise<void> {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const pending = db.prepare("SELECT count(*) AS n FROM blobs WHERE compress_pending = 1");
    while ((pending.get() as { n: number }).n > 0) await new Promise((r) => setTimeout(r, 100));
  } finally {
    db.close();
  }
}

function cpuMs(pid: number): number {
  return ((processStat(pid)?.cpuTicks ?? 0) * 1000) / TICKS_PER_S;
}

/** Runs the bench. */
export async function runDeployBench(): Promise<DeployReport> {
  const folder = await monacoFolder();
  const size = await folderSize(folder);
  const tmp = await Deno.makeTempDir({ prefix: "fazt-deploy-bench-" });
  try {
    const ref = await reference(folder, tmp);
    await sync();
    const cli1 = await withServer(async (server) => {
      const c0 = cpuMs(server.process.pid);
      const t0 = performance.now();
      const out = await cli(["app", "add", folder, "--name", "monaco"], {
        FAZT_URL: server.url,
        FAZT_TOKEN: server.token,
      });
      const ms = performance.now() - t0;
      if (out.code !== 0) throw new Error(`fazt app add failed: ${out.stderr}`);
      const c1 = cpuMs(server.process.pid);
      const t1 = performance.now();
      await compressed(join(server.dataDir, "kernel.db"));
      return {
        ms,
        cpu: c1 - c0,
        compressMs: performance.now() - t1,
        compressCpu: cpuMs(server.process.pid) - c1,
      };
    });
    await sync();
    const p0 = performance.now();
    const packed = await packFolder(folder);
    const packMs = performance.now() - p0;
    const direct = await withServer(async (server) => {
      const c0 = cpuMs(server.process.pid);
      const t0 = performance.now();
      const res = await fetch(`${server.url}/_fazt/api/deploy?app=monaco`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
        body: packed.zip as Uint8Array<ArrayBuffer>,
      });
      const text = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`the deploy answered ${res.status}: ${text}`);
      return { ms, cpu: cpuMs(server.process.pid) - c0 };
    });
    return {
      date: new Date().toISOString(),
      machine: machineText(await machineInfo()),
      deno: denoVersion(),
      files: size.files,
      bytes: size.bytes,
      zipBytes: packed.zip.length,
      tarMs: ref.tarMs,
      sqliteMs: ref.sqliteMs,
      cliMs: cli1.ms,
      cliServerCpuMs: cli1.cpu,
      compressMs: cli1.compressMs,
      compressCpuMs: cli1.compressCpu,
      packMs,
      serverMs: direct.ms,
      serverCpuMs: direct.cpu,
    };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

function machineText(m: MachineInfo): string {
  return `${m.nproc} CPUs (${m.cpuModel}), ${
    (m.memTotalBytes / 1024 ** 3).toFixed(0)
  } GiB, ${m.kernel}`;
}

const ms = (n: number) => `${Math.round(n)} ms`;

/** fazt's time over the reference's. */
export function deployRatio(r: DeployReport): number {
  return r.cliMs / (r.tarMs + r.sqliteMs);
}

/** The markdown section. */
export function renderDeploySection(r: DeployReport): string {
  const refMs = r.tarMs + r.sqliteMs;
  const ratio = deployRatio(r);
  return [
    "## Deploy",
    "",
    `A large real folder deployed with the CLI (\`deno task bench:deploy\`, bench/deploy_bench.ts). Date: ${r.date}. Machine: ${r.machine}. ${r.deno}.`,
    "",
    `The folder: the \`monaco-editor@${MONACO_VERSION}\` npm package, ${r.files} files, ${
      (r.bytes / MIB).toFixed(1)
    } MiB (${
      (r.zipBytes / MIB).toFixed(1)
    } MiB packed). Each measurement starts from an empty data folder, after \`sync\`.`,
    "",
    `Reference: \`tar cf\` of the folder, then the \`sqlite3\` CLI storing every file as one blob row of a fresh WAL database in one transaction — packing plus a durable SQLite write of the same bytes, with no hashing, validation or compression. fazt: \`fazt app add <folder>\` against a running server (pack with deflate, upload, then on the server: spool, every entry inflated, CRC- and size-checked and hashed, br + gzip encodings of compressible files, the write transaction). Target: fazt ≤ ${TARGET_RATIO} × the reference.`,
    "",
    "| what | wall time | server CPU |",
    "|---|---|---|",
    `| reference: \`tar cf\` | ${ms(r.tarMs)} | |`,
    `| reference: \`sqlite3\` insert of every file | ${ms(r.sqliteMs)} | |`,
    `| **reference total** | **${ms(refMs)}** | |`,
    `| **\`fazt app add <folder>\`** | **${ms(r.cliMs)}** | ${ms(r.cliServerCpuMs)} |`,
    `| of which: packing the folder (in process) | ${ms(r.packMs)} | |`,
    `| of which: the server's deploy of the zip (POST /_fazt/api/deploy) | ${ms(r.serverMs)} | ${
      ms(r.serverCpuMs)
    } |`,
    `| afterwards: background compression of every file (br 6 + gzip 6) | ${ms(r.compressMs)} | ${
      ms(r.compressCpuMs)
    } |`,
    "",
    `Ratio: **${ratio.toFixed(2)}×** the reference — ${
      ratio <= TARGET_RATIO ? "met" : "NOT MET"
    } (target ≤ ${TARGET_RATIO}×).`,
  ].join("\n");
}

if (import.meta.main) {
  try {
    const report = await runDeployBench();
    const section = renderDeploySection(report);
    await writeSection(REPORT_PATH, "deploy", section);
    console.log(section);
  } catch (err) {
    console.error(`bench:deploy: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
