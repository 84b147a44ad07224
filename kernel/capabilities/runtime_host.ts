/**
 * The kernel's side of the runtime bridge: it hands a sandbox its app's
 * code and the names of the `fazt.*` capabilities, and answers its
 * capability calls (data, secrets, stdlib, fetch) through the one
 * dispatcher (`dispatch.ts`), always for the app ID the kernel bound to that
 * sandbox. Arguments from app code are untrusted and checked there.
 *
 * @module
 */
import type { RuntimeHost } from "../../runtime/host.ts";
import type { AppCodeReader } from "../services/vfs/app_code.ts";
import type { AppDataService } from "../services/appdata/app_data_service.ts";
import type { SecretService } from "../services/secrets/secret_service.ts";
import type { LogService } from "../services/logs/log_service.ts";
import type { AppResources } from "../services/cockpit/app_resources.ts";
import type { EgressFetch, Permission } from "./capability.ts";
import type { Dispatcher } from "./dispatch.ts";

/** What the host needs. */
export interface RuntimeHostOptions {
  /** Reads an app version's code. */
  code: AppCodeReader;
  /** Per-app data. */
  appData: AppDataService;
  /** Per-app secrets. */
  secrets: SecretService;
  /** Per-app logs. */
  logs: LogService;
  /** The egress guard. */
  egress: EgressFetch;
  /** The disk breaker: app data writes are refused when it trips. */
  disk: { assertWritable(what: string): void };
  /** Monthly egress per app: fetches count, and stop past the limit. */
  meter: { fetched(appId: string, bytes: number): void; assertWithinLimit(appId: string): void };
  /** Per-app memory and CPU limits (optional: none without it). */
  resources?: Pick<AppResources, "sandboxBound" | "exitReason" | "admit">;
  /** Whether an app holds a permission (default: every app holds every permission). */
  permits?: (appId: string, permission: Permission) => boolean;
}

/** Creates the runtime host. */
export function createRuntimeHost(options: RuntimeHostOptions): RuntimeHost {
  const { logs, resources } = options;
  // The capabilities (their schemas, the dispatcher) load with the first
  // sandbox: a server with only static apps never pays for them.
  let loading: Promise<Dispatcher> | undefined;
  let dispatcher: Dispatcher | undefined;
  const load = () =>
    loading ??= import("./dispatch.ts").then((m) =>
      dispatcher = m.createDispatcher({
        services: {
          appData: options.appData,
          secrets: options.secrets,
          egress: options.egress,
          meter: options.meter,
        },
        disk: options.disk,
        permits: options.permits,
      })
    );

  return {
    code: (_appId, versionId) => {
      try {
        return Promise.resolve(options.code(versionId));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    capabilities: async () => (await load()).names,
    answersWithBytes: (op) => dispatcher?.answersWithBytes.has(op) ?? true,
    call: async (appId, op, args, signal) => await (await load()).call(appId, op, args, signal),
    log(appId, level, message, requestId) {
      logs.append({ appId, level, source: "app", message, requestId });
    },
    bound: (appId, pid) => resources?.sandboxBound(appId, pid) ?? Promise.resolve(),
    exitReason: (appId, pid, status, inflight) =>
      resources?.exitReason(appId, pid, status, inflight) ?? Promise.resolve(null),
    admit: (appId) => resources?.admit(appId),
  };
}
