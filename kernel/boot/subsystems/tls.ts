/**
 * The TLS subsystem (only when HTTPS is on): certificates for the names
 * fazt serves — the admin hosts, every routed app host and custom domain —
 * ordered on demand from the ACME CA, stored with their keys sealed under
 * the secrets key, renewed in the background; the owner's own
 * certificates beside them. The HTTPS listener asks it at each TLS hello,
 * the plain-HTTP listener for HTTP-01 answers.
 *
 * @module
 */
import { createTlsService } from "../../services/tls/certificates.ts";
import type { TlsService } from "../../services/tls/tls_service.ts";
import { isIpHost } from "../../services/routing/route_table.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Certificates (absent while HTTPS is off). */
    tls: TlsService;
  }
}

/** Builds the TLS service when HTTPS is on. */
export const tls: Subsystem = {
  name: "tls",
  install(ctx) {
    const https = ctx.config.https;
    if (!https) return;
    const routes = ctx.get("routes");
    const service = createTlsService({
      db: ctx.get("db"),
      key: ctx.get("secretKey"),
      directoryUrl: https.acmeDirectory,
      email: https.acmeEmail ?? undefined,
      acmeCaPem: https.acmeCaPem,
      // Only names that reach the dashboard or an app: a hello for any
      // other name never starts an order.
      allowed: (name) => !isIpHost(name) && routes.match(name).kind !== "unknown",
      log: (level, message) => console.error(`fazt: tls ${level}: ${message}`),
    });
    ctx.provide("tls", service);
    ctx.onReady(() => service.start());
    ctx.onClose(() => service.close());
  },
};
