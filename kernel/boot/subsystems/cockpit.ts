/**
 * The cockpit subsystem: what keeps the owner's cockpit answering while
 * apps misbehave — the disk guard, the admission budgets (load shedder),
 * the priority gate with its I/O yield, and the per-IP rate limit.
 *
 * @module
 */
import { createDiskGuard, type DiskGuard } from "../../services/cockpit/disk_guard.ts";
import { createLoadShedder, type LoadShedder } from "../../services/cockpit/load_shedder.ts";
import { createIoYield } from "../../services/cockpit/io_yield.ts";
import { createPriorityGate, type PriorityGate } from "../../services/cockpit/priority_gate.ts";
import { createIpRateLimiter, type IpRateLimiter } from "../../services/cockpit/ip_rate_limiter.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Refuses writes past the volume limit or quota. */
    disk: DiskGuard;
    /** Admission budgets: user traffic is shed before the cockpit. */
    shedder: LoadShedder;
    /** CPU turns for user traffic, so cockpit requests run first. */
    gate: PriorityGate;
    /** Requests per second per client IP. */
    ipLimiter: IpRateLimiter;
  }
}

/** Builds the cockpit's guards and starts the disk guard. */
export const cockpit: Subsystem = {
  name: "cockpit",
  async install(ctx) {
    const { config } = ctx;
    const disk = createDiskGuard({
      dataDir: config.dataDir,
      maxUsedRatio: config.diskLimitRatio,
      quotaBytes: config.diskQuotaBytes ?? undefined,
    });
    await disk.refresh().catch((err) => console.error("fazt: could not measure the disk:", err));
    disk.start();
    ctx.onClose(() => disk.stop());
    ctx.provide("disk", disk);
    ctx.provide("shedder", createLoadShedder());
    const ioYield = await createIoYield();
    ctx.onClose(() => ioYield.close());
    ctx.provide("gate", createPriorityGate({ yieldToIo: ioYield }));
    ctx.provide("ipLimiter", createIpRateLimiter({ rate: config.rateLimit }));
  },
};
