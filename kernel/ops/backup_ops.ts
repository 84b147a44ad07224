/**
 * Operations on backups: take one now, list them, prune old ones. A backup
 * holds every secret and credential of the server (the secrets key, the
 * certificates' keys, token hashes), so only `admin` may touch them.
 * Restoring is `fazt restore FILE` with the server stopped (it swaps the
 * data folder, which a running server holds open).
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { int } from "./number_input.ts";
import { parseBackupName } from "../services/backup/manifest.ts";
import type { StoredBackup } from "../services/backup/backup_target.ts";

const To = z.string().min(1).max(4096).optional().describe(
  "Where backups go: a folder's absolute path on the server's machine, or s3://bucket/prefix (default: the data folder's backups/).",
);

const BackupView = z.object({
  name: z.string(),
  location: z.string(),
  bytes: z.number(),
  createdAt: z.string().describe("When the snapshot began (UTC, to the second)."),
  version: z.string().describe("The fazt version that made it."),
});

function view(b: StoredBackup, location: string): z.input<typeof BackupView> {
  const parsed = parseBackupName(b.name)!;
  return {
    name: b.name,
    location,
    bytes: b.bytes,
    createdAt: new Date(parsed.startedAt).toISOString(),
    version: parsed.version,
  };
}

/** `backups.create` */
export const createBackup = defineOperation({
  name: "backups.create",
  summary: "Back up everything now",
  description:
    "Takes a consistent snapshot of the whole server while it keeps serving (the kernel store with apps, files, routes, tokens and certificates; every app's data; the secrets key) into one archive, and stores it in the data folder's backups/ or at --to. Every write acknowledged before the backup began is in it. Restore with `fazt restore FILE` while the server is stopped.",
  input: z.strictObject({ to: To }),
  output: z.object({
    name: z.string(),
    location: z.string(),
    bytes: z.number(),
    files: z.number().int().describe("Files inside, besides the manifest."),
    version: z.string(),
    schemaVersion: z.number().int(),
    startedAt: z.string().describe(
      "When the snapshot began: every write acknowledged before is inside.",
    ),
    durationMs: z.number(),
  }),
  access: "admin",
  hints: {},
  http: { method: "POST", path: "/backups", status: 201 },
  cli: { words: ["backup", "create"] },
  handler: async ({ to }, { services }) => {
    const r = await services.backups.create({ target: services.backups.target(to) });
    return { ...r, startedAt: new Date(r.startedAt).toISOString() };
  },
});

/** `backups.list` */
export const listBackups = defineOperation({
  name: "backups.list",
  summary: "List backups",
  description: "Lists the backups in the data folder's backups/ (or at --to), newest first.",
  input: z.strictObject({ to: To }),
  output: z.array(BackupView),
  access: "admin",
  hints: { readOnly: true },
  http: { method: "GET", path: "/backups" },
  cli: { words: ["backup", "list"], columns: ["name", "bytes", "createdAt"] },
  handler: async ({ to }, { services }) => {
    const target = services.backups.target(to);
    return (await services.backups.list(target)).map((b) => view(b, target.location));
  },
});

/** `backups.prune` */
export const pruneBackups = defineOperation({
  name: "backups.prune",
  summary: "Delete old backups",
  description:
    "Keeps the newest --keep backups in the data folder's backups/ (or at --to) and deletes the others; lists those deleted.",
  input: z.strictObject({
    keep: int(1, 100_000).describe("How many of the newest backups to keep."),
    to: To,
  }),
  output: z.array(BackupView),
  access: "admin",
  hints: { destructive: true, idempotent: true },
  http: { method: "POST", path: "/backups/prune" },
  cli: { words: ["backup", "prune"], columns: ["name", "bytes", "createdAt"] },
  handler: async ({ keep, to }, { services }) => {
    const target = services.backups.target(to);
    return (await services.backups.prune(keep, target)).map((b) => view(b, target.location));
  },
});

/** Every backup operation. */
export const BACKUP_OPERATIONS = [createBackup, listBackups, pruneBackups];
