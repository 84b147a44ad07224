/**
 * Online snapshots of SQLite files with SQLite's backup API
 * (`node:sqlite` `backup()`), on a worker thread with a read-only
 * connection of its own. In Deno `backup()` blocks the thread that calls it
 * for the whole copy (seconds for a large store), so it never runs on the
 * kernel's thread. With `rate: -1` it copies every page in one step under
 * one read transaction: in WAL mode that is one consistent state (every
 * transaction committed before it began) while writers in this process or
 * another (an app's SQL process) carry on. (With its default rate it
 * restarts whenever another connection writes, and may never finish.)
 *
 * Not `VACUUM INTO`: it attaches the target database, and Deno refuses
 * `ATTACH` in `node:sqlite` unless every permission is granted (`-A`),
 * which fazt never runs with ("too many attached databases - max 0").
 *
 * The worker's code is inline (a `data:` module), so it runs the same from
 * source, from a bundle and from a compiled binary.
 *
 * @module
 */

const WORKER_SOURCE = `
import { backup, DatabaseSync } from "node:sqlite";
self.onmessage = async (event) => {
  const { source, target, busyTimeoutMs } = event.data;
  try {
    const db = new DatabaseSync(source, { readOnly: true, timeout: busyTimeoutMs });
    try {
      await backup(db, target, { rate: -1 });
    } finally {
      db.close();
    }
    self.postMessage({ ok: true });
  } catch (err) {
    self.postMessage({ ok: false, message: String(err?.message ?? err) });
  }
};
`;

/**
 * Writes a consistent copy of the SQLite database `source` to the new file
 * `target`. Aborting `signal` stops the thread (the copy fails; the caller
 * deletes `target`).
 */
export function snapshotDatabase(
  source: string,
  target: string,
  signal?: AbortSignal,
  busyTimeoutMs = 30_000,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(new Error("The snapshot was stopped."));
  const worker = new Worker(
    `data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`,
    { type: "module" },
  );
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener("abort", abort);
      worker.terminate();
    };
    const abort = () => {
      done();
      reject(new Error("The snapshot was stopped."));
    };
    signal?.addEventListener("abort", abort, { once: true });
    worker.onmessage = (event: MessageEvent<{ ok: boolean; message?: string }>) => {
      done();
      if (event.data.ok) resolve();
      else reject(new Error(`Could not snapshot ${source}: ${event.data.message}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      done();
      reject(new Error(`Could not snapshot ${source}: ${event.message}`));
    };
    worker.postMessage({ source, target, busyTimeoutMs });
  });
}
