/**
 * The runtime subsystem: the serverless runtime (sandbox processes, the
 * pool, the bridge) wired to the kernel through the runtime host, which
 * answers capability calls against the app's data, secrets and the egress
 * guard. It hands the per-app limits its processes to watch, and keeps a
 * spare sandbox started only while some app has server code.
 *
 * @module
 */
import { createRuntime, type Runtime, sandboxSpawnSpec } from "../../../runtime/mod.ts";
import { createRuntimeHost } from "../../capabilities/runtime_host.ts";
import type { EgressGuard } from "../../services/egress/egress_guard.ts";
import type { EgressFetch } from "../../capabilities/capability.ts";
import type { AppProcess } from "../../services/cockpit/app_resources.ts";
import { FaztError } from "../../core/errors.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Runs apps' `api/` code. */
    runtime: Runtime;
  }
}

/** Builds the runtime and starts watching app processes. */
export const runtime: Subsystem = {
  name: "runtime",
  async install(ctx) {
    const { config } = ctx;
    const appData = ctx.get("appData");
    const limits = ctx.get("resources");
    const routes = ctx.get("routes");
    const runtime = createRuntime({
      host: createRuntimeHost({
        code: ctx.get("appCode"),
        appData,
        secrets: ctx.get("secrets"),
        logs: ctx.get("logs"),
        egress: lazyEgressGuard(),
        disk: ctx.get("disk"),
        meter: ctx.get("meter"),
        resources: limits,
      }),
      spawn: await sandboxSpawnSpec(config.sandboxHeapMb),
      timeoutMs: config.apiTimeoutMs,
      maxConcurrency: config.apiConcurrency,
      maxBodyBytes: config.apiMaxBodyBytes,
      maxWarm: config.warmApps,
      idleMs: config.sandboxIdleMs,
      spare: config.sandboxSpare,
    });
    ctx.onClose(() => runtime.close());
    ctx.provide("runtime", runtime);
    limits.attach({
      list: (): AppProcess[] => [
        ...runtime.processes().map((p) => ({ ...p, kind: "sandbox" as const })),
        ...appData.sqlProcesses().map((p) => ({ ...p, kind: "sql" as const })),
      ],
      stop(appId, kind, message) {
        if (kind !== "sql") runtime.stopApp(appId, message);
        if (kind !== "sandbox") appData.killSql(appId, new FaztError("unavailable", message));
      },
    });
    limits.start();
    // A spare sandbox is kept started only while some app has server code.
    const prewarm = () => {
      if (routes.hasApiApps()) runtime.prewarm();
    };
    ctx.get("appChanges").listen(prewarm);
    ctx.onReady(prewarm);
  },
};

/**
 * The egress guard, loaded on an app's first `fetch`: its transport (TLS,
 * HTTP/1.1, decompression) costs the kernel memory from boot otherwise.
 */
function lazyEgressGuard(): EgressFetch {
  let guard: Promise<EgressGuard> | undefined;
  return {
    async fetch(req, signal) {
      guard ??= import("../../services/egress/egress_guard.ts").then((m) => m.createEgressGuard());
      return await (await guard).fetch(req, signal);
    },
  };
}
