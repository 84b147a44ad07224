/**
 * `apps.deploy_files`: deploy an app from files given inline (path →
 * text or base64) instead of a zip upload. Meant for agents and scripts
 * that write a few files: the files are packed into a zip in memory and
 * handed to the same deploy as `apps.deploy`, so the archive checks,
 * `app.json` validation, atomic switch, rate limit and log line are the
 * same.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { deployApp } from "./app_ops.ts";
import { Upload } from "./upload.ts";
import { FaztError } from "../core/errors.ts";
import { jsonInput } from "./json_input.ts";
import { escapedName } from "../../apps/archive.ts";
import { zipStored } from "../../apps/zip_stored.ts";

/** The most files one call may carry. */
export const DEPLOY_FILES_MAX_FILES = 1000;

/** The most bytes (decoded) one call may carry. */
export const DEPLOY_FILES_MAX_BYTES = 10 * 1024 * 1024;

/** The largest JSON body accepted for it over REST (base64 adds a third). */
export const DEPLOY_FILES_MAX_BODY_BYTES = 16 * 1024 * 1024;

const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
const encoder = new TextEncoder();

/**
 * Why `path` is not a valid file path of an app, or `undefined` when it is.
 * The rules are those of archive entries (`apps/archive.ts`): relative,
 * "/" between folders, no "." or ".." segments, no control characters.
 */
export function filePathProblem(path: string): string | undefined {
  const q = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
  if (path === "") return "a file path is empty";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(path)) return `${q} has control characters`;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) {
    return `${q} is absolute; give paths relative to the app folder (like "index.html")`;
  }
  if (path.includes("\\")) return `${q} has a backslash; use "/" between folders`;
  if (encoder.encode(path).length > MAX_PATH_BYTES) {
    return `${q} is longer than ${MAX_PATH_BYTES} bytes`;
  }
  for (const segment of path.split("/")) {
    if (segment === "") return `${q} has an empty folder name (a trailing or double "/")`;
    if (segment === "." || segment === "..") return `${q} has a "${segment}" segment`;
    if (encoder.encode(segment).length > MAX_SEGMENT_BYTES) {
      return `${q} has a file or folder name longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
  }
  return undefined;
}

const FileContent = z.union([
  z.strictObject({ text: z.string().describe("The content as text (stored as UTF-8).") }),
  z.strictObject({ base64: z.string().describe("The content's bytes, base64-encoded.") }),
]);

function decodeBase64(path: string, text: string): Uint8Array {
  try {
    return Uint8Array.fromBase64(text.replace(/\s+/g, ""));
  } catch {
    throw new FaztError(
      "invalid_input",
      `The base64 content of ${JSON.stringify(path)} is not valid base64.`,
      { details: { path } },
    );
  }
}

/**
 * Turns the `files` input into zip entries, enforcing the path rules and
 * limits. Paths are stored in Unicode NFC (as archive entries are), so two
 * paths that are one name in NFC are refused.
 */
export function filesToEntries(
  files: Record<string, { text: string } | { base64: string }>,
): Record<string, Uint8Array> {
  const paths = Object.keys(files);
  if (paths.length === 0) {
    throw new FaztError(
      "invalid_input",
      'Give at least one file, e.g. {"index.html": {"text": "<h1>Hi</h1>"}}.',
    );
  }
  if (paths.length > DEPLOY_FILES_MAX_FILES) {
    throw new FaztError(
      "payload_too_large",
      `${paths.length} files is more than the ${DEPLOY_FILES_MAX_FILES} one call may deploy. Zip the folder and use apps.deploy instead.`,
      { details: { limit: DEPLOY_FILES_MAX_FILES } },
    );
  }
  const entries: Record<string, Uint8Array> = {};
  const given = new Map<string, string>();
  let total = 0;
  for (const original of paths) {
    const path = original.normalize("NFC");
    const problem = filePathProblem(path);
    if (problem) {
      throw new FaztError("invalid_input", `Invalid file path: ${problem}.`, {
        details: { path: original },
      });
    }
    const twin = given.get(path);
    if (twin !== undefined) {
      throw new FaztError(
        "invalid_input",
        `The paths ${escapedName(twin)} and ${
          escapedName(original)
        } are one name written in two Unicode forms; fazt stores file names in NFC. Give the file once.`,
        { details: { paths: [twin, original] } },
      );
    }
    given.set(path, original);
    const content = files[original];
    const bytes = "text" in content
      ? encoder.encode(content.text)
      : decodeBase64(path, content.base64);
    total += bytes.length;
    if (total > DEPLOY_FILES_MAX_BYTES) {
      throw new FaztError(
        "payload_too_large",
        `The files add up to more than ${DEPLOY_FILES_MAX_BYTES} bytes, the limit of one call. Zip the folder and use apps.deploy instead.`,
        { details: { limit: DEPLOY_FILES_MAX_BYTES } },
      );
    }
    entries[path] = bytes;
  }
  return entries;
}

/** `apps.deploy_files` */
export const deployFiles = defineOperation({
  name: "apps.deploy_files",
  summary: "Deploy files given inline",
  description:
    'Deploys an app from files given as path → {"text": …} or {"base64": …} (at most 1000 files and 10 MiB) as a new version and makes it live atomically; a new name creates the app. The files replace the whole app, exactly like a zip deploy (checked the same way; a top folder shared by every file other than api/ is stripped).',
  input: z.strictObject({
    app: z.string().min(1).max(100).describe("App name or ID; a new name creates the app."),
    files: jsonInput(z.record(z.string(), FileContent)).describe(
      'The app\'s files: path → {"text": "…"} or {"base64": "…"}, e.g. {"index.html": {"text": "<h1>Hi</h1>"}, "api/main.js": {"text": "…"}}.',
    ),
  }),
  output: deployApp.output,
  access: "apps:write",
  appField: "app",
  hints: {},
  http: {
    method: "POST",
    path: "/apps/{app}/deploy-files",
    maxBodyBytes: DEPLOY_FILES_MAX_BODY_BYTES,
  },
  cli: { words: ["app", "deploy-files"], positionals: ["app"] },
  handler: async ({ app, files }, ctx) => {
    const zip = await zipStored(filesToEntries(files));
    const result = await deployApp.handler({ app, archive: Upload.fromBytes(zip) }, ctx);
    return result as z.input<typeof deployApp.output>;
  },
});

/** Every operation of this file. */
export const DEPLOY_FILES_OPERATIONS = [deployFiles];
