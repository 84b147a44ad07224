/**
 * Upload progress for the CLI: a one-line progress bar redrawn in place on a
 * terminal (and silent elsewhere, so CI logs stay clean), a byte stream that
 * reports how much of it has been read, and a human byte formatter.
 *
 * @module
 */
import { formatBytes } from "../core/format.ts";

/** A progress bar drawn by {@linkcode progressBar}. */
export interface ProgressBar {
  /** Reports that `done` of the total bytes are done; redraws at most every 50 ms. */
  update(done: number): void;
  /** Draws the last state and ends the line. Later calls do nothing. */
  finish(): void;
}

/** Where a progress bar writes: `Deno.stderr` or a stand-in. */
export interface ProgressOutput {
  /** Whether the output is a terminal (nothing is drawn otherwise). */
  isTerminal(): boolean;
  /** Writes bytes, returning how many were written. */
  writeSync(p: Uint8Array): number;
}

/** Minimum time between two redraws, in milliseconds. */
const REDRAW_INTERVAL_MS = 50;

/** Number of cells in the bar. */
const BAR_WIDTH = 20;

/** Size of the chunks {@linkcode streamWithProgress} hands out. */
const CHUNK_SIZE = 64 * 1024;

/** Renders the bar line (without the leading `\r`). */
function renderLine(label: string, done: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.floor(ratio * BAR_WIDTH);
  const bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled);
  const percent = Math.floor(ratio * 100);
  return `${label} [${bar}] ${percent}%  ${formatBytes(done)} / ${formatBytes(total)}`;
}

/**
 * Creates a progress bar for `total` bytes. On a terminal it redraws one line
 * (`label [██████░░░░] 62%  1.2 MiB / 2 MiB`) at most every 50 ms and ends
 * it with a newline on {@linkcode ProgressBar.finish}; anywhere else it
 * prints nothing.
 *
 * Once every byte is sent, `waiting` (when given) follows the bar until
 * {@linkcode ProgressBar.finish}: the upload is done, the work is not (a
 * deploy is checked and stored after its last byte arrives).
 *
 * @param out where to draw; defaults to `Deno.stderr`.
 * @param waiting what happens between the last byte and the answer.
 */
export function progressBar(
  total: number,
  label: string,
  out: ProgressOutput = Deno.stderr,
  waiting?: string,
): ProgressBar {
  let enabled = out.isTerminal();
  const encoder = new TextEncoder();
  let done = 0;
  let lastDraw = -Infinity;
  let finished = false;

  const write = (text: string): void => {
    if (!enabled) return;
    try {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) {
        const n = out.writeSync(bytes);
        if (n <= 0) break;
        bytes = bytes.subarray(n);
      }
    } catch {
      // A broken terminal must never fail the upload: stop drawing instead.
      enabled = false;
    }
  };

  const draw = (): void => {
    lastDraw = performance.now();
    const after = waiting && done >= total && !finished ? ` · ${waiting}` : "";
    // "\x1b[K" clears what a longer previous line left behind.
    write(`\r${renderLine(label, done, total)}${after}\x1b[K`);
  };

  return {
    update(value: number): void {
      if (finished || !enabled) return;
      done = Math.min(Math.max(0, value), Math.max(0, total));
      if (done >= total || performance.now() - lastDraw >= REDRAW_INTERVAL_MS) draw();
    },
    finish(): void {
      if (finished) return;
      finished = true;
      if (!enabled) return;
      draw();
      write("\n");
    },
  };
}

/**
 * Wraps bytes in a ReadableStream that reports progress as it is read (64 KiB
 * chunks). `onProgress` receives the cumulative number of bytes handed to the
 * reader. Chunks are produced only on demand, so progress follows the reader.
 *
 * @example
 * ```ts
 * const bar = progressBar(zip.length, "Uploading");
 * await fetch(url, { method: "PUT", body: streamWithProgress(zip, (n) => bar.update(n)) });
 * bar.finish();
 * ```
 */
export function streamWithProgress(
  bytes: Uint8Array,
  onProgress: (sent: number) => void,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(sent + CHUNK_SIZE, bytes.length);
      // A copy: a consumer that transfers the chunk's buffer cannot corrupt the rest.
      controller.enqueue(bytes.slice(sent, end));
      sent = end;
      onProgress(sent);
      if (sent >= bytes.length) controller.close();
    },
  }, { highWaterMark: 0 });
}
