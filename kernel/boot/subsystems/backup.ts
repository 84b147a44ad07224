/**
 * The backup subsystem: the backup service (online snapshots of the data
 * folder into one archive, see `services/backup/`) and, with
 * `--backup-every`, the schedule that takes them in the background. Its
 * shutdown stops the schedule and a backup in progress (which then leaves
 * nothing behind).
 *
 * @module
 */
import { type BackupService, createBackupService } from "../../services/backup/backup_service.ts";
import {
  type BackupSchedule,
  createBackupSchedule,
} from "../../services/backup/backup_schedule.ts";
import {
  createS3CredentialStore,
  type S3CredentialStore,
} from "../../services/backup/s3_credentials.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Backups. */
    backups: BackupService;
    /** The owner's saved S3 backup targets (credentials sealed). */
    backupTargets: S3CredentialStore;
    /** The backup schedule, or null when none is set. */
    backupSchedule: BackupSchedule | null;
  }
}

/** Builds the backup service and starts the schedule, if any. */
export const backup: Subsystem = {
  name: "backup",
  async install(ctx) {
    const { config } = ctx;
    const targets = createS3CredentialStore({ db: ctx.get("db"), key: ctx.get("secretKey") });
    ctx.provide("backupTargets", targets);
    const service = createBackupService({
      dataDir: config.dataDir,
      disk: ctx.get("disk"),
      beforeSnapshot: () => ctx.flushAll(),
      schemaVersion: ctx.get("db").schemaVersion,
      s3: (location) => targets.open(location),
    });
    ctx.provide("backups", service);
    let schedule: BackupSchedule | null = null;
    if (config.backupEveryMs !== null) {
      const target = service.target(config.backupTo ?? undefined);
      // A folder that is not there fails the boot now, not the first backup hours later.
      await target.list();
      schedule = createBackupSchedule({
        service,
        target,
        everyMs: config.backupEveryMs,
        keep: config.backupKeep,
      });
      ctx.onReady(() => void schedule!.start());
    }
    ctx.provide("backupSchedule", schedule);
    ctx.onClose(async () => {
      schedule?.stop();
      await service.close();
    });
  },
};
