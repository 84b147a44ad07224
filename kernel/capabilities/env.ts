/**
 * `fazt.env`: the app's secrets, set by its owner
 * (`kernel/services/secrets/secret_service.ts`).
 *
 * @module
 */
import { z } from "zod";
import { arg, type CapabilityGroup, defineCapability } from "./capability.ts";

/** `fazt.env.get` */
export const envGet = defineCapability({
  name: "env.get",
  summary: "The app's secret named `name`, or null when the owner has not set it.",
  args: z.tuple([arg("name", z.string(), 'The secret\'s name, e.g. "API_KEY".')]),
  result: z.string().nullable(),
  permission: "secrets",
  writes: false,
  handler: (ctx, name) => ctx.services.secrets.reveal(ctx.appId, name) ?? null,
});

/** The `fazt.env` group. */
export const ENV: CapabilityGroup = {
  name: "env",
  summary:
    "The app's secrets, set by its owner (`fazt secret set <app> NAME VALUE`), never part of its files.",
  capabilities: [envGet],
};
