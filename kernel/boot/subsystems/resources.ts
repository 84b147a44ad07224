/**
 * The resources subsystem: per-app memory caps and the background CPU
 * budget (cgroups, rlimits or the watchdog alone; see
 * `kernel/services/cockpit/app_resources.ts`), and the helper that reads
 * `/proc` and `/sys` for it and for the memory guard. Installed before any
 * app process can start: with cgroup v2 the kernel first moves itself into
 * a leaf group.
 *
 * @module
 */
import { type AppResources, createAppResources } from "../../services/cockpit/app_resources.ts";
import { openSysFiles, type SysFiles } from "../../../runtime/process/sys_files.ts";
import { createDataLimiter } from "../../../runtime/process/rlimit.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Per-app memory caps and CPU budgets. */
    resources: AppResources;
    /** The `/proc` and `/sys` reader (absent when nothing needs it). */
    sysFiles: SysFiles;
  }
}

/** Builds the per-app limits (they start watching once the runtime exists). */
export const resources: Subsystem = {
  name: "resources",
  async install(ctx) {
    const { config } = ctx;
    const logs = ctx.get("logs");
    // /proc and /sys need --allow-all in Deno: a helper process reads them (servers only).
    const sysFiles = config.resourceLimits !== "off" || config.memoryGuard
      ? await openSysFiles()
      : null;
    if (sysFiles) {
      ctx.provide("sysFiles", sysFiles);
      ctx.onClose(() => sysFiles.close());
    }
    const limits = await createAppResources({
      files: config.resourceLimits === "off" ? null : sysFiles,
      db: ctx.get("db"),
      mode: config.resourceLimits,
      defaultMemoryBytes: config.appMemoryMb * 1024 * 1024,
      cpuBudgetMs: config.cpuBudgetMs,
      log: (appId, level, message) =>
        logs.append({ appId, level, source: "kernel", message, requestId: null }),
      dataLimiter: config.resourceLimits === "auto" || config.resourceLimits === "rlimit"
        ? await createDataLimiter()
        : null,
    });
    ctx.onClose(() => limits.close());
    ctx.provide("resources", limits);
  },
};
