/**
 * The kernel's schema: its migrations, one file each in
 * `kernel/store/migrations/` (`NNNN_name.ts`, append-only: never edit a
 * released one, add the next number).
 *
 * @module
 */
import type { Migration } from "./migrations.ts";
import { migration as m0001 } from "./migrations/0001_apps_vfs_tokens.ts";
import { migration as m0002 } from "./migrations/0002_owner_sessions_secrets_logs.ts";
import { migration as m0003 } from "./migrations/0003_app_egress_limits.ts";
import { migration as m0004 } from "./migrations/0004_known_devices.ts";
import { migration as m0005 } from "./migrations/0005_app_memory_limits.ts";
import { migration as m0006 } from "./migrations/0006_certificates.ts";
import { migration as m0007 } from "./migrations/0007_backup_targets.ts";
import { migration as m0008 } from "./migrations/0008_background_compression.ts";

/** The file name of the kernel database inside the data folder. */
export const KERNEL_DB_FILE = "kernel.db";

/** Every kernel migration, oldest first. */
export const KERNEL_MIGRATIONS: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
];
