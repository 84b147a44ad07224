/**
 * Where certificates and ACME accounts live: the kernel database's
 * `certificates` and `acme_accounts` tables, private keys sealed with
 * AES-256-GCM under the data folder's secrets key (bound to their row), so
 * the database file alone never reveals a key. Restarts, backups and
 * upgrades keep them.
 *
 * @module
 */
import type { Database } from "../../store/database.ts";
import { seal, unseal } from "../secrets/sealing.ts";
import type { CertificateSource } from "./tls_service.ts";

/** A certificate row, its key opened. */
export interface StoredCertificate {
  /** The ID (an ACME certificate's host name; `manual:<names>` for the owner's). */
  id: string;
  /** The names it covers (or is being ordered for). */
  names: string[];
  /** Where it came from. */
  source: CertificateSource;
  /** The chain (PEM, leaf first); null while the first order is pending or failed. */
  certPem: string | null;
  /** The private key (PKCS#8 PEM); null without a certificate or when it cannot be opened. */
  keyPem: string | null;
  /** True when a key is stored but does not open with this data folder's secrets key. */
  keyUnreadable: boolean;
  /** The issuer's name. */
  issuer: string | null;
  /** Validity start (ms). */
  notBefore: number | null;
  /** Expiry (ms). */
  notAfter: number | null;
  /** The last order's error, null after a success. */
  lastError: string | null;
  /** When it happened (ms). */
  lastErrorAt: number | null;
  /** Next attempt after a failure (ms). */
  retryAt: number | null;
  /** Failed orders in a row (drives the backoff). */
  failures: number;
  /** Last change (ms). */
  updatedAt: number;
}

/** A certificate obtained or brought, to store. */
export interface NewCertificate {
  /** Its ID. */
  id: string;
  /** Its names. */
  names: string[];
  /** Where it came from. */
  source: CertificateSource;
  /** The chain, PEM. */
  certPem: string;
  /** The key, PKCS#8 PEM. */
  keyPem: string;
  /** Issuer name. */
  issuer: string | null;
  /** Validity start (ms). */
  notBefore: number;
  /** Expiry (ms). */
  notAfter: number;
}

/** A failed order, to store. */
export interface OrderFailure {
  /** The certificate's ID. */
  id: string;
  /** The names ordered. */
  names: string[];
  /** What went wrong, for the owner. */
  error: string;
  /** When (ms). */
  at: number;
  /** When to try again (ms). */
  retryAt: number;
  /** Failed orders in a row, this one included. */
  failures: number;
}

/** An ACME account, its key opened. */
export interface StoredAccount {
  /** The account key as private JWK text. */
  keyJwk: string;
  /** The account URL, once registered. */
  accountUrl: string | null;
}

/** Certificate and account storage. */
export interface CertStore {
  /** Every certificate row. */
  all(): StoredCertificate[];
  /** One row by ID. */
  get(id: string): StoredCertificate | null;
  /** Stores a certificate (replacing the row with its ID) and clears its error. */
  saveCertificate(cert: NewCertificate): Promise<StoredCertificate>;
  /** Records a failed order; a stored certificate stays. */
  saveFailure(failure: OrderFailure): Promise<StoredCertificate>;
  /** Deletes a row; false when there was none. */
  remove(id: string): Promise<boolean>;
  /** The account for a directory URL, null when none is stored or its key does not open. */
  account(directoryUrl: string): StoredAccount | null;
  /** Stores (or replaces) the account for a directory URL. */
  saveAccount(directoryUrl: string, account: StoredAccount): Promise<void>;
}

/** Options for {@linkcode createCertStore}. */
export interface CertStoreOptions {
  /** The kernel database (schema 6 or later). */
  db: Database;
  /** The data folder's 32-byte secrets key. */
  key: Uint8Array;
  /** Clock, for tests. */
  now?: () => number;
}

interface Row {
  id: string;
  names: string;
  source: CertificateSource;
  cert_pem: string | null;
  key_sealed: Uint8Array | null;
  issuer: string | null;
  not_before: number | null;
  not_after: number | null;
  last_error: string | null;
  last_error_at: number | null;
  retry_at: number | null;
  failures: number;
  updated_at: number;
}

const COLUMNS =
  "id, names, source, cert_pem, key_sealed, issuer, not_before, not_after, last_error, last_error_at, retry_at, failures, updated_at";

/** The sealing context of a certificate's key. */
function certificateContext(id: string): string {
  return `tls-certificate:${id}`;
}

/** The sealing context of an account's key. */
function accountContext(directoryUrl: string): string {
  return `acme-account:${directoryUrl}`;
}

/** Creates the certificate store. */
export function createCertStore(options: CertStoreOptions): CertStore {
  const { db, key } = options;
  const now = options.now ?? Date.now;

  function open(row: Row): StoredCertificate {
    let keyPem: string | null = null;
    let keyUnreadable = false;
    if (row.key_sealed) {
      try {
        keyPem = unseal(key, certificateContext(row.id), row.key_sealed);
      } catch {
        keyUnreadable = true;
      }
    }
    return {
      id: row.id,
      names: JSON.parse(row.names),
      source: row.source,
      certPem: row.cert_pem,
      keyPem,
      keyUnreadable,
      issuer: row.issuer,
      notBefore: row.not_before,
      notAfter: row.not_after,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      retryAt: row.retry_at,
      failures: row.failures,
      updatedAt: row.updated_at,
    };
  }

  return {
    all() {
      return (db.read.prepare(`SELECT ${COLUMNS} FROM certificates ORDER BY id`)
        .all() as unknown as Row[]).map(open);
    },
    get(id) {
      const row = db.read.prepare(`SELECT ${COLUMNS} FROM certificates WHERE id = ?`).get(id) as
        | Row
        | undefined;
      return row ? open(row) : null;
    },
    async saveCertificate(c) {
      const row = await db.write((w) =>
        w.prepare(
          `INSERT INTO certificates (id, names, source, cert_pem, key_sealed, issuer, not_before, not_after,
             last_error, last_error_at, retry_at, failures, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, 0, ?)
           ON CONFLICT (id) DO UPDATE SET names = excluded.names, source = excluded.source,
             cert_pem = excluded.cert_pem, key_sealed = excluded.key_sealed, issuer = excluded.issuer,
             not_before = excluded.not_before, not_after = excluded.not_after, last_error = NULL,
             last_error_at = NULL, retry_at = NULL, failures = 0, updated_at = excluded.updated_at
           RETURNING ${COLUMNS}`,
        ).get(
          c.id,
          JSON.stringify(c.names),
          c.source,
          c.certPem,
          seal(key, certificateContext(c.id), c.keyPem),
          c.issuer,
          c.notBefore,
          c.notAfter,
          now(),
        ) as unknown as Row
      );
      return open(row);
    },
    async saveFailure(f) {
      const row = await db.write((w) =>
        w.prepare(
          `INSERT INTO certificates (id, names, source, last_error, last_error_at, retry_at, failures, updated_at)
           VALUES (?, ?, 'acme', ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET last_error = excluded.last_error,
             last_error_at = excluded.last_error_at, retry_at = excluded.retry_at,
             failures = excluded.failures, updated_at = excluded.updated_at
           RETURNING ${COLUMNS}`,
        ).get(
          f.id,
          JSON.stringify(f.names),
          f.error,
          f.at,
          f.retryAt,
          f.failures,
          now(),
        ) as unknown as Row
      );
      return open(row);
    },
    async remove(id) {
      return await db.write((w) =>
        Number(w.prepare("DELETE FROM certificates WHERE id = ?").run(id).changes) > 0
      );
    },
    account(directoryUrl) {
      const row = db.read.prepare(
        "SELECT key_sealed, account_url FROM acme_accounts WHERE directory_url = ?",
      ).get(directoryUrl) as { key_sealed: Uint8Array; account_url: string | null } | undefined;
      if (!row) return null;
      try {
        return {
          keyJwk: unseal(key, accountContext(directoryUrl), row.key_sealed),
          accountUrl: row.account_url,
        };
      } catch {
        return null;
      }
    },
    async saveAccount(directoryUrl, account) {
      const t = now();
      await db.write((w) =>
        w.prepare(
          `INSERT INTO acme_accounts (directory_url, key_sealed, account_url, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (directory_url) DO UPDATE SET key_sealed = excluded.key_sealed,
             account_url = excluded.account_url, updated_at = excluded.updated_at`,
        ).run(
          directoryUrl,
          seal(key, accountContext(directoryUrl), account.keyJwk),
          account.accountUrl,
          t,
          t,
        )
      );
    },
  };
}
