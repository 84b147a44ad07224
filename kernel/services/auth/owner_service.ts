/**
 * The owner account and its browser sessions. The first owner is created
 * through a one-time setup link printed at boot; login checks a scrypt hash
 * in constant time (unknown emails cost the same), and sessions are random
 * IDs stored only as hashes, revocable server-side.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { DUMMY_HASH, hashPassword, passwordProblem, verifyPassword } from "./password.ts";
import type { Principal } from "./scopes.ts";

/** The owner as shown to callers. */
export interface OwnerRecord {
  /** Owner ID. */
  id: string;
  /** Login email. */
  email: string;
  /** Creation time (ms). */
  createdAt: number;
}

/** A new session: the secret goes into the cookie, never into storage. */
export interface NewSession {
  /** The session secret (cookie value). */
  id: string;
  /** Expiry (ms). */
  expiresAt: number;
}

/** Owner accounts and sessions. */
export interface OwnerService {
  /** True once an owner exists. */
  hasOwner(): boolean;
  /** Replaces any setup token with a new one, valid for `ttlMs`. */
  issueSetupToken(ttlMs: number): Promise<string>;
  /** Creates the owner with a valid setup token (which is then gone) and logs in. */
  setup(
    token: string,
    email: string,
    password: string,
  ): Promise<{ owner: OwnerRecord; session: NewSession }>;
  /** Checks credentials; undefined when wrong (same time either way). */
  login(
    email: string,
    password: string,
  ): Promise<{ owner: OwnerRecord; session: NewSession } | undefined>;
  /** The principal for a session secret, or undefined when unknown or expired. */
  authenticateSession(id: string): Principal | undefined;
  /** Revokes one session. */
  logout(id: string): Promise<void>;
  /** Sets a new password and revokes every session. */
  resetPassword(password: string): Promise<OwnerRecord>;
  /**
   * Changes the password after checking the current one (`forbidden`
   * when wrong); every session but `keepSessionId` ends.
   */
  changePassword(current: string, next: string, keepSessionId?: string): Promise<OwnerRecord>;
  /** Changes the login email after checking the password (`forbidden` when wrong). */
  changeEmail(email: string, password: string): Promise<OwnerRecord>;
  /** The owner, if any. */
  owner(): OwnerRecord | undefined;
}

/** Options for {@linkcode createOwnerService}. */
export interface OwnerServiceOptions {
  /** The kernel database. */
  db: Database;
  /** How long a session lives (ms). */
  sessionTtlMs: number;
  /** Clock, for tests. */
  now?: () => number;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

interface OwnerRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Creates the owner service. */
export function createOwnerService(options: OwnerServiceOptions): OwnerService {
  const { db, sessionTtlMs } = options;
  const now = options.now ?? Date.now;
  const view = (r: OwnerRow): OwnerRecord => ({
    id: r.id,
    email: r.email,
    createdAt: r.created_at,
  });
  const bySession = db.read.prepare(
    "SELECT owner_id, expires_at FROM sessions WHERE id_hash = ?",
  );

  async function newSession(ownerId: string): Promise<NewSession> {
    const id = randomSecret();
    const t = now();
    const expiresAt = t + sessionTtlMs;
    await db.write((w) => {
      w.prepare("DELETE FROM sessions WHERE expires_at <= ?").run(t);
      w.prepare(
        "INSERT INTO sessions (id_hash, owner_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
      ).run(sha256(id), ownerId, t, expiresAt, t);
    });
    return { id, expiresAt };
  }

  function checkEmail(email: string): void {
    if (!EMAIL.test(email) || email.length > 254) {
      throw new FaztError("invalid_input", "The email field does not hold an email address.");
    }
  }

  function checkPassword(password: string): void {
    const problem = passwordProblem(password);
    if (problem) throw new FaztError("invalid_input", problem);
  }

  return {
    hasOwner: () => db.read.prepare("SELECT 1 FROM owners LIMIT 1").get() !== undefined,
    owner() {
      const row = db.read.prepare("SELECT * FROM owners LIMIT 1").get() as unknown as
        | OwnerRow
        | undefined;
      return row ? view(row) : undefined;
    },
    async issueSetupToken(ttlMs) {
      const token = randomSecret();
      const t = now();
      await db.write((w) => {
        w.prepare("DELETE FROM setup_tokens").run();
        w.prepare("INSERT INTO setup_tokens (hash, created_at, expires_at) VALUES (?, ?, ?)").run(
          sha256(token),
          t,
          t + ttlMs,
        );
      });
      return token;
    },
    async setup(token, email, password) {
      checkEmail(email);
      checkPassword(password);
      const hash = await hashPassword(password);
      const owner = await db.write((w) => {
        const row = w.prepare("SELECT expires_at FROM setup_tokens WHERE hash = ?").get(
          sha256(token),
        ) as { expires_at: number } | undefined;
        if (w.prepare("SELECT 1 FROM owners LIMIT 1").get()) {
          throw new FaztError(
            "conflict",
            "The owner account already exists, so setup links no longer work. Log in at /_fazt/login; forgot the password? Run `fazt owner reset-password --data DIR` on the server (DIR: its data folder).",
          );
        }
        if (!row || row.expires_at <= now()) {
          throw new FaztError(
            "forbidden",
            "This setup link is invalid or expired. Restart fazt to print a new one (it prints one at every start until the owner account exists).",
          );
        }
        w.prepare("DELETE FROM setup_tokens").run();
        const t = now();
        return w.prepare(
          "INSERT INTO owners (id, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
        ).get(`own_${crypto.randomUUID().slice(0, 8)}`, email, hash, t, t) as unknown as OwnerRow;
      });
      return { owner: view(owner), session: await newSession(owner.id) };
    },
    async login(email, password) {
      const row = db.read.prepare("SELECT * FROM owners WHERE email = ?").get(email) as unknown as
        | OwnerRow
        | undefined;
      const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
      if (!row || !ok) return undefined;
      return { owner: view(row), session: await newSession(row.id) };
    },
    authenticateSession(id) {
      const row = bySession.get(sha256(id)) as { owner_id: string; expires_at: number } | undefined;
      if (!row || row.expires_at <= now()) return undefined;
      return {
        kind: "session",
        sessionId: id,
        ownerId: row.owner_id,
        scopes: new Set(["admin"]),
        apps: null,
      };
    },
    async logout(id) {
      await db.write((w) => {
        w.prepare("DELETE FROM sessions WHERE id_hash = ?").run(sha256(id));
      });
    },
    async resetPassword(password) {
      checkPassword(password);
      const hash = await hashPassword(password);
      const row = await db.write((w) => {
        const owner = w.prepare("SELECT * FROM owners LIMIT 1").get() as unknown as
          | OwnerRow
          | undefined;
        if (!owner) {
          throw new FaztError(
            "not_found",
            "There is no owner account yet. Open the setup link fazt printed at start.",
          );
        }
        w.prepare("UPDATE owners SET password_hash = ?, updated_at = ? WHERE id = ?").run(
          hash,
          now(),
          owner.id,
        );
        w.prepare("DELETE FROM sessions").run();
        return owner;
      });
      return view(row);
    },
    async changePassword(current, next, keepSessionId) {
      const row = await verifiedOwner(current);
      checkPassword(next);
      const hash = await hashPassword(next);
      await db.write((w) => {
        w.prepare("UPDATE owners SET password_hash = ?, updated_at = ? WHERE id = ?").run(
          hash,
          now(),
          row.id,
        );
        w.prepare("DELETE FROM sessions WHERE id_hash != ?").run(
          keepSessionId === undefined ? "" : sha256(keepSessionId),
        );
      });
      return view(row);
    },
    async changeEmail(email, password) {
      const row = await verifiedOwner(password);
      const next = email.trim();
      checkEmail(next);
      await db.write((w) => {
        w.prepare("UPDATE owners SET email = ?, updated_at = ? WHERE id = ?").run(
          next,
          now(),
          row.id,
        );
      });
      return view({ ...row, email: next });
    },
  };

  /** The owner, once `password` is checked against it (`forbidden` when wrong). */
  async function verifiedOwner(password: string): Promise<OwnerRow> {
    const row = db.read.prepare("SELECT * FROM owners LIMIT 1").get() as unknown as
      | OwnerRow
      | undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row) {
      throw new FaztError(
        "not_found",
        "There is no owner account yet. Open the setup link fazt printed at start.",
      );
    }
    if (!ok) {
      throw new FaztError("forbidden", "The current password is wrong. Nothing was changed.", {
        details: { reason: "wrong_password" },
      });
    }
    return row;
  }
}
