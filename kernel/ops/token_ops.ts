/**
 * Operations on API tokens: create (the secret is shown once), list and
 * revoke. Only `admin` may manage tokens, since a token can grant scopes.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { SCOPES } from "../services/auth/scopes.ts";
import type { TokenRecord } from "../services/auth/token_service.ts";
import { int } from "./number_input.ts";

const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  apps: z.array(z.string()).nullable().describe("App IDs the token is limited to."),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();

function view(t: TokenRecord): z.input<typeof TokenView> {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    apps: t.apps,
    createdAt: iso(t.createdAt)!,
    expiresAt: iso(t.expiresAt),
    lastUsedAt: iso(t.lastUsedAt),
  };
}

/** `tokens.create` */
export const createToken = defineOperation({
  name: "tokens.create",
  summary: "Create an API token",
  description:
    "Creates a named API token with scopes, optionally limited to some apps and with an expiry. The token is shown only in this answer.",
  input: z.strictObject({
    name: z.string().trim().min(1).max(100).describe("A name to recognise the token by."),
    scopes: z.array(z.enum(SCOPES)).min(1).describe(`Scopes: ${SCOPES.join(", ")}.`),
    apps: z.array(z.string().min(1).max(100)).max(1000).optional().describe(
      "App names or IDs to limit the token to.",
    ),
    expiresInDays: int(1, 3650).optional().describe(
      "Days until the token expires (default: never).",
    ),
  }),
  output: TokenView.extend({ token: z.string().describe("The secret. Store it now.") }),
  access: "admin",
  hints: {},
  http: { method: "POST", path: "/tokens", status: 201, maxBodyBytes: 16384 },
  cli: {
    words: ["token", "create"],
    flagAliases: { scope: "scopes", app: "apps", "expires-in-days": "expiresInDays" },
  },
  handler: async ({ name, scopes, apps, expiresInDays }, { services }) => {
    const appIds = apps?.map((ref) => services.apps.resolve(ref).id);
    const { record, token } = await services.tokens.create({
      name,
      scopes,
      apps: appIds ?? null,
      expiresAt: expiresInDays ? Date.now() + expiresInDays * 86_400_000 : null,
    });
    return { ...view(record), token };
  },
});

/** `tokens.list` */
export const listTokens = defineOperation({
  name: "tokens.list",
  summary: "List API tokens",
  description: "Lists active tokens with their scopes and last use (never the secrets).",
  input: z.strictObject({}),
  output: z.array(TokenView),
  access: "admin",
  hints: { readOnly: true },
  http: { method: "GET", path: "/tokens" },
  cli: { words: ["token", "list"], columns: ["id", "name", "scopes", "expiresAt", "lastUsedAt"] },
  handler: (_input, { services }) => Promise.resolve(services.tokens.list().map(view)),
});

/** `tokens.revoke` */
export const revokeToken = defineOperation({
  name: "tokens.revoke",
  summary: "Revoke an API token",
  description: "Revokes a token; it stops working from the next request on.",
  input: z.strictObject({ id: z.string().min(1).max(100).describe("The token's ID (tok_…).") }),
  output: TokenView,
  access: "admin",
  hints: { destructive: true, idempotent: true },
  http: { method: "DELETE", path: "/tokens/{id}" },
  cli: { words: ["token", "revoke"], positionals: ["id"] },
  handler: async ({ id }, { services }) => view(await services.tokens.revoke(id)),
});

/** Every token operation. */
export const TOKEN_OPERATIONS = [createToken, listTokens, revokeToken];
