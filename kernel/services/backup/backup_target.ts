/**
 * Where backups are kept: a folder on this box or an S3-compatible bucket.
 * A backup is one finished archive file; targets only move whole files, so
 * the snapshot logic never depends on where the archive goes.
 *
 * @module
 */

/** One stored backup, as a target lists it. */
export interface StoredBackup {
  /** The archive's file name (`fazt-backup-<UTC time>-<version>.tar`, see the backup service). */
  name: string;
  /** Its size in bytes. */
  bytes: number;
  /** When it was stored (ms since the epoch). */
  modifiedAt: number;
}

/** A place backups go to and come back from. */
export interface BackupTarget {
  /** Where, for messages and listings: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * A local folder on the same file system as the target, where the
   * backup service builds the archive so that {@linkcode put} is a rename
   * (folders); absent when the archive is built in the data folder's
   * `tmp/` and uploaded (S3).
   */
  readonly stagingDir?: string;
  /**
   * Stores the finished archive at local path `file` under `name`. A
   * partial upload or copy never shows in {@linkcode list} (folders write a
   * temporary name and rename; S3 objects appear only when complete).
   * It may move `file` away instead of copying it; the caller deletes it
   * afterwards if it is still there.
   */
  put(name: string, file: string): Promise<void>;
  /** Every backup there, newest first. */
  list(): Promise<StoredBackup[]>;
  /** Copies backup `name` to local path `toFile`. */
  fetch(name: string, toFile: string): Promise<void>;
  /** Deletes backup `name`. */
  remove(name: string): Promise<void>;
}
