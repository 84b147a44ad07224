/**
 * How an app host's requests are answered: `/api` by the app's server code
 * (the runtime), everything else by its static files. Both count the
 * app's traffic and monthly egress and refuse an app over its egress
 * limit; both mark large or streamed answers for the listener's
 * slow-reader watch (`send_watch.ts`). Every answer carries
 * `X-Content-Type-Options: nosniff`, the app code's too: a browser never
 * guesses a type the app did not send.
 *
 * @module
 */
import type { LiveApp } from "../services/routing/route_table.ts";
import type { Runtime } from "../../runtime/mod.ts";
import type { EgressMeter } from "../services/metering/egress_meter.ts";
import type { TrafficMeter } from "../services/metering/traffic_meter.ts";
import { normalizeHost } from "../services/routing/route_table.ts";
import { dropRefusedCookies } from "./app_cookies.ts";
import type { StaticServer } from "./static/static_serve.ts";
import { errorResponse } from "./error_response.ts";
import { WATCH_SEND_FROM, watchSend } from "./send_watch.ts";
import type { MountRequest } from "./mounts.ts";

/** What app traffic is wired to. */
export interface AppTrafficOptions {
  /** Static file serving. */
  statics: StaticServer;
  /** Runs apps' `api/` code. */
  runtime: Pick<Runtime, "handle">;
  /** Traffic accounting. */
  traffic: TrafficMeter;
  /** Per-app monthly egress, with limits. */
  meter: Pick<EgressMeter, "overLimit" | "limitError" | "served">;
  /** Writes a kernel note into an app's log (e.g. a cookie removed from its response). */
  appLog?: (appId: string, message: string, requestId: string) => void;
}

/** Answers an app host's requests. */
export interface AppTraffic {
  /** An `/api` request: the app's server code, or its files when it has none. */
  api(r: MountRequest, app: LiveApp): Response | Promise<Response>;
  /** A request for the app's files. */
  files(r: MountRequest, app: LiveApp): Response;
}

/** Creates the app-host answers. */
export function createAppTraffic(options: AppTrafficOptions): AppTraffic {
  const { statics, runtime, traffic, meter } = options;

  function overLimit(app: LiveApp): Response {
    const res = errorResponse(meter.limitError(app.id));
    traffic.record(app.id, res.status, 0);
    return res;
  }

  async function serveApi(r: MountRequest, app: LiveApp): Promise<Response> {
    const requestId = crypto.randomUUID();
    if (meter.overLimit(app.id)) return overLimit(app);
    try {
      // Every body byte counts against the app's egress and in its traffic,
      // streamed ones too: bytes after the head are added to the recorded response.
      let bytes = 0;
      let recorded = false;
      const { res, streamed } = await runtime.handle(
        r.req,
        { appId: app.id, appName: app.name, versionId: app.versionId! },
        requestId,
        (n) => {
          meter.served(app.id, n);
          if (recorded) traffic.addBytes(app.id, n);
          else bytes += n;
        },
      );
      traffic.record(app.id, res.status, bytes);
      recorded = true;
      for (const note of dropRefusedCookies(res.headers, normalizeHost(r.host))) {
        options.appLog?.(app.id, note, requestId);
      }
      res.headers.set("x-content-type-options", "nosniff");
      // A streamed answer can be large: the listener watches for a client that stops reading.
      return streamed ? watchSend(res) : res;
    } catch (err) {
      const res = errorResponse(err, { requestId });
      traffic.record(app.id, res.status, 0);
      return res;
    }
  }

  function files(r: MountRequest, app: LiveApp): Response {
    if (meter.overLimit(app.id)) return overLimit(app);
    const { res, bytes } = statics.serve(r.req, app, r.pathname, r.search);
    traffic.record(app.id, res.status, bytes);
    meter.served(app.id, bytes);
    return bytes >= WATCH_SEND_FROM ? watchSend(res) : res;
  }

  return {
    api: (r, app) =>
      app.apiEntry !== null && app.versionId !== null ? serveApi(r, app) : files(r, app),
    files,
  };
}
