/**
 * Operations on the owner's S3 backup targets: save the endpoint, region
 * and keys for an `s3://bucket/prefix` location, list them, forget one.
 * Owner only (`admin`). No operation ever returns a secret key or a session
 * token: listings show the access key ID and `****`.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import type { S3TargetInfo } from "../services/backup/s3_credentials.ts";
import { parseS3Location } from "../services/backup/s3_location.ts";

/** The environment variables the CLI reads the secret key and session token from. */
export const S3_SECRET_ENV = {
  secretAccessKey: "FAZT_S3_SECRET_ACCESS_KEY",
  sessionToken: "FAZT_S3_SESSION_TOKEN",
} as const;

const location = z.string().min(1).max(600).describe(
  "Where backups go: s3://bucket or s3://bucket/prefix.",
);

const S3TargetView = z.object({
  location: z.string(),
  endpoint: z.string().nullable(),
  region: z.string(),
  accessKeyId: z.string(),
  secretAccessKey: z.literal("****"),
  sessionToken: z.literal("****").nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function view(t: S3TargetInfo): z.input<typeof S3TargetView> {
  return {
    ...t,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

/** `backups.set_target` */
export const setBackupTarget = defineOperation({
  name: "backups.set_target",
  summary: "Save an S3 backup target",
  description:
    "Saves how to reach an S3-compatible bucket for backups: the endpoint (for MinIO, R2, B2 and the like; omit it for AWS S3), the region and the keys. The secret key and session token are encrypted at rest and never shown again. On the command line they are read from FAZT_S3_SECRET_ACCESS_KEY and FAZT_S3_SESSION_TOKEN or, for the secret key, from standard input, never from a flag. Before saving, fazt lists the bucket once with these keys, so a wrong bucket, key or endpoint shows now rather than at the next backup.",
  input: z.strictObject({
    location,
    endpoint: z.string().min(1).max(500).optional().describe(
      "The server's base URL, like https://s3.example.com (path-style); omit for AWS S3.",
    ),
    region: z.string().min(1).max(32).optional().describe(
      "The region to sign for (default us-east-1; auto for R2).",
    ),
    accessKeyId: z.string().min(1).max(1024).describe("The access key ID."),
    secretAccessKey: z.string().min(1).max(1024).describe("The secret access key."),
    sessionToken: z.string().min(1).max(8192).optional().describe(
      "A session token, for temporary credentials.",
    ),
    check: z.boolean().optional().describe(
      "List the bucket with these keys before saving (default true; --check=false skips it).",
    ),
  }),
  output: S3TargetView,
  access: "admin",
  hints: { idempotent: true },
  http: { method: "PUT", path: "/backups/targets", maxBodyBytes: 32 * 1024 },
  cli: {
    words: ["backup", "target", "set"],
    positionals: ["location"],
    flagAliases: { "access-key-id": "accessKeyId" },
    secretInputs: S3_SECRET_ENV,
  },
  handler: async ({ check, ...input }, { services }) =>
    view(await services.backupTargets.set(input, { check: check !== false })),
});

/** `backups.list_targets` */
export const listBackupTargets = defineOperation({
  name: "backups.list_targets",
  summary: "List S3 backup targets",
  description:
    "Lists the saved S3 backup targets with their endpoint, region and access key ID; secret keys and session tokens show as ****.",
  input: z.strictObject({}),
  output: z.array(S3TargetView),
  access: "admin",
  hints: { readOnly: true },
  http: { method: "GET", path: "/backups/targets" },
  cli: {
    words: ["backup", "target", "list"],
    columns: ["location", "endpoint", "region", "accessKeyId", "secretAccessKey"],
  },
  handler: (_input, { services }) => Promise.resolve(services.backupTargets.list().map(view)),
});

/** `backups.remove_target` */
export const removeBackupTarget = defineOperation({
  name: "backups.remove_target",
  summary: "Forget an S3 backup target",
  description:
    "Deletes the saved endpoint and keys of an S3 backup target. The backups in the bucket stay.",
  input: z.strictObject({ location }),
  output: z.object({ location: z.string(), removed: z.literal(true) }),
  access: "admin",
  hints: { destructive: true },
  http: { method: "DELETE", path: "/backups/targets" },
  cli: { words: ["backup", "target", "rm"], positionals: ["location"] },
  handler: async ({ location }, { services }) => {
    const normalized = parseS3Location(location).location;
    await services.backupTargets.remove(normalized);
    return { location: normalized, removed: true as const };
  },
});

/** Every backup-target operation. */
export const BACKUP_TARGET_OPERATIONS = [setBackupTarget, listBackupTargets, removeBackupTarget];
