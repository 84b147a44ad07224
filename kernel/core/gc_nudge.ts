/**
 * A nudge to V8's garbage collector after the kernel has let go of many
 * bytes of buffers. Large responses stream through short-lived buffers
 * (`streamBlob` in `content_store.ts`), and V8 frees a dead buffer only at
 * a full collection, which it starts by itself only once tens of MB of
 * them piled up: 10 parallel downloads of a 50 MB file grew fazt by
 * 44–54 MiB that way, and by 17–21 MiB with a collection after every
 * {@linkcode GC_NUDGE_EVERY_BYTES} released bytes (measured side by side on
 * a loaded 2-CPU machine; most of what is left is the 1 MiB chunk each
 * download has in flight). A full collection of the kernel's small heap
 * takes milliseconds; sending 8 MiB takes longer than that.
 *
 * It needs V8's `gc` function (the `fazt` task runs with
 * `--v8-flags=...,--expose-gc`); without it the nudge does nothing.
 *
 * @module
 */

/** Bytes released between two collections. */
export const GC_NUDGE_EVERY_BYTES = 8 * 1024 * 1024;

/** Counts released bytes and collects garbage every so many. */
export interface GcNudge {
  /** Notes `bytes` of buffers the caller no longer holds. */
  released(bytes: number): void;
  /** Collections run so far. */
  readonly collections: number;
}

/** V8's `gc` when the process runs with `--expose-gc`. */
function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? () => gc() : undefined;
}

/**
 * Creates a nudge that calls `gc` (default: V8's, when exposed) once every
 * `everyBytes` released bytes.
 */
export function createGcNudge(
  everyBytes: number = GC_NUDGE_EVERY_BYTES,
  gc: (() => void) | undefined = exposedGc(),
): GcNudge {
  let pending = 0;
  let collections = 0;
  return {
    released(bytes) {
      if (gc === undefined) return;
      pending += bytes;
      if (pending < everyBytes) return;
      pending = 0;
      collections++;
      gc();
    },
    get collections() {
      return collections;
    },
  };
}
