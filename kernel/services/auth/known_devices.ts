/**
 * Known devices: the browsers the owner has logged in from, as OWASP's
 * "device cookies". A successful login hands the client a random secret
 * (sent back only as an HttpOnly cookie on the login path; see
 * `device_cookie.ts`) and stores its SHA-256 here. A later login attempt
 * carrying a valid one is limited by that device's own backoff instead of
 * the account-wide one (`login_throttle.ts`), so no attacker can keep the
 * owner out of a browser they have used before.
 *
 * A device grants no access by itself (the password is still checked). It
 * expires `ttlMs` after its last successful login (each one renews it), at
 * most `maxPerOwner` are kept (the least recently used go first), and the
 * owner can list and forget them.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";

/** How long a device stays known after its last login by default: 90 days. */
export const DEFAULT_DEVICE_TTL_MS = 90 * 86_400_000;

/** How many devices an owner keeps by default. */
export const DEFAULT_MAX_DEVICES = 50;

/** A known device as listed (never its secret). */
export interface KnownDevice {
  /** Device ID (`dev_…`). */
  id: string;
  /** The owner it belongs to. */
  ownerId: string;
  /** The first login from it (ms). */
  createdAt: number;
  /** The last successful login from it (ms). */
  lastUsedAt: number;
  /** When it stops being known unless used again (ms). */
  expiresAt: number;
  /** The client address of its last login. */
  lastIp: string;
}

/** A device secret to send to the client. */
export interface DeviceSecret {
  /** The secret (the cookie value). */
  secret: string;
  /** Expiry (ms). */
  expiresAt: number;
}

/** Known devices of the owner. */
export interface KnownDeviceService {
  /** The device a secret belongs to, while it is known (unexpired, not forgotten). */
  recognize(secret: string): KnownDevice | undefined;
  /**
   * After a successful login: renews the device `secret` names when it is
   * known for this owner, else remembers a new device. Returns the secret
   * the client should hold.
   */
  remember(ownerId: string, ip: string, secret?: string): Promise<DeviceSecret>;
  /** The known devices, most recently used first. */
  list(): KnownDevice[];
  /** Forgets one device, or every device when no ID is given; returns how many. */
  forget(id?: string): Promise<number>;
}

/** Options for {@linkcode createKnownDeviceService}. */
export interface KnownDeviceOptions {
  /** The kernel database. */
  db: Database;
  /** How long a device stays known after its last login (ms). */
  ttlMs?: number;
  /** Devices kept per owner at most. */
  maxPerOwner?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface DeviceRow {
  id: string;
  owner_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  last_ip: string;
}

const SECRET = /^[A-Za-z0-9_-]{43}$/;

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

const view = (r: DeviceRow): KnownDevice => ({
  id: r.id,
  ownerId: r.owner_id,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
  lastIp: r.last_ip,
});

/** Creates the known-device service. */
export function createKnownDeviceService(options: KnownDeviceOptions): KnownDeviceService {
  const { db } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_DEVICE_TTL_MS;
  const maxPerOwner = options.maxPerOwner ?? DEFAULT_MAX_DEVICES;
  const bySecret = db.read.prepare("SELECT * FROM known_devices WHERE secret_hash = ?");

  return {
    recognize(secret) {
      if (!SECRET.test(secret)) return undefined;
      const row = bySecret.get(sha256(secret)) as DeviceRow | undefined;
      return row && row.expires_at > now() ? view(row) : undefined;
    },
    async remember(ownerId, ip, secret) {
      const t = now();
      const expiresAt = t + ttlMs;
      const lastIp = ip.slice(0, 64);
      return await db.write((w) => {
        w.prepare("DELETE FROM known_devices WHERE expires_at <= ?").run(t);
        if (secret !== undefined && SECRET.test(secret)) {
          const renewed = w.prepare(
            "UPDATE known_devices SET last_used_at = ?, expires_at = ?, last_ip = ? WHERE secret_hash = ? AND owner_id = ?",
          ).run(t, expiresAt, lastIp, sha256(secret), ownerId);
          if (Number(renewed.changes) === 1) return { secret, expiresAt };
        }
        const fresh = randomSecret();
        w.prepare(
          `DELETE FROM known_devices WHERE owner_id = ? AND id NOT IN (
             SELECT id FROM known_devices WHERE owner_id = ? ORDER BY last_used_at DESC LIMIT ?)`,
        ).run(ownerId, ownerId, maxPerOwner - 1);
        w.prepare(
          "INSERT INTO known_devices (id, secret_hash, owner_id, created_at, last_used_at, expires_at, last_ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ).run(
          `dev_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
          sha256(fresh),
          ownerId,
          t,
          t,
          expiresAt,
          lastIp,
        );
        return { secret: fresh, expiresAt };
      });
    },
    list() {
      const rows = db.read.prepare(
        "SELECT * FROM known_devices WHERE expires_at > ? ORDER BY last_used_at DESC, id",
      ).all(now()) as unknown as DeviceRow[];
      return rows.map(view);
    },
    async forget(id) {
      return await db.write((w) => {
        if (id === undefined) return Number(w.prepare("DELETE FROM known_devices").run().changes);
        const changes = Number(
          w.prepare("DELETE FROM known_devices WHERE id = ?").run(id).changes,
        );
        if (changes === 0) {
          throw new FaztError("not_found", `No known device has the ID ${JSON.stringify(id)}.`, {
            details: { id },
          });
        }
        return changes;
      });
    },
  };
}
