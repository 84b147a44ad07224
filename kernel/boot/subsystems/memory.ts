/**
 * The memory subsystem (servers): every second the memory guard measures
 * what fazt holds in RAM — the kernel's RSS plus each app process's own
 * memory — and past its thresholds shrinks the content cache, stops idle
 * sandboxes and SQL processes, then sheds user traffic.
 *
 * @module
 */
import {
  createMemoryGuard,
  defaultMemoryLimits,
  type MemoryGuard,
} from "../../services/cockpit/memory_guard.ts";
import { createProcReader } from "../../../runtime/process/proc_stats.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** The memory guard (absent unless `config.memoryGuard`). */
    memoryGuard: MemoryGuard;
  }
}

/** Builds and starts the memory guard when the configuration asks for it. */
export const memory: Subsystem = {
  name: "memory",
  async install(ctx) {
    if (!ctx.config.memoryGuard) return;
    const runtime = ctx.get("runtime");
    const appData = ctx.get("appData");
    const content = ctx.get("content");
    const limits = ctx.get("resources");
    const shedder = ctx.get("shedder");
    const files = ctx.find("sysFiles");
    const procReader = files ? await createProcReader(files) : null;
    const guard = createMemoryGuard({
      limits: ctx.config.memoryLimits ?? defaultMemoryLimits(Deno.systemMemoryInfo().total),
      // The kernel's whole RSS plus each child's own memory (see memory_guard.ts): the
      // resource watchdog's last reading when it runs, else a reading of its own.
      probe: async () => {
        const children = limits.lastOwned();
        if (children !== null) return Deno.memoryUsage().rss + children;
        let total = Deno.memoryUsage().rss;
        const pids = [...runtime.processes().map((p) => p.pid), ...appData.sqlPids()];
        const readings = await procReader?.read(pids, false);
        for (const r of readings?.values() ?? []) total += r.memory?.owned ?? 0;
        return total;
      },
      actions: {
        shrinkCache: (level) => content.shrink(level === "shrink" ? content.stats().budget / 2 : 0),
        evictIdle: () => runtime.evictIdle() + appData.stopIdleSql(),
        setPressure: (level) => shedder.setPressure(level),
      },
    });
    guard.start();
    ctx.onClose(() => guard.stop());
    ctx.provide("memoryGuard", guard);
  },
};
