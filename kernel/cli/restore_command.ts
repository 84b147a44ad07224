/**
 * `fazt restore FILE [--data DIR]`: puts a backup in place of a data
 * folder whose server is stopped, keeping the current data aside (see
 * `kernel/services/backup/restore.ts` for the sequence and its crash
 * states). FILE is an archive path, a backup name in the data folder's
 * `backups/`, or `<target>/<name>` for a backup at an `s3://` target.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { FaztError } from "../core/errors.ts";
import { boolFlag, flag, parseArgs } from "./args.ts";
import { DEFAULT_DATA_DIR, runningServer } from "./target.ts";
import { restoreBackup, type RestoreStep } from "../services/backup/restore.ts";
import { DEFAULT_BACKUP_FOLDER, targetFor } from "../services/backup/target_for.ts";
import { removeIfPresent } from "../services/backup/durable.ts";

/** The usage line of `fazt restore`. */
export const RESTORE_USAGE = "fazt restore <file> [--data DIR] [--json]";

const STEPS: Partial<Record<RestoreStep, string>> = {
  checked: "checked the manifest and versions; unpacking and verifying…",
  verified: "every file matches its checksum and every database passes integrity_check",
  swapped: "the restored data is in place",
};

/** Finds the archive FILE names, fetching it from a remote target if it is one. */
async function locate(
  file: string,
  dataDir: string,
): Promise<{ path: string; cleanup(): Promise<void> }> {
  const none = { cleanup: async () => {} };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    const target = targetFor(dirname(file), { dataDir });
    await Deno.mkdir(dirname(dataDir), { recursive: true });
    const path = join(dirname(dataDir), `.${basename(file)}.download`);
    await removeIfPresent(path);
    await target.fetch(basename(file), path);
    return { path, cleanup: () => removeIfPresent(path) };
  }
  if (await Deno.stat(file).catch(() => null)) return { path: resolve(file), ...none };
  const inFolder = join(dataDir, DEFAULT_BACKUP_FOLDER, file);
  if (!file.includes("/") && await Deno.stat(inFolder).catch(() => null)) {
    return { path: inFolder, ...none };
  }
  throw new FaztError(
    "not_found",
    `No backup at ${file} (nor in ${
      join(dataDir, DEFAULT_BACKUP_FOLDER)
    }). Run \`fazt backup list\` to see the backups.`,
  );
}

/** Runs `fazt restore`; returns the exit code. */
export async function restoreCommand(
  argv: string[],
  io: { out(line: string): void; err(line: string): void; env(name: string): string | undefined },
): Promise<number> {
  const args = parseArgs(argv, new Set(["json", "help"]));
  if (boolFlag(args, "help")) {
    io.out(`Usage: ${RESTORE_USAGE}

Restores a backup (from \`fazt backup create\`) into a data folder whose server is stopped.
The archive is verified first (checksums, integrity_check, versions); the current data
is kept next to the data folder as <data>.before-restore-<time>.

  file       the archive, a backup name in <data>/backups/, or s3://bucket/prefix/<name>
  --data     the data folder (or FAZT_DATA; default ./${DEFAULT_DATA_DIR})`);
    return 0;
  }
  for (const name of args.flags.keys()) {
    if (!["json", "data"].includes(name)) {
      throw new FaztError("invalid_input", `Unknown flag --${name}. Usage: ${RESTORE_USAGE}`);
    }
  }
  const [, file, ...extra] = args.positionals;
  if (file === undefined || extra.length > 0) {
    throw new FaztError("invalid_input", `Give one backup file. Usage: ${RESTORE_USAGE}`);
  }
  const json = boolFlag(args, "json");
  const dataDir = resolve(flag(args, "data") ?? (io.env("FAZT_DATA") || DEFAULT_DATA_DIR));
  const server = await runningServer(dataDir);
  if (server) {
    throw new FaztError(
      "conflict",
      `A fazt server (pid ${server.pid}) is serving ${dataDir} at ${server.url}. Stop it first: a restore replaces the data folder, which the server holds open. Then run the restore again and start the server.`,
    );
  }
  const source = await locate(file, dataDir);
  try {
    const result = await restoreBackup({
      file: source.path,
      dataDir,
      onStep: (step) => {
        if (!json && STEPS[step]) io.err(STEPS[step]!);
      },
    });
    const m = result.manifest;
    if (json) {
      io.out(JSON.stringify(
        {
          dataDir,
          aside: result.aside,
          version: m.version,
          schemaVersion: m.schemaVersion,
          startedAt: new Date(m.startedAt).toISOString(),
          files: m.files.length,
        },
        null,
        2,
      ));
    } else {
      io.out(
        `Restored ${basename(source.path)} (fazt ${m.version}, taken ${
          new Date(m.startedAt).toISOString()
        }) into ${dataDir}.`,
      );
      if (result.aside) {
        io.out(
          `The data it replaced is in ${result.aside}; delete it once the restored server looks right.`,
        );
      }
      io.out(`Start the server: fazt serve --data ${dataDir}`);
    }
    return 0;
  } finally {
    await source.cleanup();
  }
}
