/**
 * The registry: the list of every operation fazt has. Transports iterate
 * this list; adding an operation means adding it to its group's list.
 *
 * @module
 */
import type { AnyOperation } from "./operation.ts";
import { APP_OPERATIONS } from "./app_ops.ts";
import { ROUTE_OPERATIONS } from "./route_ops.ts";
import { DOMAIN_OPERATIONS } from "./domain_ops.ts";
import { CERT_OPERATIONS } from "./cert_ops.ts";
import { SYSTEM_OPERATIONS } from "./system_ops.ts";
import { GUARD_OPERATIONS } from "./guard_ops.ts";
import { AUTH_OPERATIONS } from "./auth_ops.ts";
import { TOKEN_OPERATIONS } from "./token_ops.ts";
import { SECRET_OPERATIONS } from "./secret_ops.ts";
import { LOG_OPERATIONS } from "./log_ops.ts";
import { DEPLOY_FILES_OPERATIONS } from "./deploy_files_ops.ts";
import { DATA_OPERATIONS } from "./data_ops.ts";
import { BACKUP_TARGET_OPERATIONS } from "./backup_target_ops.ts";
import { BACKUP_OPERATIONS } from "./backup_ops.ts";
import { APP_TRANSFER_OPERATIONS } from "./app_transfer_ops.ts";

/** Every operation, in display order. */
export const OPERATIONS: readonly AnyOperation[] = [
  ...APP_OPERATIONS,
  ...DEPLOY_FILES_OPERATIONS,
  ...APP_TRANSFER_OPERATIONS,
  ...ROUTE_OPERATIONS,
  ...DOMAIN_OPERATIONS,
  ...CERT_OPERATIONS,
  ...SECRET_OPERATIONS,
  ...LOG_OPERATIONS,
  ...DATA_OPERATIONS,
  ...TOKEN_OPERATIONS,
  ...AUTH_OPERATIONS,
  ...SYSTEM_OPERATIONS,
  ...GUARD_OPERATIONS,
  ...BACKUP_TARGET_OPERATIONS,
  ...BACKUP_OPERATIONS,
];
