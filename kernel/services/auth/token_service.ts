/**
 * API tokens: random bearer secrets stored only as SHA-256 hashes. A token
 * is shown once at creation. Authentication is one indexed read; the
 * last-used time is buffered in memory and written in batches, never on the
 * request path.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Database } from "../../store/database.ts";
import type { Principal, Scope } from "./scopes.ts";
import { FaztError } from "../../core/errors.ts";

/** Every token starts with this, so leaked ones are easy to spot and scan for. */
export const TOKEN_PREFIX = "fazt_";

/** A token as listed (never the secret). */
export interface TokenRecord {
  /** Token ID. */
  id: string;
  /** A name for people. */
  name: string;
  /** Granted scopes. */
  scopes: Scope[];
  /** App IDs the token is limited to, or null. */
  apps: string[] | null;
  /** Creation time (ms). */
  createdAt: number;
  /** Expiry (ms) or null. */
  expiresAt: number | null;
  /** Last successful use (ms) or null. */
  lastUsedAt: number | null;
}

/** What {@linkcode TokenService.create} needs. */
export interface NewToken {
  /** A name for people. */
  name: string;
  /** Granted scopes. */
  scopes: Scope[];
  /** App IDs to limit the token to. */
  apps?: string[] | null;
  /** Expiry (ms). */
  expiresAt?: number | null;
}

/** Token storage and authentication. */
export interface TokenService {
  /** Creates a token; the secret is returned only here. */
  create(input: NewToken): Promise<{ record: TokenRecord; token: string }>;
  /** The principal for a bearer secret, or undefined when invalid, expired or revoked. */
  authenticate(secret: string): Principal | undefined;
  /** Every token that is not revoked, newest first. */
  list(): TokenRecord[];
  /** Revokes a token; it fails from the next request on. */
  revoke(id: string): Promise<TokenRecord>;
  /** Writes buffered last-used times. */
  flush(): Promise<void>;
}

/** SHA-256 hex of a token secret. */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return TOKEN_PREFIX + btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Options for {@linkcode createTokenService}. */
export interface TokenServiceOptions {
  /** The kernel database. */
  db: Database;
  /** Clock, for tests. */
  now?: () => number;
}

interface Row {
  id: string;
  name: string;
  scopes: string;
  apps: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

function toRecord(r: Row): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    scopes: JSON.parse(r.scopes),
    apps: r.apps ? JSON.parse(r.apps) : null,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
  };
}

/** Creates the token service. */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { db } = options;
  const now = options.now ?? Date.now;
  const used = new Map<string, number>();
  const byHash = db.read.prepare("SELECT * FROM api_tokens WHERE hash = ?");

  return {
    async create(input) {
      const token = randomSecret();
      const id = `tok_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
      const row = await db.write((w) =>
        w.prepare(
          `INSERT INTO api_tokens (id, name, hash, scopes, apps, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        ).get(
          id,
          input.name,
          hashToken(token),
          JSON.stringify(input.scopes),
          input.apps ? JSON.stringify(input.apps) : null,
          now(),
          input.expiresAt ?? null,
        ) as unknown as Row
      );
      return { record: toRecord(row), token };
    },
    authenticate(secret) {
      if (!secret.startsWith(TOKEN_PREFIX)) return undefined;
      const row = byHash.get(hashToken(secret)) as unknown as Row | undefined;
      const t = now();
      if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= t)) {
        return undefined;
      }
      used.set(row.id, t);
      const record = toRecord(row);
      return {
        kind: "token",
        tokenId: row.id,
        scopes: new Set(record.scopes),
        apps: record.apps ? new Set(record.apps) : null,
      };
    },
    list() {
      return (db.read.prepare(
        "SELECT * FROM api_tokens WHERE revoked_at IS NULL ORDER BY created_at DESC",
      ).all() as unknown as Row[]).map((r) => ({
        ...toRecord(r),
        lastUsedAt: used.get(r.id) ?? r.last_used_at,
      }));
    },
    async revoke(id) {
      const row = await db.write((w) =>
        w.prepare(
          "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING *",
        ).get(now(), id) as unknown as Row | undefined
      );
      if (!row) {
        throw new FaztError(
          "not_found",
          `No active token has the ID "${id}". Run \`fazt token list\`.`,
          {
            details: { token: id },
          },
        );
      }
      used.delete(id);
      return toRecord(row);
    },
    async flush() {
      if (used.size === 0) return;
      const batch = [...used];
      used.clear();
      await db.write((w) => {
        const upd = w.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
        for (const [id, at] of batch) upd.run(at, id);
      });
    },
  };
}
