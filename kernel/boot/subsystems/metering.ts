/**
 * The metering subsystem: hourly traffic counters per app and the monthly
 * egress meter with its limits, both buffered in memory and flushed with
 * the other counters.
 *
 * @module
 */
import { createTrafficMeter, type TrafficMeter } from "../../services/metering/traffic_meter.ts";
import { createEgressMeter, type EgressMeter } from "../../services/metering/egress_meter.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Requests and bytes per app per hour. */
    traffic: TrafficMeter;
    /** Bytes served and fetched per app per month, with limits. */
    meter: EgressMeter;
  }
}

/** Traffic stats are kept this long. */
const TRAFFIC_RETENTION_MS = 90 * 86_400_000;

/** Builds the meters. */
export const metering: Subsystem = {
  name: "metering",
  install(ctx) {
    const db = ctx.get("db");
    const traffic = createTrafficMeter({ db, retentionMs: TRAFFIC_RETENTION_MS });
    const meter = createEgressMeter({ db });
    ctx.provide("traffic", traffic);
    ctx.provide("meter", meter);
    ctx.onFlush(() => traffic.flush());
    ctx.onFlush(() => meter.flush());
  },
};
