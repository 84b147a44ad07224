/**
 * The kernel's side of the runtime bridge: it hands a sandbox its app's
 * code and the names of the `fazt.*` capabilities, and answers its
 * capability calls (data, secrets, stdlib, fetch) through the one
 * dispatcher (`dispatch.ts`), always for the app ID the kernel bound to that
 * sandbox. Arguments from app code are untrusted and checked there.
 *
 * @module
 */
import type { Database } from "../store/database.ts";
import { FaztError } from "../core/errors.ts";
import type { RuntimeHost } from "../../runtime/host.ts";
import { versionFiles } from "../services/vfs/version_store.ts";
import { readBlob } from "../services/vfs/content_store.ts";
import type { AppDataService } from "../services/appdata/app_data_service.ts";
import type { SecretService } from "../services/secrets/secret_service.ts";
import type { LogService } from "../services/logs/log_service.ts";
import type { AppResources } from "../services/cockpit/app_resources.ts";
import { apiEntryOf } from "../../apps/api_entry.ts";
import type { EgressFetch, Permission } from "./capability.ts";
import { createDispatcher } from "./dispatch.ts";
import { FAZT_CAPABILITY_NAMES } from "./registry.ts";

/** File types sent to a sandbox as code. */
const CODE_FILE = /\.(?:js|mjs|cjs|ts|json)$/;
/** Most code bytes sent to a sandbox. */
const MAX_CODE_BYTES = 20 * 1024 * 1024;

/** What the host needs. */
export interface RuntimeHostOptions {
  /** The kernel database (for code). */
  db: Database;
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
  const { db, logs, resources } = options;
  const dispatcher = createDispatcher({
    services: {
      appData: options.appData,
      secrets: options.secrets,
      egress: options.egress,
      meter: options.meter,
    },
    disk: options.disk,
    permits: options.permits,
  });
  const codeCache = new Map<number, { files: Record<string, string>; entry: string }>();

  return {
    code(_appId, versionId) {
      const cached = codeCache.get(versionId);
      if (cached) return Promise.resolve(cached);
      const all = versionFiles(db.read, versionId);
      const entry = apiEntryOf(all.map((f) => f.path));
      if (!entry) {
        return Promise.reject(new FaztError("not_found", "This app has no api/main.js."));
      }
      const decoder = new TextDecoder();
      const files: Record<string, string> = {};
      let total = 0;
      for (const f of all) {
        if (!CODE_FILE.test(f.path)) continue;
        total += f.size;
        if (total > MAX_CODE_BYTES) {
          return Promise.reject(
            new FaztError("payload_too_large", `The app's code is over ${MAX_CODE_BYTES} bytes.`),
          );
        }
        files[f.path] = decoder.decode(readBlob(db.read, f.hash) ?? new Uint8Array());
      }
      const code = { files, entry };
      if (codeCache.size > 64) codeCache.delete(codeCache.keys().next().value!);
      codeCache.set(versionId, code);
      return Promise.resolve(code);
    },
    capabilities: FAZT_CAPABILITY_NAMES,
    answersWithBytes: dispatcher.answersWithBytes,
    call: dispatcher.call,
    log(appId, level, message, requestId) {
      logs.append({ appId, level, source: "app", message, requestId });
    },
    bound: (appId, pid) => resources?.sandboxBound(appId, pid) ?? Promise.resolve(),
    exitReason: (appId, pid, status, inflight) =>
      resources?.exitReason(appId, pid, status, inflight) ?? Promise.resolve(null),
    admit: (appId) => resources?.admit(appId),
  };
}
