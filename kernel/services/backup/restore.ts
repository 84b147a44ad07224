/**
 * Restoring a backup into a data folder `D` whose server is stopped (the
 * caller checks that). Nothing in `D` changes until the archive has been
 * verified in full; then the old data is kept aside, next to `D`, and the
 * snapshot takes its place by two renames.
 *
 * The sequence, all in `D`'s parent folder `P` (one file system, so every
 * rename is atomic):
 *
 * 1. **Verify the header**: read the archive's index and manifest (its own
 *    SHA-256 must match); refuse a newer archive format, fazt version or
 *    schema.
 * 2. **Stage**: unpack into `P/.<D>.restore-<time>` (`S`), checking each
 *    file's size and SHA-256, then `PRAGMA integrity_check` and the schema
 *    version of every database; hard-link (else copy) `D/backups/*` and
 *    copy `D/serve.json` into `S`; flush every file and folder.
 * 3. **Commit**: write the journal `P/.<D>.restore.json` (`{ staged, aside }`)
 *    by temp file, flush, rename, flush `P`.
 * 4. `rename(D, A)` with `A = P/<D>.before-restore-<time>`; flush `P`.
 * 5. `rename(S, D)`; flush `P`.
 * 6. Delete the journal; flush `P`.
 *
 * What a kill -9 leaves, and what the next start does
 * ({@linkcode finishInterruptedRestore}, run by every kernel boot and by
 * `fazt restore`):
 *
 * | killed during | on disk | next start |
 * | --- | --- | --- |
 * | 1–2 | `D` old and untouched, maybe part of `S`, no journal | serves the old data; leftover `S` folders are deleted |
 * | after 3, before 4 | journal, `D` old, `S` new | rolls forward: 4, 5, 6; serves the new data |
 * | after 4, before 5 | journal, no `D`, `A` old, `S` new | rolls forward: 5, 6 |
 * | after 5, before 6 | journal, `D` new, `A` old | deletes the journal |
 * | after 6 | `D` new, `A` old | nothing to do |
 *
 * The journal is the commit point: before it exists the restore never
 * happened; once it does, it always completes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FaztError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";
import { VERSION } from "../../core/version.ts";
import { KERNEL_DB_FILE, KERNEL_MIGRATIONS } from "../../store/schema.ts";
import { APPDATA_MIGRATIONS } from "../appdata/store_schema.ts";
import { volumeUsage } from "../cockpit/disk_guard.ts";
import { copyFileSynced, durableRename, removeIfPresent, syncDir, syncFile } from "./durable.ts";
import {
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  compareVersions,
  MANIFEST_FILE,
  MANIFEST_SUM_FILE,
  parseManifest,
} from "./manifest.ts";
import { memberChunks, readTarIndex, type TarMember } from "./tar.ts";
import { DEFAULT_BACKUP_FOLDER } from "./target_for.ts";

/** Files of the current data folder carried into the restored one (settings, not data). */
const CARRIED_FILES = ["serve.json"];

/** The steps of a restore, as {@linkcode RestoreOptions.onStep} sees them. */
export type RestoreStep =
  | "checked"
  | "unpacked"
  | "verified"
  | "committed"
  | "moved-aside"
  | "swapped"
  | "done";

/** Options for {@linkcode restoreBackup}. */
export interface RestoreOptions {
  /** The archive. */
  file: string;
  /** The data folder to restore into (absolute; need not exist). The caller makes sure no server runs on it. */
  dataDir: string;
  /** Called after each step (the CLI prints progress). */
  onStep?: (step: RestoreStep) => void;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

/** What a restore did. */
export interface RestoreResult {
  /** The manifest of the restored backup. */
  manifest: BackupManifest;
  /** Where the previous data was moved, or null when there was none. */
  aside: string | null;
}

interface Journal {
  /** The verified snapshot, ready to become the data folder. */
  staged: string;
  /** Where the current data folder goes, if there is one. */
  aside: string;
}

function paths(dataDir: string) {
  const parent = dirname(dataDir);
  const base = basename(dataDir);
  return {
    parent,
    base,
    journal: join(parent, `.${base}.restore.json`),
    stagedPrefix: `.${base}.restore-`,
  };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

async function exists(path: string): Promise<boolean> {
  return (await Deno.lstat(path).catch(() => null)) !== null;
}

/** Reads a small member whole. */
async function memberBytes(file: string, member: TarMember): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of memberChunks(file, member)) parts.push(chunk);
  const out = new Uint8Array(member.size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Reads and checks an archive's index and manifest without unpacking it:
 * the manifest's own checksum, the member list against the manifest, and
 * the versions (a newer format, fazt or schema is refused). Throws
 * `invalid_archive` or `conflict`.
 */
export async function inspectBackup(
  file: string,
): Promise<{ manifest: BackupManifest; members: Map<string, TarMember> }> {
  let index: TarMember[];
  try {
    index = await readTarIndex(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FaztError("not_found", `No backup file at ${file}.`);
    }
    throw err;
  }
  const members = new Map(index.map((m) => [m.name, m]));
  const manifestMember = members.get(MANIFEST_FILE);
  const sumMember = members.get(MANIFEST_SUM_FILE);
  if (!manifestMember || !sumMember || members.size !== index.length) {
    throw new FaztError("invalid_archive", `${file} is not a fazt backup (no manifest).`);
  }
  const text = await memberBytes(file, manifestMember);
  const sum = new TextDecoder().decode(await memberBytes(file, sumMember)).trim();
  if (createHash("sha256").update(text).digest("hex") !== sum) {
    throw new FaztError(
      "invalid_archive",
      `${file} is damaged: its manifest does not match its checksum.`,
    );
  }
  const manifest = parseManifest(file, new TextDecoder().decode(text));
  const newer = (what: string) =>
    new FaztError(
      "conflict",
      `${file} was made by fazt ${manifest.version} (${what}), newer than this fazt ${VERSION}. Restore it with fazt ${manifest.version} or later.`,
      { details: { backupVersion: manifest.version, version: VERSION } },
    );
  if (manifest.formatVersion > BACKUP_FORMAT_VERSION) {
    throw newer(`archive format ${manifest.formatVersion}`);
  }
  if (compareVersions(manifest.version, VERSION) > 0) throw newer("a newer version");
  if (manifest.schemaVersion > KERNEL_MIGRATIONS.length) {
    throw newer(`kernel schema ${manifest.schemaVersion}`);
  }
  if (manifest.appStoreSchemaVersion > APPDATA_MIGRATIONS.length) {
    throw newer(`app data schema ${manifest.appStoreSchemaVersion}`);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  if (!listed.has(KERNEL_DB_FILE) || listed.size !== manifest.files.length) {
    throw new FaztError("invalid_archive", `${file}: its manifest lists no kernel database.`);
  }
  for (const name of members.keys()) {
    if (name !== MANIFEST_FILE && name !== MANIFEST_SUM_FILE && !listed.has(name)) {
      throw new FaztError("invalid_archive", `${file} holds "${name}", which its manifest lacks.`);
    }
  }
  for (const f of manifest.files) {
    const m = members.get(f.path);
    if (!m || m.size !== f.bytes) {
      throw new FaztError("invalid_archive", `${file} is damaged: "${f.path}" is missing or cut.`);
    }
  }
  return { manifest, members };
}

/** Checks one unpacked database: integrity, and a schema this fazt knows. */
function checkDatabase(file: string, path: string, full: string, manifest: BackupManifest): void {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(full, { readOnly: true });
  } catch (err) {
    throw new FaztError("invalid_archive", `${file}: "${path}" is not a SQLite database.`, {
      cause: err,
    });
  }
  try {
    const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    if (rows.length !== 1 || rows[0].integrity_check !== "ok") {
      throw new FaztError(
        "invalid_archive",
        `${file}: "${path}" fails SQLite's integrity check (${rows[0]?.integrity_check}).`,
      );
    }
    const expected = path === KERNEL_DB_FILE
      ? manifest.schemaVersion
      : path.endsWith("/store.db")
      ? manifest.appStoreSchemaVersion
      : null;
    if (expected !== null) {
      const row = db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
        v: number | null;
      };
      if ((row.v ?? 0) > expected) {
        throw new FaztError(
          "invalid_archive",
          `${file}: "${path}" has schema ${row.v}, not the ${expected} its manifest says.`,
        );
      }
    }
  } catch (err) {
    if (err instanceof FaztError) throw err;
    throw new FaztError("invalid_archive", `${file}: "${path}" cannot be read as SQLite.`, {
      cause: err,
    });
  } finally {
    db.close();
  }
  // A read-only connection leaves an empty WAL and its index behind.
  for (const extra of [`${full}-wal`, `${full}-shm`]) {
    try {
      Deno.removeSync(extra);
    } catch {
      // not there
    }
  }
}

/** Unpacks and verifies every file of the archive into `staged`. */
async function unpack(
  file: string,
  staged: string,
  manifest: BackupManifest,
  members: Map<string, TarMember>,
): Promise<void> {
  const dirs = new Set<string>([staged]);
  for (const f of manifest.files) {
    const full = join(staged, f.path);
    const dir = dirname(full);
    if (!dirs.has(dir)) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      dirs.add(dir);
      dirs.add(dirname(dir));
    }
    const hash = createHash("sha256");
    {
      using out = await Deno.open(full, { write: true, createNew: true, mode: 0o600 });
      for await (const chunk of memberChunks(file, members.get(f.path)!)) {
        hash.update(chunk);
        let at = 0;
        while (at < chunk.length) at += await out.write(chunk.subarray(at));
      }
      await out.sync();
    }
    if (hash.digest("hex") !== f.sha256) {
      throw new FaztError(
        "invalid_archive",
        `${file} is damaged: "${f.path}" does not match its checksum.`,
      );
    }
  }
  for (const dir of dirs) await syncDir(dir);
}

/** Brings the current data folder's backups and settings into the staged one. */
async function carryOver(dataDir: string, staged: string): Promise<void> {
  const from = join(dataDir, DEFAULT_BACKUP_FOLDER);
  const to = join(staged, DEFAULT_BACKUP_FOLDER);
  let made = false;
  try {
    for await (const entry of Deno.readDir(from)) {
      if (!entry.isFile || entry.name.startsWith(".")) continue;
      if (!made) {
        await Deno.mkdir(to, { mode: 0o700 });
        made = true;
      }
      await Deno.link(join(from, entry.name), join(to, entry.name)).catch(() =>
        copyFileSynced(join(from, entry.name), join(to, entry.name))
      );
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (made) {
    await syncDir(to);
  }
  for (const name of CARRIED_FILES) {
    if (await exists(join(dataDir, name))) {
      await copyFileSynced(join(dataDir, name), join(staged, name));
    }
  }
  await syncDir(staged);
}

async function writeJournal(path: string, journal: Journal): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(journal), { mode: 0o600 });
  await syncFile(tmp);
  await durableRename(tmp, path);
}

/** Steps 4–6 from any point (idempotent). */
async function rollForward(
  dataDir: string,
  journal: Journal,
  onStep?: (step: RestoreStep) => void,
): Promise<void> {
  const { parent, journal: journalPath } = paths(dataDir);
  if (await exists(journal.staged)) {
    if (await exists(dataDir)) {
      await Deno.rename(dataDir, journal.aside);
      await syncDir(parent);
    }
    onStep?.("moved-aside");
    await Deno.rename(journal.staged, dataDir);
    await syncDir(parent);
  }
  onStep?.("swapped");
  await removeIfPresent(journalPath);
  await syncDir(parent);
}

/**
 * Finishes a restore that was cut short (see the table in this module's
 * documentation): rolls a committed one forward and deletes the staging
 * folders of uncommitted ones. Cheap when there is nothing to do.
 * Returns true when it finished a committed restore.
 */
export async function finishInterruptedRestore(dataDir: string): Promise<boolean> {
  const { parent, journal: journalPath, stagedPrefix } = paths(dataDir);
  let journal: Journal | null = null;
  try {
    journal = JSON.parse(await Deno.readTextFile(journalPath));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound) && !(err instanceof SyntaxError)) throw err;
    // A torn journal cannot exist (it is renamed into place whole); a
    // missing one means no restore is committed.
  }
  if (journal) await rollForward(dataDir, journal);
  try {
    for await (const entry of Deno.readDir(parent)) {
      if (entry.name.startsWith(stagedPrefix)) await removeIfPresent(join(parent, entry.name));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await removeIfPresent(`${journalPath}.tmp`);
  return journal !== null;
}

/**
 * Verifies the archive `file` and restores it into `dataDir`, keeping the
 * current data aside (see this module's documentation for the sequence).
 * Throws `invalid_archive` (damaged or not a backup), `conflict` (made by
 * a newer fazt), `insufficient_storage`; then nothing has changed.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { file, dataDir, onStep } = options;
  const now = options.now ?? Date.now;
  const { parent, journal: journalPath, stagedPrefix, base } = paths(dataDir);
  await finishInterruptedRestore(dataDir);
  const { manifest, members } = await inspectBackup(file);
  onStep?.("checked");
  await Deno.mkdir(parent, { recursive: true });
  const hadData = await exists(dataDir);
  if (hadData && (await Deno.stat(dataDir)).dev !== (await Deno.stat(parent)).dev) {
    throw new FaztError(
      "conflict",
      `${dataDir} is a mount point; a restore swaps the data folder by renaming it inside ${parent}. Restore into a folder inside the mount (e.g. --data ${
        join(dataDir, "fazt-data")
      }) and point fazt there.`,
    );
  }
  const needed = manifest.files.reduce((n, f) => n + f.bytes, 0);
  const volume = await volumeUsage(parent).catch(() => null);
  if (volume && volume.available < needed + 1024 * 1024) {
    throw new FaztError(
      "insufficient_storage",
      `Restoring needs about ${formatBytes(needed)} free in ${parent}, and only ${
        formatBytes(volume.available)
      } is free.`,
    );
  }
  const time = stamp(now());
  const staged = join(parent, `${stagedPrefix}${time}`);
  // Never an existing name: a rename onto a non-empty folder fails, and an
  // older set of kept data must not be overwritten.
  let aside = join(parent, `${base}.before-restore-${time}`);
  for (let n = 2; await exists(aside); n++) {
    aside = join(parent, `${base}.before-restore-${time}-${n}`);
  }
  await Deno.mkdir(staged, { mode: 0o700 });
  try {
    await unpack(file, staged, manifest, members);
    onStep?.("unpacked");
    for (const f of manifest.files) {
      if (f.kind === "database") checkDatabase(file, f.path, join(staged, f.path), manifest);
    }
    if (hadData) await carryOver(dataDir, staged);
    await syncDir(parent);
    onStep?.("verified");
  } catch (err) {
    await removeIfPresent(staged);
    throw err;
  }
  await writeJournal(journalPath, { staged, aside });
  onStep?.("committed");
  await rollForward(dataDir, { staged, aside }, onStep);
  onStep?.("done");
  return { manifest, aside: hadData ? aside : null };
}
