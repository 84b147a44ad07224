/**
 * What a backup archive says about itself: its file name
 * (`fazt-backup-<UTC yyyymmddThhmmssZ>-<version>.tar`) and its manifest,
 * `manifest.json`, the second-to-last member, followed by
 * `manifest.sha256` (the manifest's own SHA-256), so every byte of an
 * archive is covered by a checksum. The manifest names the fazt version
 * and schema versions that wrote it, when the snapshot began, and every
 * other member with its size and SHA-256.
 *
 * @module
 */
import { z } from "zod";
import { FaztError } from "../../core/errors.ts";

/** The manifest's member name. */
export const MANIFEST_FILE = "manifest.json";

/** The member holding the manifest's SHA-256 (hex, one line). */
export const MANIFEST_SUM_FILE = "manifest.sha256";

/** The archive layout this fazt writes and the newest it reads. */
export const BACKUP_FORMAT_VERSION = 1;

/** Paths a backup may hold: the kernel database, the secrets key, apps' data files. */
const MEMBER_PATH = /^(?:kernel\.db|secrets\.key|apps\/app_[a-z2-7]{16}\/(?:store|sql)\.db)$/;

/** One file inside a backup. */
export const ManifestFile = z.strictObject({
  path: z.string().regex(MEMBER_PATH),
  kind: z.enum(["database", "file"]),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The manifest of a backup. */
export const BackupManifest = z.object({
  format: z.literal("fazt-backup"),
  formatVersion: z.number().int().min(1),
  version: z.string().min(1).max(64),
  schemaVersion: z.number().int().min(0),
  appStoreSchemaVersion: z.number().int().min(0),
  startedAt: z.number().int().min(0),
  finishedAt: z.number().int().min(0),
  files: z.array(ManifestFile),
});

/** A backup's manifest. */
export type BackupManifest = z.infer<typeof BackupManifest>;

/** A file inside a backup. */
export type ManifestFile = z.infer<typeof ManifestFile>;

const NAME =
  /^fazt-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([0-9A-Za-z.+-]{1,64})\.tar$/;

/** The archive name of a backup that began at `startedAt` (ms) under fazt `version`. */
export function backupName(startedAt: number, version: string): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `fazt-backup-${stamp}-${version}.tar`;
}

/** When the backup named `name` began (ms, to the second) and which fazt wrote it, or null when it is no backup name. */
export function parseBackupName(name: string): { startedAt: number; version: string } | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, version] = m;
  const startedAt = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  return Number.isNaN(startedAt) ? null : { startedAt, version };
}

function versionParts(v: string): { core: number[]; pre: string | null } {
  const [main, ...pre] = v.split("+")[0].split("-");
  return {
    core: main.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : 0)),
    pre: pre.length ? pre.join("-") : null,
  };
}

/** Compares two versions like semver (negative: `a` is older). */
export function compareVersions(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.core.length, y.core.length); i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === null) return 1;
  if (y.pre === null) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** Parses and checks a manifest's text; throws `invalid_archive` naming `file`. */
export function parseManifest(file: string, text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FaztError("invalid_archive", `${file}: its manifest is not JSON.`);
  }
  const parsed = BackupManifest.safeParse(value);
  if (!parsed.success) {
    throw new FaztError(
      "invalid_archive",
      `${file}: its manifest is not one fazt writes (${parsed.error.issues[0]?.message}).`,
    );
  }
  return parsed.data;
}
