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
import type { S3TargetOptions } from "./s3_target.ts";

/** The folder inside the data folder where backups go by default. */
export const DEFAULT_BACKUP_FOLDER = "backups";

/** What a target may need besides its location. */
export interface TargetContext {
  /** The data folder (for the default folder). */
  dataDir: string;
  /**
   * The saved options (credentials included) of an `s3://` location, from the
   * owner's saved targets (`fazt backup target set`); absent where none can
   * be read (then `s3://` locations are refused).
   */
  s3?: (location: string) => S3TargetOptions;
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
export function targetFor(location: string, ctx: TargetContext): BackupTarget {
  if (/^s3:\/\//i.test(location)) {
    if (!ctx.s3) {
      throw new FaztError(
        "invalid_input",
        `An s3:// location needs the server's saved credentials; fetch the archive from the bucket to a file first, then restore that file (${location}).`,
      );
    }
    return lazyS3Target(location, ctx.s3);
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

/**
 * An S3 target whose client (signer, sockets) loads on first use, so a
 * server that never backs up to S3 never pays for it. The credentials are
 * read at that point too: a location with none saved fails with the
 * command that saves them.
 */
function lazyS3Target(location: string, open: (location: string) => S3TargetOptions): BackupTarget {
  let loaded: Promise<BackupTarget> | undefined;
  const target = () =>
    loaded ??= import("./s3_target.ts").then((m) => m.createS3Target(open(location)));
  return {
    location,
    put: async (name, file) => await (await target()).put(name, file),
    list: async () => await (await target()).list(),
    fetch: async (name, toFile) => await (await target()).fetch(name, toFile),
    remove: async (name) => await (await target()).remove(name),
  };
}
