/**
 * The logs subsystem: each app's log, written in batches (flushed with the
 * other counters), bounded per app, with live subscribers for the tail.
 *
 * @module
 */
import { createLogService, type LogService } from "../../services/logs/log_service.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Per-app logs. */
    logs: LogService;
  }
}

/** Builds the log service. */
export const logs: Subsystem = {
  name: "logs",
  install(ctx) {
    const service = createLogService({ db: ctx.get("db"), maxPerApp: ctx.config.logsPerApp });
    ctx.provide("logs", service);
    ctx.onFlush(() => service.flush());
  },
};
