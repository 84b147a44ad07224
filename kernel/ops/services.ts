/**
 * The kernel services an operation handler may use. Handlers depend on
 * this interface only, never on how services are built.
 *
 * @module
 */
import type { AppService } from "../services/apps/app_service.ts";
import type { DeployService } from "../services/apps/deploy_service.ts";
import type { ExportService } from "../services/apps/export_service.ts";
import type { ImportService } from "../services/apps/import_service.ts";
import type { RouteService } from "../services/routing/route_service.ts";
import type { DomainService } from "../services/routing/domain_service.ts";
import type { TlsService } from "../services/tls/tls_service.ts";
import type { TokenService } from "../services/auth/token_service.ts";
import type { TrafficMeter } from "../services/metering/traffic_meter.ts";
import type { ContentCacheStats } from "../services/vfs/content_cache.ts";
import type { OwnerService } from "../services/auth/owner_service.ts";
import type { ActionLimiter } from "../services/cockpit/action_limiter.ts";
import type { LoginThrottle } from "../services/auth/login_throttle.ts";
import type { KnownDeviceService } from "../services/auth/known_devices.ts";
import type { SecretService } from "../services/secrets/secret_service.ts";
import type { S3CredentialStore } from "../services/backup/s3_credentials.ts";
import type { LogService } from "../services/logs/log_service.ts";
import type { AppDataService } from "../services/appdata/app_data_service.ts";
import type { Runtime } from "../../runtime/mod.ts";
import type { DiskGuard } from "../services/cockpit/disk_guard.ts";
import type { EgressMeter } from "../services/metering/egress_meter.ts";
import type { LoadShedder } from "../services/cockpit/load_shedder.ts";
import type { PriorityGate } from "../services/cockpit/priority_gate.ts";
import type { IpRateLimiter } from "../services/cockpit/ip_rate_limiter.ts";
import type { MemoryGuardStats } from "../services/cockpit/memory_guard.ts";
import type { AppResources } from "../services/cockpit/app_resources.ts";
import type { BackupService } from "../services/backup/backup_service.ts";
import type { BackupScheduleStatus } from "../services/backup/backup_schedule.ts";
import type { Vacuum } from "../services/maintenance/vacuum.ts";

/** Facts about the running kernel. */
export interface SystemFacts {
  /** fazt's version. */
  version: string;
  /** The primary domain. */
  domain: string;
  /** When the kernel started (ms). */
  startedAt: number;
  /** The data folder. */
  dataDir: string;
  /** The schema version of the kernel database. */
  schemaVersion: number;
  /** The public URL of an app by name. */
  appUrl(name: string): string;
  /** The public URL of the primary domain. */
  rootUrl: string;
  /** The public URL of any host fazt serves by its full name (a custom domain). */
  hostUrl(host: string): string;
  /** The public URL of the admin host now (it moves to `admin.<domain>` while `@` is routed). */
  adminUrl(): string;
  /** Content cache counters. */
  cacheStats(): ContentCacheStats;
  /** Storage counters. */
  storageStats(): StorageStats;
}

/** What the store holds. */
export interface StorageStats {
  /** Size of the kernel database files (bytes). */
  databaseBytes: number;
  /** Distinct file contents stored. */
  blobs: number;
  /** Bytes of distinct file contents. */
  blobBytes: number;
  /** Versions kept, all apps. */
  versions: number;
}

/** The rate limiters operations consult. */
export interface Limits {
  /** Login attempts: per address, per address and account, per account from new devices, per known device. */
  login: LoginThrottle;
  /** Setup attempts per client IP. */
  setupPerIp: ActionLimiter;
  /** Deploys per caller. */
  deploys: ActionLimiter;
}

/** Everything operations can reach. */
export interface Services {
  /** Apps and versions. */
  apps: AppService;
  /** Deploys. */
  deploy: DeployService;
  /** App exports (`.fazt` archives). */
  appExport: ExportService;
  /** App imports (`.fazt` archives). */
  appImport: ImportService;
  /** Aliases and the root route. */
  routes: RouteService;
  /** Custom domains (full names outside the primary domain). */
  domains: DomainService;
  /** Certificates, when HTTPS is on; absent while fazt serves plain HTTP. */
  tls?: TlsService;
  /** API tokens. */
  tokens: TokenService;
  /** Traffic counters. */
  traffic: TrafficMeter;
  /** Facts about this kernel. */
  system: SystemFacts;
  /** The kernel database's size, free pages and vacuum. */
  store: Pick<Vacuum, "space" | "stats">;
  /** The owner account and sessions. */
  owners: OwnerService;
  /** The owner's known devices (browsers it logged in from). */
  devices: KnownDeviceService;
  /** Per-app secrets. */
  secrets: SecretService;
  /** The owner's S3 backup targets (keys sealed). */
  backupTargets: S3CredentialStore;
  /** Per-app logs. */
  logs: LogService;
  /** Rate limits. */
  limits: Limits;
  /** Each app's own data. */
  appData: AppDataService;
  /** The serverless runtime (for its statistics). */
  runtime: Pick<Runtime, "stats">;
  /** The circuit breakers. */
  guards: Guards;
  /** Backups. */
  backups: BackupService;
  /** The backup schedule (`--backup-every`), or null when none is set. */
  backupSchedule(): BackupScheduleStatus | null;
}

/** The kernel's circuit breakers. */
export interface Guards {
  /** Disk: refuses writes past the volume limit or quota. */
  disk: DiskGuard;
  /** Network: monthly egress per app, with limits. */
  meter: EgressMeter;
  /** Admission: user traffic is shed before the cockpit. */
  shedder: LoadShedder;
  /** CPU priority: user traffic takes turns so the cockpit runs first. */
  gate: Pick<PriorityGate, "stats">;
  /** Per-client-IP rate limit of user traffic. */
  ipLimiter: Pick<IpRateLimiter, "stats">;
  /** Memory: the guard's last reading, when it runs. */
  memory(): MemoryGuardStats | null;
  /** Per-app memory caps and CPU budgets. */
  resources: Pick<AppResources, "mechanism" | "view" | "status" | "setMemoryLimit" | "memoryLimit">;
}
