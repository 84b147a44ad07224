/**
 * The kernel's side of the runtime bridge: it hands a sandbox its app's
 * code and answers its capability calls (data, secrets, stdlib, fetch)
 * against kernel services, always for the app ID the kernel bound to that
 * sandbox. Arguments from app code are untrusted and checked here.
 *
 * @module
 */
import type { Database } from "../store/database.ts";
import { FaztError } from "../core/errors.ts";
import type { RuntimeHost } from "../../runtime/host.ts";
import { fromBase64, toBase64 } from "../../runtime/protocol.ts";
import { versionFiles } from "../services/vfs/version_store.ts";
import { readBlob } from "../services/vfs/content_store.ts";
import type { AppDataService } from "../services/appdata/app_data_service.ts";
import type { SecretService } from "../services/secrets/secret_service.ts";
import type { LogService } from "../services/logs/log_service.ts";
import type { AppResources } from "../services/cockpit/app_resources.ts";
import { isStdlibName, loadStdlib } from "../../stdlib/mod.ts";
import { apiEntryOf } from "../../apps/api_entry.ts";

/** File types sent to a sandbox as code. */
const CODE_FILE = /\.(?:js|mjs|cjs|ts|json)$/;
/** Most code bytes sent to a sandbox. */
const MAX_CODE_BYTES = 20 * 1024 * 1024;

/** Fetch as the egress guard offers it. */
export interface EgressFetch {
  /** Performs a guarded request. */
  fetch(
    req: { url: string; method?: string; headers?: [string, string][]; body?: Uint8Array | null },
    signal?: AbortSignal,
  ): Promise<
    {
      status: number;
      statusText: string;
      headers: [string, string][];
      body: Uint8Array;
      url: string;
    }
  >;
}

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
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new FaztError("invalid_input", `${what} must be a string.`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new FaztError("invalid_input", `${what} must be an object.`);
  }
  return v as Record<string, unknown>;
}

/** Creates the runtime host. */
export function createRuntimeHost(options: RuntimeHostOptions): RuntimeHost {
  const { db, appData, secrets, logs, egress, disk, meter, resources } = options;
  const WRITES = new Set([
    "kv.set",
    "kv.increment",
    "docs.insert",
    "docs.update",
    "blobs.put",
    "sql.exec",
  ]);
  const codeCache = new Map<number, { files: Record<string, string>; entry: string }>();

  type Call = (appId: string, args: unknown[], signal?: AbortSignal) => unknown;
  const calls: Record<string, Call> = {
    "kv.get": (app, [key]) => appData.forApp(app).kv.get(str(key, "key")),
    "kv.set": (app, [key, value, opts]) =>
      appData.forApp(app).kv.set(str(key, "key"), value, obj(opts, "options") as { ttl?: number }),
    "kv.delete": (app, [key]) => appData.forApp(app).kv.delete(str(key, "key")),
    "kv.list": (app, [opts]) => appData.forApp(app).kv.list(obj(opts, "options")),
    "kv.increment": (app, [key, by]) =>
      appData.forApp(app).kv.increment(str(key, "key"), by === undefined ? 1 : by as number),
    "docs.insert": (app, [c, doc]) =>
      appData.forApp(app).docs.insert(str(c, "collection"), doc as Record<string, unknown>),
    "docs.find": (app, [c, filter, opts]) =>
      appData.forApp(app).docs.find(
        str(c, "collection"),
        obj(filter, "filter"),
        obj(opts, "options"),
      ),
    "docs.findOne": (app, [c, filter]) =>
      appData.forApp(app).docs.findOne(str(c, "collection"), obj(filter, "filter")),
    "docs.update": (app, [c, filter, update]) =>
      appData.forApp(app).docs.update(
        str(c, "collection"),
        obj(filter, "filter"),
        obj(update, "update"),
      ),
    "docs.delete": (app, [c, filter]) =>
      appData.forApp(app).docs.delete(str(c, "collection"), obj(filter, "filter")),
    "docs.count": (app, [c, filter]) =>
      appData.forApp(app).docs.count(str(c, "collection"), obj(filter, "filter")),
    "blobs.put": (app, [path, data, opts]) =>
      appData.forApp(app).blobs.put(
        str(path, "path"),
        fromBase64(str(data, "data")),
        obj(opts, "options") as { type?: string },
      ),
    "blobs.get": async (app, [path]) => {
      const blob = await appData.forApp(app).blobs.get(str(path, "path"));
      return blob &&
        { data: toBase64(blob.bytes), type: blob.type, size: blob.size, updatedAt: blob.updatedAt };
    },
    "blobs.delete": (app, [path]) => appData.forApp(app).blobs.delete(str(path, "path")),
    "blobs.list": (app, [opts]) => appData.forApp(app).blobs.list(obj(opts, "options")),
    "sql.query": (app, [sql, params]) =>
      appData.forApp(app).sql.query(str(sql, "sql"), params as unknown[] | undefined),
    "sql.exec": (app, [sql, params]) =>
      appData.forApp(app).sql.exec(str(sql, "sql"), params as unknown[] | undefined),
    "env.get": (app, [name]) => secrets.reveal(app, str(name, "name")) ?? null,
    "stdlib": (_app, [name]) => {
      const n = str(name, "name");
      if (!isStdlibName(n)) throw new FaztError("not_found", `No stdlib library "${n}".`);
      return loadStdlib(n);
    },
    "fetch": async (app, [req], signal) => {
      const r = obj(req, "request");
      meter.assertWithinLimit(app);
      const res = await egress.fetch({
        url: str(r.url, "url"),
        method: typeof r.method === "string" ? r.method : "GET",
        headers: Array.isArray(r.headers) ? r.headers as [string, string][] : [],
        body: typeof r.body === "string" ? fromBase64(r.body) : null,
      }, signal);
      meter.fetched(app, res.body.byteLength);
      return { ...res, body: toBase64(res.body) };
    },
  };

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
    async call(appId, op, args, signal) {
      const fn = calls[op];
      if (!fn) throw new FaztError("not_found", `Unknown capability "${op}".`);
      if (WRITES.has(op)) disk.assertWritable("Saving app data");
      if (!Array.isArray(args)) throw new FaztError("invalid_input", "Arguments must be a list.");
      return await fn(appId, args, signal);
    },
    log(appId, level, message, requestId) {
      logs.append({ appId, level, source: "app", message, requestId });
    },
    bound: (appId, pid) => resources?.sandboxBound(appId, pid) ?? Promise.resolve(),
    exitReason: (appId, pid, status, inflight) =>
      resources?.exitReason(appId, pid, status, inflight) ?? Promise.resolve(null),
    admit: (appId) => resources?.admit(appId),
  };
}
