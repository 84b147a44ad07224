/**
 * `fazt.blobs`: the app's files of bytes under relative paths, each with a
 * media type (`kernel/services/appdata/blob_store.ts`). Bytes cross the
 * bridge as they are (see `runtime/bridge_values.ts`).
 *
 * @module
 */
import { z } from "zod";
import { arg, bytes, type CapabilityGroup, dataOf, defineCapability, given } from "./capability.ts";

const path = arg(
  "path",
  z.string(),
  'A relative path like "images/logo.png": `/`-separated, without empty, `.` or `..` segments, backslashes or control characters; at most 1024 bytes.',
);

const info = {
  size: z.number().int().describe("Its size in bytes."),
  contentType: z.string().describe(
    'Its media type, as given to put (default "application/octet-stream").',
  ),
  type: z.string().describe("The same media type, under the name `Blob` uses."),
  updatedAt: z.number().describe("When it was last written (ms since the epoch)."),
};

/** A stored blob's metadata with its media type under both names. */
function withContentType<T extends { type: string }>(blob: T): T & { contentType: string } {
  return { ...blob, contentType: blob.type };
}

const putOptions = z.strictObject({
  contentType: z.string().optional().describe(
    'The media type, e.g. "image/png" (default "application/octet-stream").',
  ),
  type: z.string().optional().describe("The same as `contentType` (the name `Blob` uses)."),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `has unknown ${issue.keys.length === 1 ? "option" : "options"} ${
        issue.keys.map((k) => `"${k}"`).join(", ")
      }: blobs.put takes only { contentType } (or its other name, type)`
      : undefined,
}).refine(
  (o) => o.contentType === undefined || o.type === undefined || o.contentType === o.type,
  "gives two different media types as contentType and type: give one",
).meta({ id: "BlobPutOptions" });

/** `fazt.blobs.put` */
export const blobsPut = defineCapability({
  name: "blobs.put",
  summary: "Stores bytes (or text, as UTF-8) at `path`, replacing what was there.",
  args: z.tuple([
    path,
    arg(
      "data",
      z.union([bytes, z.string()], { error: "expected bytes (a Uint8Array) or a string" }),
      "The bytes, or text stored as UTF-8 (at most 50 MiB).",
    ),
    arg("options", putOptions.nullish()),
  ]),
  result: z.void(),
  permission: "data",
  writes: true,
  handler: (ctx, path, data, options) =>
    dataOf(ctx).blobs.put(
      path,
      typeof data === "string" ? new TextEncoder().encode(data) : data,
      { type: options?.contentType ?? options?.type },
    ),
});

/** `fazt.blobs.get` */
export const blobsGet = defineCapability({
  name: "blobs.get",
  summary: "The blob at `path` with its bytes, or null.",
  args: z.tuple([path]),
  result: z.object({ bytes: bytes.describe("The bytes."), ...info }).meta({ id: "StoredBlob" })
    .nullable(),
  permission: "data",
  writes: false,
  handler: async (ctx, path) => {
    const blob = await dataOf(ctx).blobs.get(path);
    return blob && withContentType(blob);
  },
});

/** `fazt.blobs.delete` */
export const blobsDelete = defineCapability({
  name: "blobs.delete",
  summary: "Deletes the blob at `path`; true when there was one.",
  args: z.tuple([path]),
  result: z.boolean(),
  permission: "data",
  writes: true,
  handler: (ctx, path) => dataOf(ctx).blobs.delete(path),
});

/** `fazt.blobs.list` */
export const blobsList = defineCapability({
  name: "blobs.list",
  summary:
    "The blobs' paths and metadata in path order, a page at a time (pass the last path as `after` for the next page).",
  args: z.tuple([
    arg(
      "options",
      z.object({
        prefix: z.string().optional().describe('Only paths starting with this (e.g. "avatars/").'),
        limit: z.number().int().min(1).optional().describe(
          "At most this many (default 100, at most 1000).",
        ),
        after: z.string().optional().describe("Only paths after this one."),
      }).meta({ id: "BlobListOptions" }).nullish(),
    ),
  ]),
  result: z.array(
    z.object({ path: z.string().describe("Its path."), ...info }).meta({ id: "BlobInfo" }),
  ),
  permission: "data",
  writes: false,
  handler: async (ctx, options) =>
    (await dataOf(ctx).blobs.list(given(options))).map(withContentType),
});

/** The `fazt.blobs` group. */
export const BLOBS: CapabilityGroup = {
  name: "blobs",
  summary: "Files of bytes under relative paths, each with a media type.",
  capabilities: [blobsPut, blobsGet, blobsDelete, blobsList],
};
