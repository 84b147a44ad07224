/**
 * The HTTP subsystem: the REST and MCP codecs over the operation registry,
 * static serving and app traffic, fazt's mounts table (with the mounts
 * other subsystems added), and the one `(Request) => Response` handler
 * every listener drives. Installed last.
 *
 * @module
 */
import { createStaticServer } from "../../http/static/static_serve.ts";
import { createRestCodec } from "../../http/rest/rest_codec.ts";
import { createHttpHandler, type HttpHandler } from "../../http/handler.ts";
import { faztMounts } from "../../http/fazt_mounts.ts";
import { createAppTraffic } from "../../http/app_traffic.ts";
import { createMcpCodec } from "../../http/mcp/mcp_codec.ts";
import { streamBlob, streamVariant } from "../../services/vfs/content_store.ts";
import { createGcNudge } from "../../core/gc_nudge.ts";
import { OPERATIONS } from "../../ops/registry.ts";
import { health } from "../../ops/system_ops.ts";
import { VERSION } from "../../core/version.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** The HTTP entry point. */
    handler: HttpHandler;
  }
}

/** Largest JSON body an operation takes unless it sets its own. */
const MAX_JSON_BYTES = 1024 * 1024;

/** Builds the HTTP handler. */
export const http: Subsystem = {
  name: "http",
  install(ctx) {
    const { config } = ctx;
    const db = ctx.get("db");
    const routes = ctx.get("routes");
    const services = ctx.get("services");
    const authenticate = ctx.get("authenticate");
    const logs = ctx.get("logs");
    // Frees the buffers large downloads stream through before they pile up.
    const nudge = createGcNudge();
    const rest = createRestCodec({
      operations: OPERATIONS,
      services,
      authenticate,
      maxJsonBytes: MAX_JSON_BYTES,
      maxUploadBytes: config.maxUploadBytes,
    });
    ctx.provide(
      "handler",
      createHttpHandler({
        routes,
        trustProxy: config.trustProxy,
        shedder: ctx.get("shedder"),
        gate: ctx.get("gate"),
        ipLimiter: ctx.get("ipLimiter"),
        mounts: [
          ...faztMounts({
            domain: config.domain,
            version: VERSION,
            routes,
            rest,
            mcp: createMcpCodec({
              operations: OPERATIONS,
              services,
              authenticate,
              version: VERSION,
            }),
            healthOp: health,
            operations: OPERATIONS,
            trustProxy: config.trustProxy,
            apps: createAppTraffic({
              statics: createStaticServer({
                stream: (hash, start, end) => streamBlob(db.read, hash, start, end, nudge.released),
                streamEncoded: (hash, encoding) => streamVariant(db.read, hash, encoding),
                indexes: ctx.get("fileIndexes"),
                content: ctx.get("content"),
                maxCachedBytes: config.maxCachedFileBytes,
              }),
              runtime: ctx.get("runtime"),
              traffic: ctx.get("traffic"),
              meter: ctx.get("meter"),
              appLog: (appId, message, requestId) =>
                logs.append({ appId, level: "warn", source: "kernel", message, requestId }),
            }),
          }),
          ...ctx.get("mounts"),
        ],
      }),
    );
  },
};
