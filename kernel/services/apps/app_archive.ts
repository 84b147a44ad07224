/**
 * The `.fazt` app archive (docs/APP_FORMAT.md, "App archives"): a zip
 * holding `fazt-app.json` (this module's schema), the live version's files
 * under `files/` and, when exported with data, snapshots of the app's
 * `store.db` and `sql.db` under `data/`. Secrets are never part of it.
 *
 * @module
 */
import { z } from "zod";
import { FaztError } from "../../core/errors.ts";
import { APP_ID_PATTERN } from "./app_id.ts";

/** The archive's description file, at the root of the zip. */
export const ARCHIVE_MANIFEST_FILE = "fazt-app.json";

/** The format name in `fazt-app.json`. */
export const ARCHIVE_FORMAT = "fazt-app";

/** The format version this fazt writes and reads. */
export const ARCHIVE_FORMAT_VERSION = 1;

/** Where the version's files sit in the zip. */
export const ARCHIVE_FILES_PREFIX = "files/";

/** The data snapshots an archive may hold, by their path in the zip. */
export const ARCHIVE_DATA_FILES = ["data/store.db", "data/sql.db"] as const;

/** The largest `fazt-app.json` accepted. */
export const ARCHIVE_MANIFEST_MAX_BYTES = 8 * 1024 * 1024;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in lowercase hex");

const Entry = z.strictObject({
  path: z.string().min(1).max(1024),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256,
});

/** The schema of `fazt-app.json`. */
export const ArchiveManifestSchema = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: z.number().int().min(1),
  faztVersion: z.string().max(64),
  exportedAt: z.string().max(64),
  withData: z.boolean(),
  app: z.strictObject({
    id: z.string().regex(APP_ID_PATTERN, "must be a fazt app ID"),
    name: z.string().min(1).max(63),
    title: z.string().max(200).nullable(),
  }),
  manifest: z.record(z.string(), z.unknown()),
  files: z.array(Entry).max(100_000),
  data: z.array(Entry.extend({ path: z.enum(ARCHIVE_DATA_FILES) })).max(
    ARCHIVE_DATA_FILES.length,
  ),
});

/** A validated `fazt-app.json`. */
export type ArchiveManifest = z.infer<typeof ArchiveManifestSchema>;

/** One file of an archive as `fazt-app.json` lists it. */
export type ArchiveEntryRecord = z.infer<typeof Entry>;

/** An `invalid_archive` error with `details.reason`. */
export function archiveError(
  reason: string,
  message: string,
  details: Record<string, unknown> = {},
): FaztError {
  return new FaztError("invalid_archive", message, { details: { reason, ...details } });
}

/**
 * Parses `fazt-app.json`: valid JSON, this schema, and a format version
 * this fazt reads (`invalid_archive` with reason `not_fazt_archive`,
 * `bad_manifest` or `format_version`).
 */
export function parseArchiveManifest(bytes: Uint8Array): ArchiveManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw archiveError("bad_manifest", `${ARCHIVE_MANIFEST_FILE} is not valid JSON.`);
  }
  const head = raw as { format?: unknown; formatVersion?: unknown } | null;
  if (typeof head !== "object" || head === null || head.format !== ARCHIVE_FORMAT) {
    throw archiveError(
      "not_fazt_archive",
      `${ARCHIVE_MANIFEST_FILE} does not describe a fazt app archive. Export the app with \`fazt app export\`.`,
    );
  }
  if (typeof head.formatVersion === "number" && head.formatVersion > ARCHIVE_FORMAT_VERSION) {
    throw archiveError(
      "format_version",
      `This archive has format version ${head.formatVersion}; this fazt reads version ${ARCHIVE_FORMAT_VERSION}. Upgrade fazt to import it.`,
      { formatVersion: head.formatVersion, supported: ARCHIVE_FORMAT_VERSION },
    );
  }
  const parsed = ArchiveManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw archiveError(
      "bad_manifest",
      `${ARCHIVE_MANIFEST_FILE} is invalid: "${issue.path.join(".")}" ${issue.message}.`,
      { path: issue.path.join(".") },
    );
  }
  if (parsed.data.formatVersion !== ARCHIVE_FORMAT_VERSION) {
    throw archiveError(
      "format_version",
      `This archive has format version ${parsed.data.formatVersion}; this fazt reads version ${ARCHIVE_FORMAT_VERSION}.`,
      { formatVersion: parsed.data.formatVersion, supported: ARCHIVE_FORMAT_VERSION },
    );
  }
  return parsed.data;
}
