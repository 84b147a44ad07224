/**
 * Capability test helpers: the real services capabilities run against (a
 * kernel database, app data, secrets, the egress guard and meter, the disk
 * guard and logs) on a temp data folder, removed afterwards; and a real
 * sandbox process bound to an app through the real runtime host.
 *
 * @module
 */
import { type Database, openDatabase } from "../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../kernel/store/schema.ts";
import {
  type AppDataService,
  createAppDataService,
} from "../../kernel/services/appdata/app_data_service.ts";
import {
  createSecretService,
  type SecretService,
} from "../../kernel/services/secrets/secret_service.ts";
import {
  createEgressGuard,
  type EgressOptions,
} from "../../kernel/services/egress/egress_guard.ts";
import {
  createEgressMeter,
  type EgressMeter,
} from "../../kernel/services/metering/egress_meter.ts";
import { createDiskGuard, type DiskGuard } from "../../kernel/services/cockpit/disk_guard.ts";
import { createLogService, type LogService } from "../../kernel/services/logs/log_service.ts";
import type { CapabilityServices } from "../../kernel/capabilities/capability.ts";
import {
  createRuntimeHost,
  type RuntimeHostOptions,
} from "../../kernel/capabilities/runtime_host.ts";
import { Sandbox } from "../../runtime/sandbox.ts";
import { sandboxSpawnSpec } from "../../runtime/mod.ts";
import { APP_A, APP_B } from "./appdata.ts";
import { createAppCodeReader } from "../../kernel/services/vfs/app_code.ts";

/** Real services on a temp data folder. */
export interface CapabilityWorld {
  /** The temp data folder. */
  dataDir: string;
  /** The kernel database (apps {@linkcode APP_A} "alpha" and {@linkcode APP_B} "beta" exist). */
  db: Database;
  /** App data under `<dataDir>/apps`. */
  appData: AppDataService;
  /** App secrets. */
  secrets: SecretService;
  /** The egress meter. */
  meter: EgressMeter;
  /** The disk guard over `<dataDir>/apps` (never refreshed unless a test does). */
  disk: DiskGuard;
  /** App logs. */
  logs: LogService;
  /** The services as capabilities see them. */
  services: CapabilityServices;
}

/** Options for {@linkcode withCapabilityWorld}. */
export interface WorldOptions {
  /** The disk guard's quota over the apps' data (default: none). */
  quotaBytes?: number;
  /** Options of the egress guard (default: a 2 s deadline). */
  egress?: EgressOptions;
}

/** Runs `fn` with real services on a fresh temp data folder, closing and removing them after. */
export async function withCapabilityWorld(
  fn: (world: CapabilityWorld) => Promise<void>,
  options: WorldOptions = {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-caps-" });
  const db = openDatabase({ path: `${dataDir}/kernel.db`, migrations: KERNEL_MIGRATIONS });
  const appData = createAppDataService({ dataDir });
  const disk = createDiskGuard({ dataDir: `${dataDir}/apps`, quotaBytes: options.quotaBytes });
  try {
    await db.write((w) => {
      const add = w.prepare(
        "INSERT INTO apps (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)",
      );
      add.run(APP_A, "alpha");
      add.run(APP_B, "beta");
    });
    const secrets = createSecretService({ db, key: crypto.getRandomValues(new Uint8Array(32)) });
    const meter = createEgressMeter({ db });
    const egress = createEgressGuard({ timeoutMs: 2000, ...options.egress });
    const logs = createLogService({ db, maxPerApp: 1000 });
    await fn({
      dataDir,
      db,
      appData,
      secrets,
      meter,
      disk,
      logs,
      services: { appData, secrets, egress, meter },
    });
  } finally {
    await disk.stop();
    await appData.close();
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** A real sandbox process bound to {@linkcode APP_A} ("alpha") through the real runtime host. */
export interface BoundSandbox {
  /** The process. */
  sandbox: Sandbox;
  /** Sends a request to the app and returns its response. */
  request(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * Runs `fn` with a sandbox that loaded `files` (entry `api/main.js`) as app
 * {@linkcode APP_A}, its host built on `world` (`host` overrides options).
 */
export async function withSandbox(
  world: CapabilityWorld,
  files: Record<string, string>,
  fn: (s: BoundSandbox) => Promise<void>,
  host: Partial<RuntimeHostOptions> = {},
): Promise<void> {
  const spec = await sandboxSpawnSpec(64);
  const sandbox = new Sandbox(
    spec,
    createRuntimeHost({
      code: createAppCodeReader(world.db.read),
      appData: world.appData,
      secrets: world.secrets,
      logs: world.logs,
      egress: world.services.egress,
      disk: world.disk,
      meter: world.meter,
      ...host,
    }),
  );
  try {
    await sandbox.load({ id: APP_A, name: "alpha" }, { files, entry: "api/main.js" });
    let n = 0;
    await fn({
      sandbox,
      async request(path, init) {
        const req = new Request(`http://alpha.localhost${path}`, init);
        const body = req.body ? new Uint8Array(await req.arrayBuffer()) : null;
        const { response } = sandbox.request(req, `req-${++n}`, body);
        return (await response).res;
      },
    });
  } finally {
    sandbox.kill("test over");
    await sandbox.exited;
    await Deno.remove(spec.socketDir, { recursive: true });
  }
}
