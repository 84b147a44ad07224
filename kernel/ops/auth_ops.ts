/**
 * Operations for the owner account: first-time setup, login and logout
 * (browser sessions), who-am-I, and a local password reset.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { FaztError } from "../errors.ts";
import { SCOPES } from "../auth/scopes.ts";

const Owner = z.object({ id: z.string(), email: z.string() });
const Session = z.object({
  id: z.string().describe("The session secret; REST sends it as the HttpOnly cookie instead."),
  expiresAt: z.string(),
});
const email = z.string().trim().min(3).max(254).describe("The owner's email address.");
const password = z.string().min(1).max(1024).describe("The password.");

/** `auth.setup` */
export const setup = defineOperation({
  name: "auth.setup",
  summary: "Create the owner account",
  description:
    "Creates the owner account with the one-time setup token that fazt printed at its first start, and logs in.",
  input: z.strictObject({
    token: z.string().min(1).max(200).describe("The setup token from the setup link."),
    email,
    password,
  }),
  output: z.object({ owner: Owner, session: Session }),
  access: "public",
  hints: {},
  http: { method: "POST", path: "/auth/setup", status: 201, session: "set", maxBodyBytes: 8192 },
  cli: { words: ["auth", "setup"] },
  handler: async ({ token, email, password }, { services, clientIp }) => {
    services.limits.loginPerIp.hit(clientIp);
    const { owner, session } = await services.owners.setup(token, email, password);
    return {
      owner: { id: owner.id, email: owner.email },
      session: { id: session.id, expiresAt: new Date(session.expiresAt).toISOString() },
    };
  },
});

/** `auth.login` */
export const login = defineOperation({
  name: "auth.login",
  summary: "Log in",
  description:
    "Starts a browser session for the owner. Attempts are rate-limited per IP and per account.",
  input: z.strictObject({ email, password }),
  output: z.object({ owner: Owner, session: Session }),
  access: "public",
  hints: {},
  http: { method: "POST", path: "/auth/login", session: "set", maxBodyBytes: 8192 },
  cli: { words: ["auth", "login"] },
  handler: async ({ email, password }, { services, clientIp }) => {
    const account = email.toLowerCase();
    services.limits.loginPerIp.hit(clientIp);
    // Count the attempt before checking the password, so concurrent guesses
    // cannot all pass the limit; a successful login forgets the count.
    services.limits.loginPerAccount.hit(account);
    const result = await services.owners.login(email, password);
    if (!result) throw new FaztError("unauthorized", "The email or password is wrong.");
    services.limits.loginPerAccount.reset(account);
    return {
      owner: { id: result.owner.id, email: result.owner.email },
      session: {
        id: result.session.id,
        expiresAt: new Date(result.session.expiresAt).toISOString(),
      },
    };
  },
});

/** `auth.logout` */
export const logout = defineOperation({
  name: "auth.logout",
  summary: "Log out",
  description: "Ends the current browser session on the server.",
  input: z.strictObject({}),
  output: z.object({ loggedOut: z.boolean() }),
  access: "public",
  hints: { idempotent: true },
  http: { method: "POST", path: "/auth/logout", session: "clear" },
  cli: { words: ["auth", "logout"] },
  handler: async (_input, { services, principal }) => {
    if (principal.sessionId) await services.owners.logout(principal.sessionId);
    return { loggedOut: principal.sessionId !== undefined };
  },
});

/** `auth.whoami` */
export const whoami = defineOperation({
  name: "auth.whoami",
  summary: "Show the caller",
  description: "Tells how the caller is authenticated and what it may do.",
  input: z.strictObject({}),
  output: z.object({
    kind: z.enum(["token", "session", "anonymous"]),
    scopes: z.array(z.enum(SCOPES)),
    apps: z.array(z.string()).nullable().describe("App IDs the caller is limited to."),
    tokenId: z.string().nullable(),
    owner: Owner.nullable(),
    setupNeeded: z.boolean().describe("True while no owner account exists."),
  }),
  access: "public",
  hints: { readOnly: true },
  http: { method: "GET", path: "/auth/whoami" },
  cli: { words: ["auth", "whoami"] },
  handler: (_input, { services, principal }) => {
    const owner = principal.kind === "anonymous" ? undefined : services.owners.owner();
    return Promise.resolve({
      kind: principal.kind,
      scopes: [...principal.scopes],
      apps: principal.apps ? [...principal.apps] : null,
      tokenId: principal.tokenId ?? null,
      owner: owner ? { id: owner.id, email: owner.email } : null,
      setupNeeded: !services.owners.hasOwner(),
    });
  },
});

/** `owner.reset_password` */
export const resetPassword = defineOperation({
  name: "owner.reset_password",
  summary: "Reset the owner's password",
  description:
    "Sets a new owner password (a strong random one when none is given, printed once) and ends every session. Locally: `fazt owner reset-password --data DIR`.",
  input: z.strictObject({
    password: z.string().min(1).max(1024).optional().describe("The new password."),
  }),
  output: z.object({
    email: z.string(),
    password: z.string().nullable().describe("The generated password, when none was given."),
  }),
  access: "admin",
  hints: { destructive: true },
  http: { method: "POST", path: "/owner/reset-password", maxBodyBytes: 8192 },
  cli: { words: ["owner", "reset-password"] },
  handler: async ({ password }, { services }) => {
    const generated = password === undefined
      ? btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18))))
        .replace(/[+/=]/g, "x")
      : undefined;
    const owner = await services.owners.resetPassword(password ?? generated!);
    return { email: owner.email, password: generated ?? null };
  },
});

/** Every auth operation. */
export const AUTH_OPERATIONS = [setup, login, logout, whoami, resetPassword];
