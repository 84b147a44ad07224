/**
 * `deno task bench:backup`: how long a backup of a large store takes and
 * what it does to write latency meanwhile. Starts a real `fazt serve`,
 * gives one app a `store.db` of `BENCH_BACKUP_MB` (default 1024) MB of kv
 * rows (written straight into the file while the server is stopped, so
 * setup takes seconds, not minutes), then measures small `kv.set` writes
 * over REST to that same app — the store being snapshotted — one after
 * another: first alone, then while `POST /_fazt/api/backups` runs. Then
 * restores the archive with the real CLI into a fresh folder (unpack,
 * checksums, integrity_check). Writes the "Backups" section of
 * `docs/BENCHMARKS.md` (between `<!-- bench:backup -->` markers; the rest
 * of the file is kept) and prints it.
 *
 * @module
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { cli, ROOT, startServer, type TestServer } from "../tests/_helpers/server.ts";
import { formatBytes } from "../kernel/core/format.ts";
import { type Stats, summarize } from "./mcp_bench.ts";

const REPORT_PATH = join(ROOT, "docs", "BENCHMARKS.md");
const BEGIN = "<!-- bench:backup -->";
const END = "<!-- /bench:backup -->";
const MB = 1024 * 1024;

const targetMb = Number(Deno.env.get("BENCH_BACKUP_MB") ?? 1024);
const baselineMs = 5000;

/** Fills the app's store.db with ~`mb` MB of kv rows (64 KiB each), in one transaction. */
function fill(path: string, mb: number): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = WAL");
    const insert = db.prepare(
      "INSERT OR REPLACE INTO kv (key, value, expires_at, updated_at) VALUES (?, ?, NULL, ?)",
    );
    const rowBytes = 64 * 1024;
    const rows = Math.ceil((mb * MB) / rowBytes);
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    db.exec("BEGIN");
    for (let i = 0; i < rows; i++) {
      // Distinct text per row (SQLite stores it as is; nothing compresses it).
      let s = "";
      const seed = `${i}:${Math.random()}`;
      while (s.length < rowBytes - 2) s += seed + alphabet;
      insert.run(`fill-${i}`, JSON.stringify(s.slice(0, rowBytes - 2)), Date.now());
    }
    db.exec("COMMIT");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/** Sequential small kv writes over REST until `done()`; latencies in ms. */
async function writeLoad(server: TestServer, done: () => boolean): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; !done(); i++) {
    const t = performance.now();
    const res = await server.api("PUT", `/apps/big/data/kv/w${i}`, { value: i });
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`kv.set answered ${res.status}`);
    out.push(performance.now() - t);
  }
  return out;
}

function row(what: string, s: Stats): string {
  const f = (x: number) => `${x.toFixed(2)} ms`;
  return `| ${what} | ${s.n} | ${f(s.p50)} | ${f(s.p99)} | ${f(s.mean)} | ${f(s.max)} |`;
}

async function main(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-bench-backup-" });
  const restoreRoot = await Deno.makeTempDir({ prefix: "fazt-bench-restore-" });
  let server = await startServer({ dataDir });
  try {
    const zip = new Uint8Array([
      ...(await import("fflate")).zipSync({ "index.html": new TextEncoder().encode("big") }),
    ]);
    const deploy = await fetch(`${server.url}/_fazt/api/deploy?app=big`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" },
      body: zip,
    });
    const app = await deploy.json();
    await (await server.api("PUT", "/apps/big/data/kv/first", { value: 1 })).body?.cancel();
    await server.stop();
    const store = join(dataDir, "apps", app.app.id, "store.db");
    const t0 = performance.now();
    fill(store, targetMb);
    const fillMs = performance.now() - t0;
    const storeBytes = (await Deno.stat(store)).size;
    console.error(`filled ${formatBytes(storeBytes)} in ${(fillMs / 1000).toFixed(1)} s`);
    server = await startServer({ dataDir });

    const load0 = Deno.loadavg()[0];
    const until = Date.now() + baselineMs;
    const alone = summarize(await writeLoad(server, () => Date.now() > until));

    let finished = false;
    const loading = writeLoad(server, () => finished);
    const b0 = performance.now();
    const res = await server.api("POST", "/backups", {});
    const backupMs = performance.now() - b0;
    finished = true;
    const during = summarize(await loading);
    const record = await res.json();
    if (res.status !== 201) throw new Error(`backup failed: ${JSON.stringify(record)}`);
    await server.stop();

    const archive = join(dataDir, "backups", record.name);
    const r0 = performance.now();
    const restored = await cli(["restore", archive, "--data", join(restoreRoot, "data")]);
    const restoreMs = performance.now() - r0;
    if (restored.code !== 0) throw new Error(`restore failed: ${restored.stderr}`);
    const load1 = Deno.loadavg()[0];

    const section = [
      "## Backups",
      "",
      `Backup of a large store and its effect on writes (\`deno task bench:backup\`, bench/backup_bench.ts). Date: ${
        new Date().toISOString()
      }. Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, 1-minute load average ${
        load0.toFixed(2)
      } before and ${load1.toFixed(2)} after (client and server share the CPUs).`,
      "",
      `- One app's \`store.db\` holds ${
        formatBytes(storeBytes)
      } of kv rows (64 KiB each; written into the file while the server was stopped).`,
      "- Writes: small `kv.set` calls over REST (`PUT /_fazt/api/apps/big/data/kv/…`) to that same app, one after another, from the same machine: first for 5 s alone, then while `POST /_fazt/api/backups` runs (SQLite's backup API copies each database on a worker thread with its own read connection; the archive is hashed and written in 1 MiB chunks and flushed every 64 MiB).",
      `- The restore is the real CLI (\`fazt restore\`, process start included) into a fresh folder: unpack with SHA-256 checks, \`integrity_check\` of every database, the swap.`,
      "",
      "| What | Size | Time |",
      "| --- | ---: | ---: |",
      `| Backup (\`backups.create\`) | ${formatBytes(record.bytes)} archive | ${
        (backupMs / 1000).toFixed(2)
      } s |`,
      `| Restore (\`fazt restore\`) | ${formatBytes(record.bytes)} archive | ${
        (restoreMs / 1000).toFixed(2)
      } s |`,
      "",
      "| kv.set latency | Calls | p50 | p99 | mean | max |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      row("alone", alone),
      row("during the backup", during),
    ].join("\n");
    const previous = await Deno.readTextFile(REPORT_PATH);
    const block = `${BEGIN}\n\n${section}\n\n${END}`;
    const from = previous.indexOf(BEGIN);
    const to = previous.indexOf(END);
    const next = from !== -1 && to > from
      ? previous.slice(0, from) + block + previous.slice(to + END.length)
      : `${previous.trimEnd()}\n\n${block}\n`;
    await Deno.writeTextFile(REPORT_PATH, next);
    const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", REPORT_PATH] }).output();
    if (fmt.code !== 0) throw new Error(new TextDecoder().decode(fmt.stderr));
    console.log(section);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(restoreRoot, { recursive: true });
  }
}

if (import.meta.main) await main();
