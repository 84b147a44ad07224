/**
 * Byte-array helpers used across the kernel and the runtime: joining
 * chunks, and reading a stream whole up to a limit without buffering more.
 * Imports nothing (the sandbox child loads it too).
 *
 * @module
 */

/** Joins chunks into one array (`size`: their total length, when known). */
export function concatBytes(parts: readonly Uint8Array[], size?: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const total = size ?? parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Reads `stream` to its end; throws `tooLarge()` as soon as more than `max`
 * bytes arrived (the rest is never buffered).
 */
export async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  max: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > max) throw tooLarge();
    parts.push(chunk);
  }
  return concatBytes(parts, size);
}
