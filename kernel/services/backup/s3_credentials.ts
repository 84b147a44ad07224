/**
 * The owner's S3 backup targets: for each `s3://bucket/prefix` location,
 * the endpoint, region and keys to reach it. The secret key and session
 * token are sealed at rest under the data folder's secrets key (bound to
 * the location) and never shown again: listings give the access key ID and
 * `****`. The kernel opens a stored location into {@linkcode S3TargetOptions}
 * when a backup goes there.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import { FaztError } from "../../core/errors.ts";
import { seal, unseal } from "../secrets/sealing.ts";
import type { S3TargetOptions } from "./s3_target.ts";
import { parseS3Location } from "./s3_location.ts";

/** What the owner gives to save an S3 target. */
export interface S3TargetInput {
  /** `s3://bucket` or `s3://bucket/prefix`. */
  location: string;
  /** The server's base URL for non-AWS servers (path-style); omitted for AWS S3. */
  endpoint?: string;
  /** Region to sign for (default `us-east-1`). */
  region?: string;
  /** Access key ID. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token, for temporary credentials. */
  sessionToken?: string;
}

/** A saved S3 target as shown: never the secret key or token. */
export interface S3TargetInfo {
  /** The normalized location. */
  location: string;
  /** The endpoint URL, or null for AWS S3. */
  endpoint: string | null;
  /** The region. */
  region: string;
  /** The access key ID. */
  accessKeyId: string;
  /** Always `****`. */
  secretAccessKey: "****";
  /** `****` when a session token is saved, else null. */
  sessionToken: "****" | null;
  /** When first saved (ms). */
  createdAt: number;
  /** When last changed (ms). */
  updatedAt: number;
}

/** Saved S3 targets. */
export interface S3CredentialStore {
  /**
   * Saves (creates or replaces) the target for a location; with `check`,
   * first lists the bucket with these keys and saves nothing if that fails.
   */
  set(input: S3TargetInput, options?: { check?: boolean }): Promise<S3TargetInfo>;
  /** Every saved target, by location. */
  list(): S3TargetInfo[];
  /** Forgets a location's target; `not_found` when none is saved. */
  remove(location: string): Promise<void>;
  /** The options to reach a saved location, keys included (kernel use only; no operation returns this). */
  open(location: string): S3TargetOptions;
}

/** Options for {@linkcode createS3CredentialStore}. */
export interface S3CredentialStoreOptions {
  /** The kernel database. */
  db: Database;
  /** The data folder's 32-byte secrets key. */
  key: Uint8Array;
  /** Clock, for tests. */
  now?: () => number;
}

interface Row {
  location: string;
  endpoint: string | null;
  region: string;
  access_key_id: string;
  secret_sealed: Uint8Array;
  session_token_sealed: Uint8Array | null;
  created_at: number;
  updated_at: number;
}

const REGION = /^[a-z0-9][a-z0-9-]{0,31}$/;
const KEY_TEXT = /^[\x21-\x7e]{1,1024}$/;

function info(r: Row): S3TargetInfo {
  return {
    location: r.location,
    endpoint: r.endpoint,
    region: r.region,
    accessKeyId: r.access_key_id,
    secretAccessKey: "****",
    sessionToken: r.session_token_sealed ? "****" : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function invalid(message: string, details: Record<string, unknown> = {}): FaztError {
  return new FaztError("invalid_input", message, { details });
}

/** Creates the store of the owner's S3 targets. */
export function createS3CredentialStore(options: S3CredentialStoreOptions): S3CredentialStore {
  const { db, key } = options;
  const now = options.now ?? Date.now;
  const context = (location: string, what: string) => `backup-target:${location}:${what}`;

  function row(location: string): Row {
    const { location: normalized } = parseS3Location(location);
    const found = db.read.prepare("SELECT * FROM backup_targets WHERE location = ?").get(
      normalized,
    ) as unknown as Row | undefined;
    if (!found) {
      throw new FaztError(
        "not_found",
        `No S3 target is saved for ${normalized}. Save one with \`fazt backup target set ${normalized} --access-key-id ID\` (the secret key is read from FAZT_S3_SECRET_ACCESS_KEY or standard input).`,
        { details: { location: normalized } },
      );
    }
    return found;
  }

  return {
    async set(input, setOptions = {}) {
      const { location } = parseS3Location(input.location);
      const region = input.region ?? "us-east-1";
      if (!REGION.test(region)) {
        throw invalid(`"${region}" is not a region. Use a name like us-east-1 (or auto for R2).`, {
          region,
        });
      }
      const accessKeyId = input.accessKeyId.trim();
      const secret = input.secretAccessKey.trim();
      const token = input.sessionToken?.trim() || undefined;
      if (!KEY_TEXT.test(accessKeyId)) {
        throw invalid("The access key ID must be 1–1024 visible characters with no spaces.");
      }
      if (!KEY_TEXT.test(secret)) {
        throw invalid("The secret key must be 1–1024 visible characters with no spaces.");
      }
      if (token !== undefined && !/^[\x21-\x7e]{1,8192}$/.test(token)) {
        throw invalid("The session token must be visible characters with no spaces.");
      }
      const endpoint = input.endpoint?.trim() || null;
      // Checks the endpoint the way a backup will use it, and the bucket when asked.
      // The client loads only when a target is saved (and at its first backup).
      const { createS3Target } = await import("./s3_target.ts");
      const target = createS3Target({
        location,
        endpoint: endpoint ?? undefined,
        region,
        accessKeyId,
        secretAccessKey: secret,
        sessionToken: token,
      });
      if (setOptions.check) await target.check();
      const t = now();
      const saved = await db.write((w) =>
        w.prepare(
          `INSERT INTO backup_targets (location, endpoint, region, access_key_id, secret_sealed,
             session_token_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (location) DO UPDATE SET endpoint = excluded.endpoint,
             region = excluded.region, access_key_id = excluded.access_key_id,
             secret_sealed = excluded.secret_sealed,
             session_token_sealed = excluded.session_token_sealed, updated_at = excluded.updated_at
           RETURNING *`,
        ).get(
          location,
          endpoint,
          region,
          accessKeyId,
          seal(key, context(location, "secret"), secret),
          token === undefined ? null : seal(key, context(location, "token"), token),
          t,
          t,
        ) as unknown as Row
      );
      return info(saved);
    },

    list() {
      return (db.read.prepare("SELECT * FROM backup_targets ORDER BY location")
        .all() as unknown as Row[]).map(info);
    },

    async remove(location) {
      const { location: normalized } = row(location);
      await db.write((w) =>
        w.prepare("DELETE FROM backup_targets WHERE location = ?").run(normalized)
      );
    },

    open(location) {
      const r = row(location);
      const options: S3TargetOptions = {
        location: r.location,
        region: r.region,
        accessKeyId: r.access_key_id,
        secretAccessKey: unseal(key, context(r.location, "secret"), r.secret_sealed),
      };
      if (r.endpoint) options.endpoint = r.endpoint;
      if (r.session_token_sealed) {
        options.sessionToken = unseal(key, context(r.location, "token"), r.session_token_sealed);
      }
      return options;
    },
  };
}
