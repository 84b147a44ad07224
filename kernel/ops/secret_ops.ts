/**
 * Operations on per-app secrets: set, list names, remove. No operation
 * ever returns a secret's value.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import type { SecretInfo } from "../services/secrets/secret_service.ts";

const app = z.string().min(1).max(100).describe("App name or ID.");
const name = z.string().min(1).max(128).describe("Secret name, like API_KEY.");
const SecretView = z.object({ name: z.string(), createdAt: z.string(), updatedAt: z.string() });

function view(s: SecretInfo): z.input<typeof SecretView> {
  return {
    name: s.name,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
  };
}

/** `secrets.set` */
export const setSecret = defineOperation({
  name: "secrets.set",
  summary: "Set a secret",
  description:
    "Creates or replaces a secret of an app. Its app reads it at run time; no operation ever shows the value again.",
  input: z.strictObject({ app, name, value: z.string().describe("The secret value.") }),
  output: SecretView,
  access: "secrets:write",
  appField: "app",
  hints: { idempotent: true },
  http: { method: "PUT", path: "/apps/{app}/secrets/{name}", maxBodyBytes: 128 * 1024 },
  cli: {
    words: ["secret", "set"],
    positionals: ["app", "name"],
    stdinInputs: ["value"],
    description:
      "Creates or replaces a secret of an app. Its app reads it at run time; no command ever shows the value again. The value comes from standard input, so it stays out of your shell history and the process list: type it when asked, or pipe it in (printf '%s' \"$STRIPE_KEY\" | fazt secret set blog STRIPE_KEY). --value is for scripts that cannot pipe; it shows in the process list while the command runs.",
    help: { value: "The secret value." },
  },
  handler: async ({ app: ref, name, value }, { services, requestId }) => {
    services.guards.disk.assertWritable("Saving a secret");
    const target = services.apps.resolve(ref);
    const info = await services.secrets.set(target.id, name, value);
    services.logs.append({
      appId: target.id,
      level: "info",
      source: "kernel",
      message: `Secret ${name} set.`,
      requestId,
    });
    return view(info);
  },
});

/** `secrets.list` */
export const listSecrets = defineOperation({
  name: "secrets.list",
  summary: "List secret names",
  description: "Lists the names of an app's secrets (never their values).",
  input: z.strictObject({ app }),
  output: z.array(SecretView),
  access: "apps:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/secrets" },
  cli: { words: ["secret", "list"], positionals: ["app"], columns: ["name", "updatedAt"] },
  handler: ({ app: ref }, { services }) =>
    Promise.resolve(services.secrets.list(services.apps.resolve(ref).id).map(view)),
});

/** `secrets.remove` */
export const removeSecret = defineOperation({
  name: "secrets.remove",
  summary: "Remove a secret",
  description: "Deletes a secret of an app.",
  input: z.strictObject({ app, name }),
  output: z.object({ name: z.string(), removed: z.literal(true) }),
  access: "secrets:write",
  appField: "app",
  hints: { destructive: true },
  http: { method: "DELETE", path: "/apps/{app}/secrets/{name}" },
  cli: { words: ["secret", "rm"], positionals: ["app", "name"] },
  handler: async ({ app: ref, name }, { services, requestId }) => {
    const target = services.apps.resolve(ref);
    await services.secrets.remove(target.id, name);
    services.logs.append({
      appId: target.id,
      level: "info",
      source: "kernel",
      message: `Secret ${name} removed.`,
      requestId,
    });
    return { name, removed: true as const };
  },
});

/** Every secret operation. */
export const SECRET_OPERATIONS = [setSecret, listSecrets, removeSecret];
