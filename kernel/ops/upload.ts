/**
 * Raw uploads as operation input. A transport binds the request body (or
 * decoded bytes) to an input field of this type; the handler streams it.
 *
 * @module
 */
import { z } from "zod";

/** An uploaded body. */
export class Upload {
  /** The bytes, streamed. */
  readonly stream: ReadableStream<Uint8Array>;
  /** Declared length, when known. */
  readonly size: number | undefined;

  constructor(stream: ReadableStream<Uint8Array>, size?: number) {
    this.stream = stream;
    this.size = size;
  }

  /** An upload of bytes held in memory. */
  static fromBytes(bytes: Uint8Array): Upload {
    return new Upload(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), bytes.length);
  }
}

/** The zod schema of an upload field. */
export const uploadSchema = z.instanceof(Upload).meta({
  description: "The raw request body.",
  format: "binary",
});
