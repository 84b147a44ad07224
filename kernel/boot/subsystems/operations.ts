/**
 * The operations subsystem: the app, deploy, route and domain services (each raises
 * the change signal after a commit), the facts about this kernel, and the
 * one `Services` object every operation handler receives.
 *
 * @module
 */
import { join } from "node:path";
import { createAppService } from "../../services/apps/app_service.ts";
import { createDeployService } from "../../services/apps/deploy_service.ts";
import { createExportService } from "../../services/apps/export_service.ts";
import { createImportService } from "../../services/apps/import_service.ts";
import { createRouteService } from "../../services/routing/route_service.ts";
import { createDomainService } from "../../services/routing/domain_service.ts";
import type { Database } from "../../store/database.ts";
import type { Services, StorageStats } from "../../ops/services.ts";
import { VERSION } from "../../core/version.ts";
import { KERNEL_DB_FILE, publicUrl } from "../config.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** What operations can reach. */
    services: Services;
  }
}

/** Builds the services operations run against. */
export const operations: Subsystem = {
  name: "operations",
  install(ctx) {
    const { config } = ctx;
    const db = ctx.get("db");
    const routes = ctx.get("routes");
    const content = ctx.get("content");
    const changes = ctx.get("appChanges");
    const onChange = () => changes.emit();
    // Deploys prune old versions and removals delete apps: give their pages back.
    const vacuum = ctx.get("vacuum");
    changes.listen(() => vacuum.request());
    const disk = ctx.get("disk");
    const memoryGuard = ctx.find("memoryGuard");
    const secure = config.https !== null;
    ctx.provide("services", {
      apps: createAppService({ db, onChange }),
      deploy: createDeployService({
        db,
        tmpDir: ctx.get("tmpDir"),
        keepVersions: config.keepVersions,
        maxUploadBytes: config.maxUploadBytes,
        onChange,
        disk,
      }),
      appExport: createExportService({
        kernelDbPath: join(config.dataDir, KERNEL_DB_FILE),
        dataDir: config.dataDir,
        tmpDir: ctx.get("tmpDir"),
      }),
      appImport: createImportService({
        db,
        dataDir: config.dataDir,
        tmpDir: ctx.get("tmpDir"),
        maxUploadBytes: config.maxUploadBytes,
        keepVersions: config.keepVersions,
        onChange,
        disk,
      }),
      routes: createRouteService({ db, onChange, domain: config.domain }),
      domains: createDomainService({ db, onChange, domain: config.domain }),
      tokens: ctx.get("tokens"),
      traffic: ctx.get("traffic"),
      system: {
        version: VERSION,
        domain: config.domain,
        startedAt: ctx.get("startedAt"),
        dataDir: config.dataDir,
        schemaVersion: db.schemaVersion,
        appUrl: (name) => publicUrl(`${name}.${config.domain}`, config.publicPort, secure),
        rootUrl: publicUrl(config.domain, config.publicPort, secure),
        hostUrl: (host) => publicUrl(host, config.publicPort, secure),
        adminUrl: () => publicUrl(routes.adminHost(), config.publicPort, secure),
        cacheStats: () => content.stats(),
        storageStats: () => storageStats(db, config.dataDir),
      },
      store: vacuum,
      owners: ctx.get("owners"),
      devices: ctx.get("devices"),
      secrets: ctx.get("secrets"),
      backupTargets: ctx.get("backupTargets"),
      logs: ctx.get("logs"),
      appData: ctx.get("appData"),
      runtime: ctx.get("runtime"),
      guards: {
        disk,
        meter: ctx.get("meter"),
        shedder: ctx.get("shedder"),
        gate: ctx.get("gate"),
        ipLimiter: ctx.get("ipLimiter"),
        memory: () => memoryGuard?.stats() ?? null,
        resources: ctx.get("resources"),
      },
      limits: ctx.get("limits"),
      tls: ctx.find("tls"),
      backups: ctx.get("backups"),
      backupSchedule: () => ctx.get("backupSchedule")?.status() ?? null,
    });
  },
};

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

function storageStats(db: Database, dataDir: string): StorageStats {
  const row = db.read.prepare(
    `SELECT (SELECT count(*) FROM blobs) AS blobs, (SELECT coalesce(sum(size), 0) FROM blobs) AS blobBytes,
       (SELECT count(*) FROM versions) AS versions`,
  ).get() as { blobs: number; blobBytes: number; versions: number };
  const base = join(dataDir, KERNEL_DB_FILE);
  return {
    databaseBytes: fileSize(base) + fileSize(`${base}-wal`),
    blobs: row.blobs,
    blobBytes: row.blobBytes,
    versions: row.versions,
  };
}
