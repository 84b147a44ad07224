/**
 * Scheduled backups: one every `everyMs`, then a prune to the newest
 * `keep`. The first is due one interval after the newest backup already at
 * the target (so restarts neither skip nor repeat one), and within a
 * minute when there is none. Runs never overlap (the service queues them);
 * a failure is logged and shown in the status, and retried after at most
 * an hour; it never stops the schedule.
 *
 * @module
 */
import type { BackupService } from "./backup_service.ts";
import type { BackupTarget } from "./backup_target.ts";
import { parseBackupName } from "./manifest.ts";

/** The shortest interval `--backup-every` accepts (ms). */
export const MIN_BACKUP_EVERY_MS = 60_000;

/** How soon a failed scheduled backup is tried again, at most (ms). */
const RETRY_MS = 3_600_000;

/** How soon the first backup runs when the target holds none (ms). */
const FIRST_DELAY_MS = 60_000;

/** Options for {@linkcode createBackupSchedule}. */
export interface BackupScheduleOptions {
  /** The backup service. */
  service: BackupService;
  /** Where backups go. */
  target: BackupTarget;
  /** The interval (ms). */
  everyMs: number;
  /** How many backups to keep. */
  keep: number;
  /** Where failures are reported (default `console.error`). */
  onError?: (err: unknown) => void;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

/** The schedule, as `system.status` shows it. */
export interface BackupScheduleStatus {
  /** The interval (ms). */
  everyMs: number;
  /** Backups kept. */
  keep: number;
  /** Where they go. */
  location: string;
  /** When the next one is due (ms), or null before the schedule starts. */
  nextAt: number | null;
}

/** A running schedule. */
export interface BackupSchedule {
  /** Starts it (reads the target to find when the first backup is due). */
  start(): Promise<void>;
  /** Stops it; a backup in progress is left to the service's own shutdown. */
  stop(): void;
  /** Its settings and next run. */
  status(): BackupScheduleStatus;
}

/** Makes a backup schedule. */
export function createBackupSchedule(options: BackupScheduleOptions): BackupSchedule {
  const { service, target, everyMs, keep } = options;
  const now = options.now ?? Date.now;
  const onError = options.onError ??
    ((err) => console.error(`fazt: scheduled backup to ${target.location} failed:`, err));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let nextAt: number | null = null;
  let stopped = false;

  function schedule(at: number): void {
    if (stopped) return;
    nextAt = at;
    timer = setTimeout(tick, Math.max(0, at - now()));
  }

  async function tick(): Promise<void> {
    timer = undefined;
    try {
      await service.create({ target });
      await service.prune(keep, target);
      schedule(now() + everyMs);
    } catch (err) {
      if (stopped) return;
      onError(err);
      schedule(now() + Math.min(everyMs, RETRY_MS));
    }
  }

  return {
    async start() {
      let newest: number | null = null;
      try {
        const first = (await target.list())[0];
        newest = first ? parseBackupName(first.name)!.startedAt : null;
      } catch (err) {
        onError(err);
      }
      schedule(newest === null ? now() + Math.min(everyMs, FIRST_DELAY_MS) : newest + everyMs);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      nextAt = null;
    },
    status() {
      return { everyMs, keep, location: target.location, nextAt };
    },
  };
}
