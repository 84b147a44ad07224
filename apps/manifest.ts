/**
 * `app.json`, the optional app manifest: its schema and parsing. The format
 * is documented in docs/APP_FORMAT.md; later features add fields here.
 *
 * @module
 */
import { z } from "zod";
import { APP_NAME_PATTERN, appNameProblem } from "./app_name.ts";
import { FaztError } from "../kernel/core/errors.ts";
import { DocIndexesSchema } from "./doc_indexes.ts";

/** The schema of `app.json`. Unknown fields are refused so typos surface. */
export const AppManifestSchema = z.strictObject({
  $schema: z.string().optional().describe("Editor hint; ignored by fazt."),
  name: z.string().regex(APP_NAME_PATTERN, "must be a lowercase DNS label (a-z, 0-9, -)")
    .refine((n) => !appNameProblem(n), "is reserved for fazt")
    .optional().describe("Default app name (and subdomain) when none is given at deploy."),
  title: z.string().trim().min(1).max(120).optional().describe("Human-readable title."),
  description: z.string().max(2000).optional().describe("What the app does."),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, "must look like 1.2.3")
    .optional().describe("The app's own version label, e.g. 1.2.3."),
  spa: z.boolean().optional().describe(
    "Single-page app: unknown extension-less paths serve index.html.",
  ),
  indexes: DocIndexesSchema.optional(),
});

/** A validated `app.json`. */
export type AppManifest = z.infer<typeof AppManifestSchema>;

/** Parses and validates the bytes of `app.json`, throwing `invalid_manifest`. */
export function parseManifest(bytes: Uint8Array): AppManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new FaztError(
      "invalid_manifest",
      `app.json is not valid JSON (${
        err instanceof Error ? err.message : err
      }). Fix the file or remove it.`,
      { details: { file: "app.json" } },
    );
  }
  const parsed = AppManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.join("."),
      message: i.message,
    }));
    const first = issues[0];
    throw new FaztError(
      "invalid_manifest",
      `app.json is invalid: ${
        first.path ? `"${first.path}" ` : ""
      }${first.message}. See docs/APP_FORMAT.md for the fields.`,
      { details: { file: "app.json", issues } },
    );
  }
  return parsed.data;
}
