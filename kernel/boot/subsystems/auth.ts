/**
 * The auth subsystem: API tokens (their last-used times flushed with the
 * counters), the owner account and sessions, known devices, the login
 * throttle and the setup/deploy action limiters, the local owner token in
 * `<data>/owner.token`, and `authenticate`, which turns a request's
 * credentials into a principal for the transports.
 *
 * @module
 */
import { createTokenService, type TokenService } from "../../services/auth/token_service.ts";
import { ensureOwnerToken } from "../../services/auth/owner_credential.ts";
import { ANONYMOUS, type Principal, REJECTED } from "../../services/auth/scopes.ts";
import { createOwnerService, type OwnerService } from "../../services/auth/owner_service.ts";
import {
  createKnownDeviceService,
  type KnownDeviceService,
} from "../../services/auth/known_devices.ts";
import { createLoginThrottle } from "../../services/auth/login_throttle.ts";
import { createActionLimiter } from "../../services/cockpit/action_limiter.ts";
import { sessionCookies } from "../../http/session_cookie.ts";
import type { RequestMeta } from "../../http/rest/rest_codec.ts";
import type { Limits } from "../../ops/services.ts";
import type { Subsystem } from "../subsystem.ts";

/** Resolves the caller from a request's credentials (a bearer token, else the session cookie). */
export type Authenticate = (req: Request, meta?: RequestMeta) => Principal;

declare module "../subsystem.ts" {
  interface Parts {
    /** API tokens. */
    tokens: TokenService;
    /** The owner account and sessions. */
    owners: OwnerService;
    /** Browsers the owner logged in from. */
    devices: KnownDeviceService;
    /** Login, setup and deploy limits. */
    limits: Limits;
    /** The local owner token (also in `<data>/owner.token`). */
    ownerToken: string;
    /** Request credentials → principal. */
    authenticate: Authenticate;
  }
}

const MINUTE = 60_000;

/** Builds accounts, tokens and their limits. */
export const auth: Subsystem = {
  name: "auth",
  async install(ctx) {
    const db = ctx.get("db");
    const tokens = createTokenService({ db });
    const owners = createOwnerService({ db, sessionTtlMs: ctx.config.sessionTtlMs });
    ctx.provide("tokens", tokens);
    ctx.provide("owners", owners);
    ctx.provide("devices", createKnownDeviceService({ db }));
    ctx.provide("limits", {
      login: createLoginThrottle(),
      setupPerIp: createActionLimiter({ limit: 20, windowMs: 15 * MINUTE, what: "setup attempts" }),
      deploys: createActionLimiter({ limit: 60, windowMs: MINUTE, what: "deploys" }),
    });
    ctx.onFlush(() => tokens.flush());
    ctx.provide("ownerToken", await ensureOwnerToken(ctx.config.dataDir, tokens));
    ctx.provide("authenticate", (req, meta) => {
      const header = req.headers.get("authorization");
      if (header !== null) {
        if (!header.toLowerCase().startsWith("bearer ")) return REJECTED;
        return tokens.authenticate(header.slice(7).trim()) ?? REJECTED;
      }
      for (const session of sessionCookies(req, meta?.secure ?? false)) {
        const principal = owners.authenticateSession(session);
        if (principal) return principal;
      }
      return ANONYMOUS;
    });
  },
};
