/**
 * The backup service's contract: consistent online snapshots of
 * everything fazt holds (the kernel store with certificates and tokens,
 * every app's data files, the secrets key) in one archive, taken while the
 * server keeps serving, stored at a {@linkcode BackupTarget}; and the
 * offline restore that verifies an archive and swaps it in. Upgrades take
 * a backup first and restore it when they roll back.
 *
 * @module
 */
import type { BackupTarget, StoredBackup } from "./backup_target.ts";

/** What one finished backup is. */
export interface BackupRecord {
  /** The archive's name at its target. */
  name: string;
  /** Where it was stored (`BackupTarget.location`). */
  location: string;
  /** Archive size in bytes. */
  bytes: number;
  /** The fazt version and kernel schema version that wrote it. */
  version: string;
  /** The kernel schema version inside. */
  schemaVersion: number;
  /** When the snapshot began (ms): every write acknowledged before this is inside. */
  startedAt: number;
  /** How long it took (ms). */
  durationMs: number;
}

/** Online backups. */
export interface BackupService {
  /** Snapshots everything into one archive and stores it at `target` (default: the data folder's `backups/`). */
  create(options?: { target?: BackupTarget }): Promise<BackupRecord>;
  /** The backups at `target` (default as above), newest first. */
  list(target?: BackupTarget): Promise<StoredBackup[]>;
  /** Keeps the newest `keep` backups at `target`, deletes the rest; returns those deleted. */
  prune(keep: number, target?: BackupTarget): Promise<StoredBackup[]>;
}
