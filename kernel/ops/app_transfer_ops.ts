/**
 * Moving an app between servers: `apps.export` streams a `.fazt` archive of
 * an app's live version (and, when asked, its data; never its secrets),
 * `apps.import` turns one into a new app. The format is in
 * docs/APP_FORMAT.md ("App archives").
 *
 * @module
 */
import { countOf } from "../core/text.ts";
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { Upload, uploadSchema } from "./upload.ts";
import { Download, downloadSchema } from "./download.ts";
import { AppView, appView, VersionView, versionView } from "./app_ops.ts";
import { hasScope } from "../services/auth/scopes.ts";
import { FaztError } from "../core/errors.ts";

/** The media type of a `.fazt` archive (a zip). */
export const APP_ARCHIVE_TYPE = "application/zip";

/**
 * A boolean for operations that take their input from the query string:
 * the text `true` or `false` is accepted too.
 */
function queryBool(): z.ZodPreprocess<z.ZodBoolean> {
  return z.preprocess(
    (value) => value === "true" ? true : value === "false" ? false : value,
    z.boolean(),
  );
}

/** `apps.export` */
export const exportApp = defineOperation({
  name: "apps.export",
  summary: "Export an app as a .fazt archive",
  description:
    "Streams a .fazt archive (a zip) of the app's live version: its files, app.json and, with withData (which also needs the data:read scope), snapshots of its kv, documents, blobs and SQL database taken while it runs. Secrets are never exported. Import it on any fazt server with apps.import.",
  input: z.strictObject({
    app: z.string().min(1).max(100).describe("App name or ID."),
    withData: queryBool().optional().describe(
      "Include the app's data (kv, documents, blobs, SQL).",
    ),
  }),
  output: downloadSchema,
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/export", download: { contentType: APP_ARCHIVE_TYPE } },
  cli: {
    words: ["app", "export"],
    positionals: ["app"],
    flagAliases: { "with-data": "withData" },
    description:
      "Writes a .fazt archive (a zip) of the app's live version: its files, app.json and, with --with-data (which also needs the data:read scope), snapshots of its kv, documents, blobs and SQL database taken while it runs. Secrets are never exported. Import it on any fazt server with `fazt app import`.",
  },
  handler: async ({ app, withData }, { services, principal }) => {
    if (withData === true && !hasScope(principal, "data:read")) {
      throw new FaztError(
        "forbidden",
        'Exporting an app with its data also needs the "data:read" scope. Export without data, or use a token that has it.',
        { details: { operation: "apps.export", scope: "data:read" } },
      );
    }
    const out = await services.appExport.exportApp(app, { withData: withData === true });
    return new Download(out.stream, out.filename, APP_ARCHIVE_TYPE);
  },
});

/** `apps.import` */
export const importApp = defineOperation({
  name: "apps.import",
  summary: "Import an app from a .fazt archive",
  description:
    "Creates an app from a .fazt archive made by apps.export: its files become version 1 and its data (when exported with it) is installed, all at once or not at all. The app gets a new ID unless keepId is set, and the archive's name unless name is given.",
  input: z.strictObject({
    archive: uploadSchema,
    name: z.string().min(1).max(63).optional().describe(
      "The new app's name (default: the archive's).",
    ),
    keepId: queryBool().optional().describe(
      "Keep the exported app's ID (refused when an app here has it).",
    ),
  }),
  output: z.object({
    app: AppView,
    version: VersionView,
    sourceId: z.string().describe("The app's ID on the server it was exported from."),
    withData: z.boolean().describe("True when the archive's data was installed."),
  }),
  access: "apps:write",
  hints: {},
  http: {
    method: "POST",
    path: "/apps/import",
    status: 201,
    upload: { field: "archive", contentTypes: [APP_ARCHIVE_TYPE, "application/octet-stream"] },
  },
  cli: {
    words: ["app", "import"],
    positionals: ["archive"],
    flagAliases: { "keep-id": "keepId" },
    description:
      "Creates an app from a .fazt archive made by `fazt app export`: its files become version 1 and its data (when exported with it) is installed, all at once or not at all. The app gets a new ID unless --keep-id is given, and the archive's name unless --name is.",
    help: { archive: "The .fazt file." },
  },
  handler: async ({ archive, name, keepId }, { services, principal, clientIp, requestId }) => {
    services.limits.deploys.hit(principal.tokenId ?? principal.ownerId ?? clientIp);
    const result = await services.appImport.importApp({
      archive: (archive as Upload).stream,
      name,
      keepId: keepId === true,
    });
    services.logs.append({
      appId: result.app.id,
      level: "info",
      source: "kernel",
      message: `Imported from a .fazt archive of ${result.sourceId} (${
        countOf(result.version.fileCount, "file")
      }${result.withData ? ", with data" : ""}).`,
      requestId,
    });
    return {
      app: appView(services, result.app),
      version: versionView(result.version, result.version.id),
      sourceId: result.sourceId,
      withData: result.withData,
    };
  },
});

/** Every app transfer operation. */
export const APP_TRANSFER_OPERATIONS = [exportApp, importApp];
