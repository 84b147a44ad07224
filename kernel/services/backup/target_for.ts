/**
 * Where a backup location string leads: a folder path, or `s3://bucket/prefix`
 * for an S3-compatible bucket (see `s3_target.ts` when present).
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { FaztError } from "../../core/errors.ts";
import type { BackupTarget } from "./backup_target.ts";
import { createFolderTarget } from "./folder_target.ts";

/** The folder inside the data folder where backups go by default. */
export const DEFAULT_BACKUP_FOLDER = "backups";

/** What a target may need besides its location. */
export interface TargetContext {
  /** The data folder (for the default folder). */
  dataDir: string;
}

/** The default target: `<data>/backups/`. */
export function defaultTarget(ctx: TargetContext): BackupTarget {
  return createFolderTarget(join(ctx.dataDir, DEFAULT_BACKUP_FOLDER), true);
}

/**
 * The target at `location`: an absolute path of an existing folder, or an `s3://` URL.
 * Throws `invalid_input` for anything else. (`_ctx` is for targets that need
 * more than a location, like S3 credentials.)
 */
export function targetFor(location: string, _ctx: TargetContext): BackupTarget {
  if (/^s3:\/\//i.test(location)) {
    throw new FaztError(
      "not_implemented",
      `S3 backup targets are not supported by this fazt yet (${location}); back up to a folder (--to DIR) and copy the archive to the bucket yourself.`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new FaztError(
      "invalid_input",
      `Backups go to a folder or an s3://bucket/prefix URL (got "${location}").`,
    );
  }
  if (!isAbsolute(location)) {
    throw new FaztError(
      "invalid_input",
      `The backup folder must be an absolute path on the server's machine (got "${location}").`,
    );
  }
  return createFolderTarget(location);
}
