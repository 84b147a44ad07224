/**
 * Operations on apps: list, get, create, deploy, versions, rename,
 * rollback and delete.
 *
 * @module
 */
import { countOf } from "../core/text.ts";
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import type { Services } from "./services.ts";
import type { AppRecord } from "../services/apps/app_service.ts";
import type { VersionRecord } from "../services/vfs/version_store.ts";
import { Upload, uploadSchema } from "./upload.ts";
import { Download, downloadSchema } from "./download.ts";
import { LOGO_FILE } from "../../apps/logo.ts";
import { contentTypeFor } from "../services/vfs/content_type.ts";
import { int, MAX_COUNT, queryInt } from "./number_input.ts";
import { ResourceView } from "./guard_ops.ts";

const appRef = z.string().min(1).max(100).describe("App name or ID.");

/** A version as the API shows it. */
export const VersionView = z.object({
  number: z.number().int().describe("Per-app version number."),
  createdAt: z.string().describe("ISO time of the deploy."),
  files: z.number().int(),
  bytes: z.number().int(),
  live: z.boolean(),
});

/** An app as the API shows it. */
export const AppView = z.object({
  id: z.string().describe("Stable app ID."),
  name: z.string().describe("Current name, also the subdomain."),
  url: z.string().describe("Where the app is served."),
  title: z.string().nullable(),
  description: z.string().nullable(),
  version: z.number().int().nullable().describe("The live version number."),
  files: z.number().int(),
  bytes: z.number().int(),
  hasLogo: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A version as the API shows it, from its record. */
export function versionView(v: VersionRecord, liveId: number | null): z.input<typeof VersionView> {
  return {
    number: v.number,
    createdAt: iso(v.createdAt),
    files: v.fileCount,
    bytes: v.totalBytes,
    live: v.id === liveId,
  };
}

/** An app as the API shows it, from its record. */
export function appView(s: Services, app: AppRecord): z.input<typeof AppView> {
  const live = s.apps.liveVersion(app);
  const m = live?.manifest ?? {};
  return {
    id: app.id,
    name: app.name,
    url: s.system.appUrl(app.name),
    title: typeof m.title === "string" ? m.title : null,
    description: typeof m.description === "string" ? m.description : null,
    version: live?.number ?? null,
    files: live?.fileCount ?? 0,
    bytes: live?.totalBytes ?? 0,
    hasLogo: live ? s.apps.hasFile(live.id, LOGO_FILE) : false,
    createdAt: iso(app.createdAt),
    updatedAt: iso(app.updatedAt),
  };
}

const Traffic = z.object({
  requests: z.number().int(),
  bytesOut: z.number().int(),
  s2xx: z.number().int(),
  s3xx: z.number().int(),
  s4xx: z.number().int(),
  s5xx: z.number().int(),
});

/** `apps.list` */
export const listApps = defineOperation({
  name: "apps.list",
  summary: "List apps",
  description: "Lists every app with its URL and live version.",
  input: z.strictObject({}),
  output: z.array(AppView),
  access: "apps:read",
  filtersByApp: true,
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps" },
  cli: { words: ["app", "list"], columns: ["name", "id", "version", "url"] },
  handler: (_input, { services, principal }) =>
    Promise.resolve(
      services.apps.list().filter((a) => !principal.apps || principal.apps.has(a.id)).map((a) =>
        appView(services, a)
      ),
    ),
});

/** `apps.get` */
export const getApp = defineOperation({
  name: "apps.get",
  summary: "Show an app",
  description:
    "Shows one app: its details, versions, traffic of the last 24 hours, and its memory cap and CPU budget with their use and stops.",
  input: z.strictObject({ app: appRef }),
  output: AppView.extend({
    versions: z.array(VersionView),
    traffic24h: Traffic,
    resources: ResourceView,
  }),
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}" },
  cli: { words: ["app", "info"], positionals: ["app"] },
  handler: async ({ app: ref }, { services }) => {
    const app = services.apps.resolve(ref);
    return {
      ...appView(services, app),
      versions: services.apps.versions(app.id).map((v) => versionView(v, app.liveVersionId)),
      traffic24h: services.traffic.totals(app.id, Date.now() - 86_400_000),
      resources: await services.guards.resources.view(app.id),
    };
  },
});

/** `apps.create` */
export const createApp = defineOperation({
  name: "apps.create",
  summary: "Create an empty app",
  description: "Creates an app with a name and no files; deploy files to it next.",
  input: z.strictObject({ name: z.string().min(1).max(63).describe("The new app's name.") }),
  output: AppView,
  access: "apps:write",
  hints: {},
  http: { method: "POST", path: "/apps", status: 201 },
  cli: { words: ["app", "create"], positionals: ["name"] },
  handler: async ({ name }, { services }) => appView(services, await services.apps.create(name)),
});

/** `apps.deploy` */
export const deployApp = defineOperation({
  name: "apps.deploy",
  summary: "Deploy a zip archive",
  description:
    "Uploads a zip of the app's folder as a new version and makes it live atomically. A new name creates the app; without a name, the archive's app.json names it.",
  input: z.strictObject({
    archive: uploadSchema,
    app: appRef.optional().describe("App name or ID; a new name creates the app."),
  }),
  output: z.object({
    app: AppView,
    version: VersionView,
    created: z.boolean().describe("True when this deploy created the app."),
  }),
  access: "apps:write",
  appField: "app",
  hints: {},
  http: {
    method: "POST",
    path: "/deploy",
    upload: { field: "archive", contentTypes: ["application/zip", "application/octet-stream"] },
  },
  cli: {
    words: ["app", "add"],
    positionals: ["archive"],
    flagAliases: { name: "app" },
    summary: "Deploy a folder or a .zip",
    description:
      "Deploys a folder (zipped on the way without .git, node_modules and what its .faztignore names) or a .zip file as a new version and makes it live atomically. A new --name creates the app; without --name, the app.json name is used, else the folder's name.",
    help: { archive: "The app's folder, or a .zip of it." },
  },
  handler: async ({ app, archive }, { services, principal, clientIp, requestId }) => {
    services.limits.deploys.hit(principal.tokenId ?? principal.ownerId ?? clientIp);
    const result = await services.deploy.deploy({ app, archive: (archive as Upload).stream });
    services.logs.append({
      appId: result.app.id,
      level: "info",
      source: "kernel",
      message: `Deployed version ${result.version.number} (${
        countOf(result.version.fileCount, "file")
      }, ${result.version.totalBytes} bytes).`,
      requestId,
    });
    return {
      app: appView(services, result.app),
      version: versionView(result.version, result.version.id),
      created: result.created,
    };
  },
});

/** `apps.versions` */
export const listVersions = defineOperation({
  name: "apps.versions",
  summary: "List an app's versions",
  description: "Lists the versions kept for an app, newest first, marking the live one.",
  input: z.strictObject({ app: appRef }),
  output: z.array(VersionView),
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/versions" },
  cli: {
    words: ["app", "versions"],
    positionals: ["app"],
    columns: ["number", "createdAt", "files", "bytes", "live"],
  },
  handler: ({ app: ref }, { services }) => {
    const app = services.apps.resolve(ref);
    return Promise.resolve(
      services.apps.versions(app.id).map((v) => versionView(v, app.liveVersionId)),
    );
  },
});

/** `apps.rename` */
export const renameApp = defineOperation({
  name: "apps.rename",
  summary: "Rename an app",
  description: "Gives an app a new name (and subdomain). Its ID, files, data and logs stay.",
  input: z.strictObject({ app: appRef, name: z.string().min(1).max(63).describe("The new name.") }),
  output: AppView,
  access: "apps:write",
  appField: "app",
  hints: { idempotent: true },
  http: { method: "POST", path: "/apps/{app}/rename" },
  cli: { words: ["app", "rename"], positionals: ["app", "name"] },
  handler: async ({ app, name }, { services, requestId }) => {
    const before = services.apps.resolve(app);
    const renamed = await services.apps.rename(app, name);
    if (before.name !== renamed.name) {
      services.logs.append({
        appId: renamed.id,
        level: "info",
        source: "kernel",
        message: `Renamed from ${before.name} to ${renamed.name}.`,
        requestId,
      });
    }
    return appView(services, renamed);
  },
});

/** `apps.rollback` */
export const rollbackApp = defineOperation({
  name: "apps.rollback",
  summary: "Roll an app back",
  description:
    "Makes an earlier version live again, instantly: the given version number, or else the one before the live version.",
  input: z.strictObject({
    app: appRef,
    version: int(1, MAX_COUNT).optional().describe("Version number to go live."),
  }),
  output: z.object({ app: AppView, version: VersionView }),
  access: "apps:write",
  appField: "app",
  hints: {},
  http: { method: "POST", path: "/apps/{app}/rollback" },
  cli: { words: ["app", "rollback"], positionals: ["app"] },
  handler: async ({ app: ref, version }, { services, requestId }) => {
    const target = await services.apps.rollback(ref, version);
    const app = services.apps.resolve(target.appId);
    services.logs.append({
      appId: app.id,
      level: "info",
      source: "kernel",
      message: `Rolled back: version ${target.number} is live.`,
      requestId,
    });
    return { app: appView(services, app), version: versionView(target, app.liveVersionId) };
  },
});

/** `apps.delete` */
export const deleteApp = defineOperation({
  name: "apps.delete",
  summary: "Delete an app",
  description: "Deletes an app with all its versions and files. This cannot be undone.",
  input: z.strictObject({ app: appRef }),
  output: z.object({ id: z.string(), name: z.string(), deleted: z.literal(true) }),
  access: "apps:delete",
  appField: "app",
  hints: { destructive: true },
  http: { method: "DELETE", path: "/apps/{app}" },
  cli: { words: ["app", "rm"], positionals: ["app"] },
  handler: async ({ app }, { services }) => {
    const removed = await services.apps.remove(app);
    await services.appData.drop(removed.id);
    return { id: removed.id, name: removed.name, deleted: true as const };
  },
});

const FileView = z.object({
  path: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  hash: z.string().describe("SHA-256 of the content."),
  modifiedAt: z.string(),
});

const versionInput = queryInt(1, MAX_COUNT).optional().describe(
  "Version number (default: the live version).",
);

/** `apps.files` */
export const listFiles = defineOperation({
  name: "apps.files",
  summary: "List an app's files",
  description: "Lists the files of an app's live version, or of another kept version.",
  input: z.strictObject({ app: appRef, version: versionInput }),
  output: z.array(FileView),
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/files" },
  cli: { words: ["app", "files"], positionals: ["app"], columns: ["path", "size", "contentType"] },
  handler: ({ app, version }, { services }) => {
    const files = services.apps.files(app, version);
    return Promise.resolve(files.map((f) => ({
      path: f.path,
      size: f.size,
      contentType: contentTypeFor(f.path),
      hash: f.hash,
      modifiedAt: iso(f.modifiedAt),
    })));
  },
});

/** The media type of an app's logo. */
const LOGO_TYPE = "image/svg+xml";

/** `apps.logo` */
export const appLogo = defineOperation({
  name: "apps.logo",
  summary: "Show an app's logo",
  description:
    "Sends the logo.svg of an app's live version (at most 64 KiB, a plain drawing: deploys refuse scripts, event handlers and references to other files), for the dashboard's <img>. It is sent under a CSP that runs no script.",
  input: z.strictObject({ app: appRef }),
  output: downloadSchema,
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: {
    method: "GET",
    path: "/apps/{app}/logo",
    download: { contentType: LOGO_TYPE, inline: true },
  },
  cli: { words: ["app", "logo"], positionals: ["app"] },
  handler: ({ app }, { services }) =>
    Promise.resolve(
      new Download(ReadableStream.from([services.apps.logo(app)]), LOGO_FILE, LOGO_TYPE),
    ),
});

/** Largest file `apps.read_file` returns. */
export const READ_FILE_MAX_BYTES = 1024 * 1024;

/** `apps.read_file` */
export const readFile = defineOperation({
  name: "apps.read_file",
  summary: "Read one of an app's files",
  description:
    "Returns one file of an app's live (or given) version: text as UTF-8, anything else as base64. Files up to 1 MiB.",
  input: z.strictObject({
    app: appRef,
    path: z.string().min(1).max(1024).describe("The file's path, e.g. index.html."),
    version: versionInput,
  }),
  output: z.object({
    path: z.string(),
    size: z.number().int(),
    contentType: z.string(),
    encoding: z.enum(["utf-8", "base64"]),
    content: z.string(),
  }),
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/file" },
  cli: { words: ["app", "cat"], positionals: ["app", "path"] },
  handler: ({ app, path, version }, { services }) => {
    const file = services.apps.readFile(
      app,
      path.replace(/^\/+/, ""),
      version,
      READ_FILE_MAX_BYTES,
    );
    let text: string | undefined;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
    } catch {
      text = undefined;
    }
    return Promise.resolve({
      path: file.path,
      size: file.bytes.length,
      contentType: contentTypeFor(file.path),
      encoding: text === undefined ? "base64" as const : "utf-8" as const,
      content: text ?? encodeBase64(file.bytes),
    });
  },
});

function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Every app operation. */
export const APP_OPERATIONS = [
  listApps,
  getApp,
  createApp,
  deployApp,
  listVersions,
  renameApp,
  rollbackApp,
  deleteApp,
  listFiles,
  readFile,
  appLogo,
];
