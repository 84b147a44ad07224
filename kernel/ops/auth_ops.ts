/**
 * Operations for the owner account: first-time setup, login and logout
 * (browser sessions), who-am-I, a local password reset, password and email
 * changes (each checking the current password), and the owner's
 * known devices (the browsers exempt from the account-wide login limit).
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { FaztError } from "../core/errors.ts";
import { SCOPES } from "../services/auth/scopes.ts";
import type { Services } from "./services.ts";

const Owner = z.object({ id: z.string(), email: z.string() });
const Session = z.object({
  id: z.string().describe("The session secret; REST sends it as the HttpOnly cookie instead."),
  expiresAt: z.string(),
});
const Device = z.object({
  secret: z.string().describe(
    "The known-device secret; REST sends it as the HttpOnly known-device cookie instead.",
  ),
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
  output: z.object({ owner: Owner, session: Session, device: Device }),
  access: "public",
  hints: {},
  http: {
    method: "POST",
    path: "/auth/setup",
    status: 201,
    session: "set",
    knownDevice: true,
    maxBodyBytes: 8192,
  },
  cli: { words: ["auth", "setup"] },
  handler: async ({ token, email, password }, { services, clientIp }) => {
    services.limits.setupPerIp.hit(clientIp);
    const { owner, session } = await services.owners.setup(token, email, password);
    const device = await services.devices.remember(owner.id, clientIp);
    return {
      owner: { id: owner.id, email: owner.email },
      session: { id: session.id, expiresAt: new Date(session.expiresAt).toISOString() },
      device: { secret: device.secret, expiresAt: new Date(device.expiresAt).toISOString() },
    };
  },
});

/** `auth.login` */
export const login = defineOperation({
  name: "auth.login",
  summary: "Log in",
  description:
    "Starts a browser session for the owner and marks the browser as a known device. Failed attempts slow down the address they come from (a growing delay, answered as 429 with Retry-After), and guesses from many addresses slow down logins from new devices, never from known ones.",
  input: z.strictObject({ email, password }),
  output: z.object({ owner: Owner, session: Session, device: Device }),
  access: "public",
  hints: {},
  http: {
    method: "POST",
    path: "/auth/login",
    session: "set",
    knownDevice: true,
    maxBodyBytes: 8192,
  },
  cli: { words: ["auth", "login"] },
  handler: async ({ email, password }, { services, clientIp, knownDevice }) => {
    const account = email.toLowerCase();
    const deviceId = knownDeviceOf(services, knownDevice, account);
    // Admitted (and counted as a failure) before the password is checked, so
    // concurrent guesses cannot all pass; a refusal costs no hashing at all.
    const attempt = services.limits.login.admit({ ip: clientIp, account, deviceId });
    const result = await services.owners.login(email, password);
    if (!result) throw new FaztError("unauthorized", "The email or password is wrong.");
    attempt.succeeded();
    const device = await services.devices.remember(
      result.owner.id,
      clientIp,
      deviceId === undefined ? undefined : knownDevice,
    );
    return {
      owner: { id: result.owner.id, email: result.owner.email },
      session: {
        id: result.session.id,
        expiresAt: new Date(result.session.expiresAt).toISOString(),
      },
      device: { secret: device.secret, expiresAt: new Date(device.expiresAt).toISOString() },
    };
  },
});

/** The ID of the caller's known device when its cookie is valid for `account`. */
function knownDeviceOf(
  services: Services,
  secret: string | undefined,
  account: string,
): string | undefined {
  if (secret === undefined) return undefined;
  const device = services.devices.recognize(secret);
  if (!device) return undefined;
  const owner = services.owners.owner();
  return owner?.id === device.ownerId && owner.email.toLowerCase() === account
    ? device.id
    : undefined;
}

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
    "Sets a new owner password (a strong random one when none is given, printed once), ends every session and forgets every failed login, so the owner can log in at once from anywhere. Known devices stay known. Locally (works while a server runs): `fazt owner reset-password --data DIR`.",
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
    services.limits.login.clear();
    return { email: owner.email, password: generated ?? null };
  },
});

/** `owner.change_password` */
export const changePassword = defineOperation({
  name: "owner.change_password",
  summary: "Change the owner's password",
  description:
    "Sets a new owner password after checking the current one, and ends every other session (the caller's own stays signed in). Lost the password? Run `fazt owner reset-password --data DIR` on the server instead.",
  input: z.strictObject({
    currentPassword: password.describe("The password in use now."),
    newPassword: password.describe("The new password (at least 10 characters)."),
  }),
  output: z.object({ email: z.string(), changed: z.boolean() }),
  access: "admin",
  hints: {},
  http: { method: "POST", path: "/owner/password", maxBodyBytes: 8192 },
  cli: {
    words: ["owner", "change-password"],
    secretInputs: {
      currentPassword: "FAZT_CURRENT_PASSWORD",
      newPassword: "FAZT_NEW_PASSWORD",
    },
  },
  handler: async ({ currentPassword, newPassword }, { services, principal }) => {
    const owner = await services.owners.changePassword(
      currentPassword,
      newPassword,
      principal.sessionId,
    );
    return { email: owner.email, changed: true };
  },
});

/** `owner.change_email` */
export const changeEmail = defineOperation({
  name: "owner.change_email",
  summary: "Change the owner's login email",
  description:
    "Sets the email the owner logs in with, after checking the password. Sessions and known devices stay.",
  input: z.strictObject({
    email,
    password: password.describe("The owner's password, to confirm."),
  }),
  output: Owner,
  access: "admin",
  hints: { idempotent: true },
  http: { method: "POST", path: "/owner/email", maxBodyBytes: 8192 },
  cli: {
    words: ["owner", "change-email"],
    positionals: ["email"],
    secretInputs: { password: "FAZT_PASSWORD" },
  },
  handler: async ({ email, password }, { services }) => {
    const owner = await services.owners.changeEmail(email, password);
    return { id: owner.id, email: owner.email };
  },
});

const DeviceView = z.object({
  id: z.string(),
  createdAt: z.string().describe("The first login from the device."),
  lastUsedAt: z.string().describe("The last successful login from the device."),
  expiresAt: z.string().describe("When it stops being known unless the owner logs in from it."),
  lastIp: z.string().describe("The client address of its last login."),
});

/** `owner.devices` */
export const listDevices = defineOperation({
  name: "owner.devices",
  summary: "List the owner's known devices",
  description:
    "Lists the browsers (and other clients) the owner has logged in from. Logins from a known device are limited only by that device's own failures, so attacks from elsewhere never slow them.",
  input: z.strictObject({}),
  output: z.array(DeviceView),
  access: "admin",
  hints: { readOnly: true },
  http: { method: "GET", path: "/owner/devices" },
  cli: { words: ["owner", "devices"], columns: ["id", "lastIp", "lastUsedAt", "expiresAt"] },
  handler: (_input, { services }) =>
    Promise.resolve(
      services.devices.list().map((d) => ({
        id: d.id,
        createdAt: new Date(d.createdAt).toISOString(),
        lastUsedAt: new Date(d.lastUsedAt).toISOString(),
        expiresAt: new Date(d.expiresAt).toISOString(),
        lastIp: d.lastIp,
      })),
    ),
});

/** `owner.forget_devices` */
export const forgetDevices = defineOperation({
  name: "owner.forget_devices",
  summary: "Forget known devices",
  description:
    "Forgets one known device, or all of them when no ID is given: their next login counts as one from a new device. Sessions are not ended (log out, or reset the password, for that).",
  input: z.strictObject({
    id: z.string().min(1).max(100).optional().describe(
      "The device's ID (dev_…); omit it to forget every device.",
    ),
  }),
  output: z.object({ forgotten: z.number().int().describe("How many devices were forgotten.") }),
  access: "admin",
  hints: { destructive: true },
  http: { method: "POST", path: "/owner/devices/forget", maxBodyBytes: 1024 },
  cli: { words: ["owner", "forget-devices"], positionals: ["id"] },
  handler: async ({ id }, { services }) => ({ forgotten: await services.devices.forget(id) }),
});

/** Every auth operation. */
export const AUTH_OPERATIONS = [
  setup,
  login,
  logout,
  whoami,
  resetPassword,
  changePassword,
  changeEmail,
  listDevices,
  forgetDevices,
];
