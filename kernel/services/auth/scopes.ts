/**
 * Token scopes: what a credential may do. `admin` implies every scope.
 *
 * @module
 */

/** Every scope a token can carry. */
export const SCOPES = [
  "apps:read",
  "apps:write",
  "apps:delete",
  "data:read",
  "data:write",
  "secrets:write",
  "logs:read",
  "system:read",
  "admin",
] as const;

/** A scope a token can carry. */
export type Scope = typeof SCOPES[number];

/** Who is calling an operation. */
export interface Principal {
  /** How the caller authenticated. */
  kind: "token" | "session" | "anonymous";
  /** The token's ID, when authenticated by token. */
  tokenId?: string;
  /** The session ID, when authenticated by the session cookie. */
  sessionId?: string;
  /** The owner's ID, when authenticated by session. */
  ownerId?: string;
  /** Granted scopes. */
  scopes: ReadonlySet<Scope>;
  /** App IDs the caller is limited to, or null for all apps. */
  apps: ReadonlySet<string> | null;
  /** Credentials came but were refused (an unknown, expired or revoked token): anonymous anyway. */
  rejected?: boolean;
}

/** The caller with no credentials. */
export const ANONYMOUS: Principal = { kind: "anonymous", scopes: new Set(), apps: null };

/** A caller whose token was refused (unknown, expired or revoked), treated as anonymous. */
export const REJECTED: Principal = {
  kind: "anonymous",
  scopes: new Set(),
  apps: null,
  rejected: true,
};

/** True when the principal holds `scope` (directly or through `admin`). */
export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.has("admin") || p.scopes.has(scope);
}
