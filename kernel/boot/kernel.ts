/**
 * The kernel: the list of subsystems, installed in order by the boot
 * sequence (`subsystem.ts`). Used by `fazt serve` and, for a local data
 * folder with no server running, by the CLI in-process. To add a subsystem,
 * write `kernel/boot/subsystems/<name>.ts` and add one line to
 * {@linkcode SUBSYSTEMS}.
 *
 * @module
 */
import type { Database } from "../store/database.ts";
import type { HttpHandler } from "../http/handler.ts";
import type { Services } from "../ops/services.ts";
import type { TlsService } from "../services/tls/tls_service.ts";
import { KERNEL_DEFAULTS, type KernelConfig } from "./config.ts";
import { boot, type Subsystem } from "./subsystem.ts";
import { store } from "./subsystems/store.ts";
import { routing } from "./subsystems/routing.ts";
import { vfs } from "./subsystems/vfs.ts";
import { logs } from "./subsystems/logs.ts";
import { secrets } from "./subsystems/secrets.ts";
import { tls } from "./subsystems/tls.ts";
import { auth } from "./subsystems/auth.ts";
import { metering } from "./subsystems/metering.ts";
import { cockpit } from "./subsystems/cockpit.ts";
import { resources } from "./subsystems/resources.ts";
import { appdata } from "./subsystems/appdata.ts";
import { runtime } from "./subsystems/runtime.ts";
import { memory } from "./subsystems/memory.ts";
import { backup } from "./subsystems/backup.ts";
import { operations } from "./subsystems/operations.ts";
import { http } from "./subsystems/http.ts";

/** Every subsystem, in install order (each may use the parts of those before it). */
export const SUBSYSTEMS: readonly Subsystem[] = [
  store,
  routing,
  vfs,
  logs,
  secrets,
  tls,
  auth,
  metering,
  cockpit,
  resources,
  appdata,
  runtime,
  memory,
  backup,
  operations,
  http,
];

/** A running kernel. */
export interface Kernel {
  /** The HTTP entry point. */
  handler: HttpHandler;
  /** Kernel services. */
  services: Services;
  /** The kernel database. */
  db: Database;
  /** Certificates, when HTTPS is on. */
  tls: TlsService | null;
  /** The local owner token. */
  ownerToken: string;
  /** Writes buffered counters now. */
  flush(): Promise<void>;
  /** Stops every subsystem, writes buffered counters and closes the database. */
  close(): Promise<void>;
}

/** Opens the data folder and assembles a kernel. */
export async function createKernel(
  partial: Partial<KernelConfig> & { dataDir: string },
): Promise<Kernel> {
  const config: KernelConfig = { ...KERNEL_DEFAULTS, ...partial };
  const { parts, flush, close } = await boot(config, SUBSYSTEMS);
  return {
    handler: parts.handler!,
    services: parts.services!,
    db: parts.db!,
    tls: parts.tls ?? null,
    ownerToken: parts.ownerToken!,
    flush,
    close,
  };
}
