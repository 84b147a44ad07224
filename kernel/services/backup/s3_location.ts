/**
 * `s3://bucket/prefix` locations: parsed and normalized without loading the
 * S3 client, so the kernel can check and key saved targets cheaply.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";

/** A parsed `s3://` location. */
export interface S3Location {
  /** The bucket. */
  bucket: string;
  /** The key prefix, empty or ending in `/`. */
  prefix: string;
  /** The normalized location: `s3://bucket` or `s3://bucket/prefix` (no trailing slash). */
  location: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses and normalizes `s3://bucket/prefix`; throws `invalid_input` for anything else. */
export function parseS3Location(location: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(location.trim());
  const bucket = m?.[1] ?? "";
  if (!m || !BUCKET.test(bucket) || bucket.includes("..")) {
    throw new FaztError(
      "invalid_input",
      `"${location}" is not an S3 location. Write s3://bucket or s3://bucket/prefix (bucket names are 3–63 lower-case letters, digits, dots and hyphens).`,
      { details: { location } },
    );
  }
  const path = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  const segments = path === "" ? [] : path.split("/");
  if (segments.some((s) => !validSegment(s)) || path.length > 512) {
    throw new FaztError(
      "invalid_input",
      `The prefix of "${location}" has an empty, "." or ".." part or a control character. Use a plain folder-like prefix such as s3://${bucket}/fazt.`,
      { details: { location } },
    );
  }
  return {
    bucket,
    prefix: path === "" ? "" : `${path}/`,
    location: path === "" ? `s3://${bucket}` : `s3://${bucket}/${path}`,
  };
}

// deno-lint-ignore no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

/** True for a key segment S3 and fazt accept: non-empty, not `.` or `..`, no control character. */
export function validSegment(s: string): boolean {
  return s !== "" && s !== "." && s !== ".." && !CONTROL.test(s);
}
