/**
 * Process helpers for tests that watch fazt's child processes.
 *
 * @module
 */
import assert from "node:assert/strict";

/** True while the process exists and is not a zombie (from `/proc/<pid>/stat`). */
export function isAlive(pid: number): boolean {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  const state = text.slice(text.lastIndexOf(")") + 2).split(" ")[0];
  return state !== "Z" && state !== "X";
}

/** Waits until `check` holds, failing after `ms`. */
export async function eventually(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} (still false after ${ms} ms)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
