/**
 * The two S3 XML answers fazt reads: a ListObjectsV2 page and an error.
 * Parsed minimally by element name: no DTDs, no entity definitions, no
 * namespaces are interpreted, so a hostile answer can only yield wrong
 * strings, never expansion or file access; callers cap the body size.
 *
 * @module
 */

/** One object of a listing. */
export interface ListedObject {
  /** The full key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last change (ms since the epoch). */
  lastModified: number;
}

/** One ListObjectsV2 page. */
export interface ListPage {
  /** The objects on this page. */
  objects: ListedObject[];
  /** The token for the next page, when the listing is truncated. */
  nextToken?: string;
}

/** The `Code` and `Message` of an S3 error body (either may be missing). */
export interface S3ErrorBody {
  /** S3's error code, like `NoSuchBucket`. */
  code?: string;
  /** S3's sentence. */
  message?: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the predefined XML entities and character references; leaves others as they are. */
function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, ref: string) => {
    if (ref[0] !== "#") return ENTITIES[ref] ?? whole;
    const n = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return n <= 0x10ffff ? String.fromCodePoint(n) : whole;
  });
}

/** The raw contents of every `<tag>…</tag>` in `xml`, in order. */
function elements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, "g");
  for (const m of xml.matchAll(re)) out.push(m[1]);
  return out;
}

/** The decoded text of the first `<tag>` in `xml`. */
function text(xml: string, tag: string): string | undefined {
  const first = elements(xml, tag)[0];
  return first === undefined ? undefined : decode(first);
}

/** Parses a ListObjectsV2 answer; throws when it is not one. */
export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) {
    throw new Error("The answer is not a ListBucketResult.");
  }
  const objects = elements(xml, "Contents").map((c) => {
    const key = text(c, "Key");
    const size = Number(text(c, "Size"));
    const lastModified = Date.parse(text(c, "LastModified") ?? "");
    if (
      key === undefined || !Number.isSafeInteger(size) || size < 0 || Number.isNaN(lastModified)
    ) {
      throw new Error("A listed object has no valid Key, Size or LastModified.");
    }
    return { key, size, lastModified };
  });
  const truncated = text(xml, "IsTruncated") === "true";
  const nextToken = truncated ? text(xml, "NextContinuationToken") : undefined;
  if (truncated && !nextToken) {
    throw new Error("The listing is truncated but names no NextContinuationToken.");
  }
  return nextToken ? { objects, nextToken } : { objects };
}

/** Reads `Code` and `Message` from an S3 `<Error>` body (empty when it is none). */
export function parseS3Error(xml: string): S3ErrorBody {
  const error = elements(xml, "Error")[0];
  if (error === undefined) return {};
  const body: S3ErrorBody = {};
  const code = text(error, "Code");
  const message = text(error, "Message");
  if (code) body.code = code;
  if (message) body.message = message;
  return body;
}
