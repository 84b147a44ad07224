/**
 * Per-app secrets (API keys and the like). Values are encrypted at rest
 * with AES-256-GCM under a key kept in the data folder (mode 0600), bound
 * to their app and name, and never returned by any operation: callers can
 * set, list names and remove. The runtime reads them through the kernel.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { seal, unseal } from "./sealing.ts";

/** A secret as listed: its name and times, never its value. */
export interface SecretInfo {
  /** The secret's name. */
  name: string;
  /** Creation time (ms). */
  createdAt: number;
  /** Last change (ms). */
  updatedAt: number;
}

/** Secret storage. */
export interface SecretService {
  /** Sets (creates or replaces) a secret of an app. */
  set(appId: string, name: string, value: string): Promise<SecretInfo>;
  /** The names of an app's secrets. */
  list(appId: string): SecretInfo[];
  /** Removes a secret. */
  remove(appId: string, name: string): Promise<void>;
  /** Reads a value (for the runtime only; no operation exposes this). */
  reveal(appId: string, name: string): string | undefined;
}

/** Secret names: environment-variable style. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Largest secret value, in bytes. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** The key file inside the data folder. */
export const SECRET_KEY_FILE = "secrets.key";

/** Loads the data folder's secret key, creating it (0600) on first use. */
export async function loadSecretKey(dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, SECRET_KEY_FILE);
  try {
    const key = await Deno.readFile(path);
    if (key.length === 32) return key;
    throw new Error(`${path} is not a 32-byte key; restore it from a backup.`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const key = randomBytes(32);
  await Deno.writeFile(path, key, { mode: 0o600, createNew: true });
  return key;
}

/** Options for {@linkcode createSecretService}. */
export interface SecretServiceOptions {
  /** The kernel database. */
  db: Database;
  /** The 32-byte encryption key. */
  key: Uint8Array;
  /** Clock, for tests. */
  now?: () => number;
}

/** Creates the secret service. */
export function createSecretService(options: SecretServiceOptions): SecretService {
  const { db, key } = options;
  const now = options.now ?? Date.now;

  function checkName(name: string): void {
    if (!SECRET_NAME.test(name)) {
      throw new FaztError(
        "invalid_input",
        `"${name}" is not a valid secret name. Use letters, digits and underscores, starting with a letter or underscore (like API_KEY).`,
        { details: { name } },
      );
    }
  }

  return {
    async set(appId, name, value) {
      checkName(name);
      if (new TextEncoder().encode(value).length > MAX_SECRET_BYTES) {
        throw new FaztError(
          "payload_too_large",
          `A secret value may be at most ${MAX_SECRET_BYTES} bytes.`,
          { details: { name, limit: MAX_SECRET_BYTES } },
        );
      }
      const t = now();
      const row = await db.write((w) =>
        w.prepare(
          `INSERT INTO app_secrets (app_id, name, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (app_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
           RETURNING name, created_at, updated_at`,
        ).get(appId, name, seal(key, `${appId}/${name}`, value), t, t) as unknown as {
          name: string;
          created_at: number;
          updated_at: number;
        }
      );
      return { name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
    },
    list(appId) {
      return (db.read.prepare(
        "SELECT name, created_at, updated_at FROM app_secrets WHERE app_id = ? ORDER BY name",
      ).all(appId) as unknown as { name: string; created_at: number; updated_at: number }[]).map((
        r,
      ) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
    },
    async remove(appId, name) {
      const changes = await db.write((w) =>
        Number(
          w.prepare("DELETE FROM app_secrets WHERE app_id = ? AND name = ?").run(appId, name)
            .changes,
        )
      );
      if (changes === 0) {
        throw new FaztError("not_found", `The app has no secret named "${name}".`, {
          details: { name },
        });
      }
    },
    reveal(appId, name) {
      const row = db.read.prepare("SELECT value FROM app_secrets WHERE app_id = ? AND name = ?")
        .get(appId, name) as { value: Uint8Array } | undefined;
      return row ? unseal(key, `${appId}/${name}`, row.value) : undefined;
    },
  };
}
