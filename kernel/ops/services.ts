/**
 * The kernel services an operation handler may use. Handlers depend on
 * this interface only, never on how services are built.
 *
 * @module
 */
import type { AppService } from "../apps/app_service.ts";
import type { DeployService } from "../apps/deploy_service.ts";
import type { RouteService } from "../routing/route_service.ts";
import type { TokenService } from "../auth/token_service.ts";
import type { TrafficMeter } from "../accounting/traffic_meter.ts";
import type { ContentCacheStats } from "../vfs/content_cache.ts";

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
  /** Content cache counters. */
  cacheStats(): ContentCacheStats;
}

/** Everything operations can reach. */
export interface Services {
  /** Apps and versions. */
  apps: AppService;
  /** Deploys. */
  deploy: DeployService;
  /** Aliases and the root route. */
  routes: RouteService;
  /** API tokens. */
  tokens: TokenService;
  /** Traffic counters. */
  traffic: TrafficMeter;
  /** Facts about this kernel. */
  system: SystemFacts;
}
