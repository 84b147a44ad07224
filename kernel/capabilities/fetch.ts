/**
 * The sandbox's `fetch`: the kernel sends the request through the egress
 * guard (`kernel/services/egress/egress_guard.ts`), which reaches public
 * internet hosts only, and counts the response against the app's monthly
 * egress. App code calls the standard global `fetch`; the sandbox turns its
 * `Request` into this capability's argument and the answer into a
 * `Response`.
 *
 * @module
 */
import { z } from "zod";
import { arg, bytes, defineCapability } from "./capability.ts";

const headers = z.array(z.tuple([z.string(), z.string()])).describe("Header name/value pairs.");

/** The sandbox's `fetch` */
export const fetchCapability = defineCapability({
  name: "fetch",
  summary: "Sends an HTTP request to a public internet host, through the egress guard.",
  args: z.tuple([
    arg(
      "request",
      z.object({
        url: z.string().describe("The absolute http: or https: URL."),
        method: z.string().optional().describe("The method (default GET)."),
        headers: headers.optional(),
        body: bytes.nullish().describe("The request body."),
      }),
    ),
  ]),
  result: z.object({
    status: z.number().int(),
    statusText: z.string(),
    headers,
    body: bytes,
    url: z.string().describe("The URL of the last hop (after redirects)."),
    redirected: z.boolean().describe("True when a redirect was followed."),
  }),
  permission: "network",
  writes: false,
  internal: true,
  handler: async (ctx, request) => {
    const { egress, meter } = ctx.services;
    meter.assertWithinLimit(ctx.appId);
    const res = await egress.fetch({
      url: request.url,
      method: request.method ?? "GET",
      headers: request.headers ?? [],
      body: request.body ?? null,
    }, ctx.signal);
    meter.fetched(ctx.appId, res.body.byteLength);
    return res;
  },
});
