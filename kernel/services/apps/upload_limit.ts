/**
 * Byte limits on uploads, shared by the transports (which cap the body
 * stream) and the services (which cap what they spool), with one error.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";

/** The error for an upload over its byte limit, the same from every layer. */
export function uploadTooLarge(limit: number): FaztError {
  return new FaztError(
    "payload_too_large",
    `The upload is larger than the limit of ${limit} bytes. Leave out large files (see .faztignore) or raise --max-upload.`,
    { details: { reason: "upload_too_large", limit } },
  );
}

/** Passes a stream through, erroring with {@linkcode uploadTooLarge} past `limit` bytes. */
export function limitStream(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.length;
        if (seen > limit) controller.error(uploadTooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
}
