/**
 * The TLS service ({@linkcode TlsService}): certificates held in memory for
 * the TLS hello's hot path (no database read per hello), the owner's
 * certificates first, then ACME ones; a name fazt serves but has no
 * certificate for gets one ordered on demand, one order per name (every
 * concurrent hello awaits it), within the order limiter; a failed order
 * backs off (doubling from `retryBaseMs` to an hour) and the name gets no
 * new order until then. ACME certificates are renewed at two thirds of
 * their lifetime; the old pair serves until the new one replaces it.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import type { Database } from "../../store/database.ts";
import {
  type AcmeClient,
  createAcmeClient,
  exportAccountKey,
  generateAccountKey,
  type Http01Responder,
  importAccountKey,
} from "./acme_client.ts";
import { createCertStore, type StoredCertificate } from "./cert_store.ts";
import { checkManualCertificate, pkcs8Pem, readChain } from "./certificate_pem.ts";
import { createOrderLimiter, DEFAULT_ORDER_LIMITS, type OrderLimits } from "./order_limiter.ts";
import type {
  CertificateInfo,
  CertificateKeyPair,
  CertificateSource,
  TlsService,
} from "./tls_service.ts";

/** Longest wait between failed orders of a name (ms). */
export const MAX_RETRY_MS = 3_600_000;

/** Longest single timer (ms): Deno fires a timeout above 2^31-1 ms at once, so long waits go in slices. */
const TIMER_SLICE_MS = 86_400_000;

/** Options for {@linkcode createTlsService}. */
export interface TlsServiceOptions {
  /** The kernel database (schema 6 or later). */
  db: Database;
  /** The data folder's 32-byte secrets key (seals private keys). */
  key: Uint8Array;
  /** The ACME directory URL (Let's Encrypt's, a staging or private CA's). */
  directoryUrl: string;
  /** Contact email for the ACME account. */
  email?: string;
  /** Extra CA certificates (PEM) trusted for the ACME server. */
  acmeCaPem?: readonly string[];
  /** Whether fazt serves `name` (a routed app host or the admin host): only those are ordered. */
  allowed(name: string): boolean;
  /** Where orders, renewals and failures are reported. */
  log(level: "info" | "warn" | "error", message: string): void;
  /** Clock, for tests. */
  now?: () => number;
  /** First wait after a failed order (ms; default 5 s), doubling up to an hour. */
  retryBaseMs?: number;
  /** Order limits (default {@linkcode DEFAULT_ORDER_LIMITS}). */
  limits?: Partial<OrderLimits>;
}

interface Entry {
  id: string;
  names: string[];
  source: CertificateSource;
  pair: CertificateKeyPair | null;
  issuer: string | null;
  notBefore: number | null;
  notAfter: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  retryAt: number | null;
  failures: number;
  /** Not renewed before this (ms): after an issuance (against a renewal loop when clocks disagree), or a day after a renewal found the name no longer served. */
  quietUntil: number;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lowercase, without a trailing dot: how names are compared. */
function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * Whether a CA could issue for `name` by HTTP-01: a DNS name with a dot,
 * valid labels, no wildcard, not an IP literal (numeric last label), not
 * `localhost`.
 */
export function isOrderableName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return false;
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return false;
  return labels[labels.length - 1] !== "localhost";
}

/** When an ACME certificate is renewed: at two thirds of its lifetime. */
export function renewalTime(notBefore: number, notAfter: number): number {
  return notBefore + Math.floor((notAfter - notBefore) * 2 / 3);
}

function manualId(names: readonly string[]): string {
  return `manual:${[...names].sort().join(",")}`;
}

function describe(err: unknown): string {
  if (err instanceof FaztError) return err.message;
  return `Unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.ceil(ms / 1000)} s`;
  return `${Math.ceil(ms / 60_000)} min`;
}

/** Creates the TLS service. */
export function createTlsService(options: TlsServiceOptions): TlsService {
  const now = options.now ?? Date.now;
  const retryBaseMs = options.retryBaseMs ?? 5_000;
  const store = createCertStore({ db: options.db, key: options.key, now });
  const limiter = createOrderLimiter({ ...DEFAULT_ORDER_LIMITS, ...options.limits }, now);
  const entries = new Map<string, Entry>();
  /** Manual certificates by the names (and wildcards) they cover: the best one each. */
  let manualByName = new Map<string, Entry>();
  const inflight = new Map<string, Promise<CertificateKeyPair | null>>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const answers = new Map<string, string>();
  const shutdown = new AbortController();
  let acme: Promise<AcmeClient> | null = null;
  let started = false;
  let closed = false;

  const responder: Http01Responder = {
    add: (token, keyAuthorization) => answers.set(token, keyAuthorization),
    remove: (token) => answers.delete(token),
  };

  function toEntry(row: StoredCertificate): Entry {
    let pair: CertificateKeyPair | null = null;
    if (row.certPem && row.keyPem && row.notAfter !== null) {
      pair = {
        certPem: row.certPem,
        keyPem: row.keyPem,
        version: readChain(row.certPem).facts.fingerprint,
        notAfter: row.notAfter,
      };
    }
    return {
      id: row.id,
      names: row.names,
      source: row.source,
      pair,
      issuer: row.issuer,
      notBefore: row.notBefore,
      notAfter: row.notAfter,
      lastError: row.lastError,
      lastErrorAt: row.lastErrorAt,
      retryAt: row.retryAt,
      failures: row.failures,
      quietUntil: 0,
    };
  }

  function info(e: Entry): CertificateInfo {
    return {
      id: e.id,
      names: [...e.names],
      source: e.source,
      issuer: e.issuer,
      notBefore: e.notBefore,
      notAfter: e.notAfter,
      renewAt: e.source === "acme" && e.notBefore !== null && e.notAfter !== null
        ? renewalTime(e.notBefore, e.notAfter)
        : null,
      lastError: e.lastError,
      lastErrorAt: e.lastErrorAt,
      retryAt: e.retryAt,
    };
  }

  /** A first order still in flight: nothing known yet. */
  function pendingInfo(name: string): CertificateInfo {
    return {
      id: name,
      names: [name],
      source: "acme",
      issuer: null,
      notBefore: null,
      notAfter: null,
      renewAt: null,
      lastError: null,
      lastErrorAt: null,
      retryAt: null,
    };
  }

  function indexManual(): void {
    const index = new Map<string, Entry>();
    for (const e of entries.values()) {
      if (e.source !== "manual" || e.pair === null) continue;
      for (const name of e.names) {
        const best = index.get(name);
        if (!best || e.pair.notAfter > best.pair!.notAfter) index.set(name, e);
      }
    }
    manualByName = index;
  }

  /** The manual certificate covering `name` (exact first, then a one-label wildcard). */
  function manualFor(name: string): Entry | null {
    const exact = manualByName.get(name);
    if (exact) return exact;
    const dot = name.indexOf(".");
    return (dot > 0 ? manualByName.get(`*.${name.slice(dot + 1)}`) : undefined) ?? null;
  }

  function isAllowed(name: string): boolean {
    try {
      return options.allowed(name);
    } catch (err) {
      options.log("error", `Could not decide whether fazt serves ${name}: ${describe(err)}`);
      return false;
    }
  }

  function client(): Promise<AcmeClient> {
    acme ??= (async () => {
      const stored = store.account(options.directoryUrl);
      const keyJwk = stored?.keyJwk ?? await exportAccountKey(await generateAccountKey());
      if (!stored) await store.saveAccount(options.directoryUrl, { keyJwk, accountUrl: null });
      const c = createAcmeClient({
        directoryUrl: options.directoryUrl,
        accountKey: await importAccountKey(keyJwk),
        accountUrl: stored?.accountUrl ?? null,
        email: options.email,
        caCerts: options.acmeCaPem,
        signal: shutdown.signal,
        onAccount: async (accountUrl) => {
          await store.saveAccount(options.directoryUrl, { keyJwk, accountUrl });
          options.log("info", `Registered the ACME account ${accountUrl}.`);
        },
      });
      try {
        await c.account();
      } catch (err) {
        c.close();
        throw err;
      }
      return c;
    })();
    acme.catch(() => acme = null);
    return acme;
  }

  function unschedule(id: string): void {
    const timer = timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    timers.delete(id);
  }

  /** Arms the renewal (or retry) timer of an ACME certificate, in slices of at most a day. */
  function schedule(e: Entry): void {
    unschedule(e.id);
    if (!started || closed || e.source !== "acme" || e.pair === null) return;
    const due = Math.max(renewalTime(e.notBefore!, e.notAfter!), e.retryAt ?? 0, e.quietUntil);
    const wait = Math.max(0, due - now());
    timers.set(
      e.id,
      setTimeout(() => {
        timers.delete(e.id);
        if (wait > TIMER_SLICE_MS) schedule(e);
        else renew(e.id);
      }, Math.min(wait, TIMER_SLICE_MS)),
    );
  }

  function renew(id: string): void {
    const e = entries.get(id);
    if (closed || !e || e.source !== "acme" || inflight.has(id)) return;
    if (!isAllowed(id)) {
      options.log(
        "info",
        `Not renewing the certificate for ${id} now: fazt no longer serves that name (remove the certificate to forget it; fazt asks again in a day).`,
      );
      e.quietUntil = now() + TIMER_SLICE_MS;
      schedule(e);
      return;
    }
    options.log("info", `Renewing the certificate for ${id}.`);
    startOrder(id);
  }

  async function order(name: string): Promise<CertificateKeyPair | null> {
    const t0 = performance.now();
    try {
      const keys = await crypto.subtle.generateKey(
        { name: "ECDSA", namedCurve: "P-256" },
        true,
        ["sign", "verify"],
      );
      const chain = await (await client()).issue([name], keys, responder);
      const read = readChain(chain);
      const stored = await store.saveCertificate({
        id: name,
        names: [name],
        source: "acme",
        certPem: read.chainPem,
        keyPem: pkcs8Pem(await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
        issuer: read.facts.issuer,
        notBefore: read.facts.notBefore,
        notAfter: read.facts.notAfter,
      });
      const e = toEntry(stored);
      const lifetime = read.facts.notAfter - read.facts.notBefore;
      e.quietUntil = now() + Math.min(Math.floor(lifetime / 3), MAX_RETRY_MS);
      entries.set(name, e);
      schedule(e);
      options.log(
        "info",
        `Obtained a certificate for ${name} from ${read.facts.issuer ?? "the CA"}, valid until ${
          new Date(read.facts.notAfter).toISOString()
        } (${Math.round(performance.now() - t0)} ms).`,
      );
      return e.pair;
    } catch (err) {
      const previous = entries.get(name);
      if (closed) return previous?.pair ?? null;
      const failures = (previous?.failures ?? 0) + 1;
      const wait = Math.min(retryBaseMs * 2 ** (failures - 1), MAX_RETRY_MS);
      const at = now();
      const message = describe(err);
      options.log(
        "error",
        `Could not obtain a certificate for ${name}: ${message} Next try in ${
          duration(wait)
        } at the earliest.`,
      );
      try {
        const stored = await store.saveFailure({
          id: name,
          names: previous?.names ?? [name],
          error: message,
          at,
          retryAt: at + wait,
          failures,
        });
        const e = toEntry(stored);
        entries.set(name, e);
        schedule(e);
      } catch (storeErr) {
        options.log(
          "error",
          `Could not record the failed order for ${name}: ${describe(storeErr)}`,
        );
      }
      return previous?.pair ?? null;
    }
  }

  function startOrder(name: string): Promise<CertificateKeyPair | null> {
    const running = limiter.run(() => closed ? Promise.resolve(null) : order(name))
      .finally(() => inflight.delete(name));
    inflight.set(name, running);
    return running;
  }

  for (const row of store.all()) {
    const again = row.source === "acme" ? "it will be ordered again" : "add it again";
    if (row.keyUnreadable) {
      options.log(
        "error",
        `The private key of certificate ${row.id} does not open with this data folder's secrets key; ${again}.`,
      );
    }
    try {
      entries.set(row.id, toEntry(row));
    } catch (err) {
      options.log(
        "error",
        `The stored certificate ${row.id} does not parse (${describe(err)}); ${again}.`,
      );
      entries.set(row.id, toEntry({ ...row, certPem: null, keyPem: null }));
    }
  }
  indexManual();

  return {
    certificateFor(serverName) {
      const name = normalize(serverName);
      const manual = manualFor(name);
      if (manual?.pair && manual.pair.notAfter > now()) return Promise.resolve(manual.pair);
      const e = entries.get(name);
      if (e?.source === "acme" && e.pair) return Promise.resolve(e.pair);
      const pending = inflight.get(name);
      if (pending) return pending;
      if (closed || !isOrderableName(name) || !isAllowed(name)) return Promise.resolve(null);
      if (e && e.retryAt !== null && e.retryAt > now()) return Promise.resolve(null);
      if (!limiter.admit()) {
        options.log(
          "warn",
          `Not ordering a certificate for ${name} now: the ACME order limit is reached; a later connection will try again.`,
        );
        return Promise.resolve(null);
      }
      return startOrder(name);
    },
    challengeAnswer(token) {
      return answers.get(token) ?? null;
    },
    list() {
      const pending = [...inflight.keys()].filter((name) => !entries.has(name)).map(pendingInfo);
      return [...[...entries.values()].map(info), ...pending]
        .sort((a, b) => a.id.localeCompare(b.id));
    },
    infoFor(serverName) {
      const name = normalize(serverName);
      const manual = manualFor(name);
      if (manual) return info(manual);
      const e = entries.get(name);
      if (e) return info(e);
      return inflight.has(name) ? pendingInfo(name) : null;
    },
    async addManual(certPem, keyPem) {
      const checked = checkManualCertificate(certPem, keyPem, now());
      const stored = await store.saveCertificate({
        id: manualId(checked.facts.names),
        names: checked.facts.names,
        source: "manual",
        certPem: checked.chainPem,
        keyPem: checked.keyPem,
        issuer: checked.facts.issuer,
        notBefore: checked.facts.notBefore,
        notAfter: checked.facts.notAfter,
      });
      const e = toEntry(stored);
      entries.set(e.id, e);
      indexManual();
      options.log("info", `Added the certificate for ${e.names.join(", ")} (ID ${e.id}).`);
      return info(e);
    },
    async remove(id) {
      const e = entries.get(id);
      if (!e) {
        throw new FaztError(
          "not_found",
          `No certificate has the ID "${id}". The certificate list shows every ID.`,
          { details: { id } },
        );
      }
      await store.remove(id);
      entries.delete(id);
      unschedule(id);
      indexManual();
      options.log("info", `Removed the certificate ${id}.`);
      return info(e);
    },
    start() {
      if (started || closed) return;
      started = true;
      for (const e of entries.values()) schedule(e);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const id of [...timers.keys()]) unschedule(id);
      shutdown.abort();
      await Promise.allSettled([...inflight.values()]);
      if (acme) await acme.then((c) => c.close(), () => {});
    },
  };
}
