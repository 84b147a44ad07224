/**
 * App code runs at a lower CPU priority than the kernel. Sandboxes and app
 * SQL processes get `nice` {@linkcode APP_NICE} right after they start, so
 * when apps and the kernel want the CPU at once (a flooded `/api` app, a
 * handler spinning until its timeout) the kernel — and with it the cockpit —
 * is served first: at nice 10 a process weighs 110 against the kernel's
 * 1024 in Linux's scheduler. With the CPU to spare, apps run at full speed.
 *
 * Raising a child's nice value needs no privilege, only Deno's
 * `--allow-sys=setPriority`; without it (or off Linux/macOS) apps keep the
 * kernel's priority and fazt says so once on stderr.
 *
 * @module
 */
import { setPriority } from "node:os";

/** The nice value of every process that runs app code. */
export const APP_NICE = 10;

let warned = false;

/** Lowers the CPU priority of the app process `pid` to {@linkcode APP_NICE}. */
export function deprioritize(pid: number): void {
  try {
    setPriority(pid, APP_NICE);
  } catch (err) {
    if (warned) return;
    warned = true;
    console.error(
      `fazt: could not lower app processes' CPU priority (${
        err instanceof Error ? err.message : err
      }); apps compete with the kernel for the CPU.`,
    );
  }
}
