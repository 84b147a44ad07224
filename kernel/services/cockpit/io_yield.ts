/**
 * A yield to I/O: a promise that settles only after the event loop has
 * polled the operating system for I/O, so connections that became readable
 * meanwhile (a cockpit request, say) get their turn before the caller goes
 * on.
 *
 * The obvious yields do not do that in Deno: `setImmediate` and promise
 * chains keep the runtime's task awake, and its scheduler (tokio) polls for
 * I/O only once every 61 task polls while tasks stay ready, so a chain of
 * 1 ms immediates kept a waiting HTTP request out for ~60 ms (measured);
 * `setTimeout(fn, 0)` rounds up to the timer's 1 ms tick and took ~2.3 ms.
 * This yield writes one byte into a Unix socket connected to itself and
 * waits to read it back: the read completes only when the I/O driver is
 * polled, which happens once no task is ready — after every connection
 * woken so far had its turn. Cost: one write and one read (~10–20 µs).
 *
 * The socket lives in a fresh private folder (0700) that is removed once
 * both ends are connected, so no other process can reach it.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** A yield to I/O (see the module doc). */
export interface IoYield {
  /**
   * Resolves after the event loop has polled for I/O. Concurrent callers
   * share one round trip. Never rejects: if the socket fails, it falls back
   * to `setImmediate` (a yield that does not wait for I/O).
   */
  next(): Promise<void>;
  /** Closes the socket; later calls to `next` use the fallback. */
  close(): void;
}

/** Opens the socket pair behind an {@linkcode IoYield}. */
export async function createIoYield(): Promise<IoYield> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-yield-" });
  let writer: Deno.UnixConn | null = null;
  let reader: Deno.UnixConn | null = null;
  try {
    await Deno.chmod(dir, 0o700);
    const path = `${dir}/yield.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    try {
      [writer, reader] = await Promise.all([
        Deno.connect({ transport: "unix", path }),
        listener.accept(),
      ]);
    } finally {
      listener.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const byte = new Uint8Array([1]);
  const buf = new Uint8Array(64);
  let pending: Promise<void> | null = null;
  let broken = false;

  const fallback = () => new Promise<void>((resolve) => setImmediate(resolve));

  async function roundTrip(): Promise<void> {
    try {
      await writer!.write(byte);
      // A single byte was written and every earlier one was read, so one read drains it.
      if (await reader!.read(buf) === null) throw new Error("closed");
    } catch {
      broken = true;
      await fallback();
    } finally {
      pending = null;
    }
  }

  return {
    next() {
      if (broken) return fallback();
      return pending ??= roundTrip();
    },
    close() {
      broken = true;
      try {
        writer?.close();
      } catch { /* already closed */ }
      try {
        reader?.close();
      } catch { /* already closed */ }
    },
  };
}
