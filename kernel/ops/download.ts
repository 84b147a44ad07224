/**
 * Binary downloads as operation output. An operation with `http.download`
 * returns a {@linkcode Download}; REST sends its stream as the response body
 * (an attachment), MCP as base64 up to a size cap, the CLI to a file or
 * standard output.
 *
 * @module
 */
import { z } from "zod";

/** A file an operation hands back, streamed. */
export class Download {
  /** The bytes, produced as they are read. */
  readonly stream: ReadableStream<Uint8Array>;
  /** A file name for the attachment, e.g. `blog.fazt`. */
  readonly filename: string;
  /** The media type. */
  readonly contentType: string;

  constructor(stream: ReadableStream<Uint8Array>, filename: string, contentType: string) {
    this.stream = stream;
    this.filename = filename;
    this.contentType = contentType;
  }
}

/** The zod schema of a download output. */
export const downloadSchema = z.instanceof(Download).meta({
  description: "The file's bytes (the response body).",
  format: "binary",
});

/**
 * The `Content-Security-Policy` of every download: whatever the bytes are
 * (an SVG logo, an HTML blob), opened on the admin origin they run no
 * script, load nothing and get a sandbox of their own.
 */
export const DOWNLOAD_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/** The `Content-Disposition` header of a download: an attachment (or inline) with its (ASCII-safe) name. */
export function attachmentHeader(filename: string, inline = false): string {
  const ascii = filename.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${
    encodeURIComponent(filename)
  }`;
}
