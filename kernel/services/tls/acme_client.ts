/**
 * An ACME client (RFC 8555) on Web Crypto and `fetch`: an ES256 account
 * key (JWS signed with `jwk` on registration, `kid` afterwards), nonces with
 * one retry on `badNonce`, new orders, HTTP-01 challenges only, polling that
 * respects `Retry-After` within a bounded time, finalization with a CSR and
 * the PEM chain's download. Every request has a timeout and verifies the
 * server's certificate (extra trusted CAs may be given, verification is
 * never turned off). Every failure is a `FaztError` that names the step and
 * carries the CA's problem `detail`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type ErrorCode, FaztError } from "../../core/errors.ts";
import { createCsr } from "./csr.ts";

/** Makes the HTTP listener answer HTTP-01 validation requests while an order waits on them. */
export interface Http01Responder {
  /** `GET /.well-known/acme-challenge/<token>` answers `keyAuthorization` from now on. */
  add(token: string, keyAuthorization: string): void;
  /** Stops answering for `token`. */
  remove(token: string): void;
}

/** Options for {@linkcode createAcmeClient}. */
export interface AcmeClientOptions {
  /** The CA's directory URL. */
  directoryUrl: string;
  /** The account key (ECDSA P-256, from {@linkcode generateAccountKey} or {@linkcode importAccountKey}). */
  accountKey: CryptoKeyPair;
  /** The account's URL when this key was registered before (skips the registration). */
  accountUrl?: string | null;
  /** Contact email given at registration. */
  email?: string;
  /** Extra CA certificates (PEM) trusted for the ACME server, besides the system's. */
  caCerts?: readonly string[];
  /** Timeout of each request (ms; default 15 s). */
  requestTimeoutMs?: number;
  /** How long an order may take from the new order to the download (ms; default 2 min). */
  orderTimeoutMs?: number;
  /** Aborts every request and wait (shutdown). */
  signal?: AbortSignal;
  /** Called (and awaited) with the account URL whenever the key is (re)registered. */
  onAccount?: (accountUrl: string) => void | Promise<void>;
}

/** An ACME client bound to one directory and account. */
export interface AcmeClient {
  /** The account URL, registering the key (terms of service agreed) on first use. */
  account(): Promise<string>;
  /**
   * Orders a certificate for `names`, answers each HTTP-01 challenge
   * through `responder`, finalizes with a CSR signed by `certificateKey` and
   * returns the chain (PEM, leaf first).
   */
  issue(
    names: readonly string[],
    certificateKey: CryptoKeyPair,
    responder: Http01Responder,
  ): Promise<string>;
  /** Releases the HTTP client. */
  close(): void;
}

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ES256 = { name: "ECDSA", hash: "SHA-256" } as const;
const PROBLEM = "urn:ietf:params:acme:error:";
const MAX_DETAIL = 500;

/** Base64url without padding (JWS, RFC 7515). */
export function base64url(data: Uint8Array | string): string {
  return Buffer.from(typeof data === "string" ? new TextEncoder().encode(data) : data)
    .toString("base64url");
}

/** A new ES256 account key. */
export function generateAccountKey(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
}

/** The account key as private JWK text, for sealed storage. */
export async function exportAccountKey(keys: CryptoKeyPair): Promise<string> {
  return JSON.stringify(await crypto.subtle.exportKey("jwk", keys.privateKey));
}

/** The account key back from {@linkcode exportAccountKey}'s text. */
export async function importAccountKey(jwkText: string): Promise<CryptoKeyPair> {
  const jwk = JSON.parse(jwkText) as JsonWebKey;
  const privateKey = await crypto.subtle.importKey("jwk", jwk, EC_P256, true, ["sign"]);
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    EC_P256,
    true,
    ["verify"],
  );
  return { privateKey, publicKey };
}

/** The public key's JWK thumbprint (RFC 7638, SHA-256, base64url). */
export async function jwkThumbprint(publicKey: CryptoKey): Promise<string> {
  const jwk = await crypto.subtle.exportKey("jwk", publicKey);
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return base64url(new Uint8Array(digest));
}

interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
}

interface Problem {
  type?: string;
  detail?: string;
  subproblems?: { detail?: string; identifier?: { value?: string } }[];
}

interface Order {
  status: string;
  authorizations?: string[];
  finalize?: string;
  certificate?: string;
  error?: Problem;
}

interface Challenge {
  type: string;
  url: string;
  token: string;
  status: string;
  error?: Problem;
}

interface Authorization {
  status: string;
  identifier?: { value?: string };
  challenges?: Challenge[];
}

function problemText(problem: Problem): string {
  const parts = [problem.detail ?? problem.type ?? "no detail given"];
  for (const sub of problem.subproblems ?? []) {
    if (sub.detail) {
      parts.push(sub.identifier?.value ? `${sub.identifier.value}: ${sub.detail}` : sub.detail);
    }
  }
  const text = parts.join("; ");
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

function retryAfterMs(res: Response, now: number): number | null {
  const value = res.headers.get("retry-after");
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Creates an ACME client. */
export function createAcmeClient(options: AcmeClientOptions): AcmeClient {
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const orderTimeoutMs = options.orderTimeoutMs ?? 120_000;
  const origin = new URL(options.directoryUrl).origin;
  const httpClient = options.caCerts?.length
    ? Deno.createHttpClient({ caCerts: [...options.caCerts] })
    : undefined;
  let directory: Promise<Directory> | null = null;
  let nonce: string | null = null;
  let kid: string | null = options.accountUrl ?? null;
  let registering: Promise<string> | null = null;
  let publicJwk: Promise<JsonWebKey> | null = null;
  let thumbprint: Promise<string> | null = null;

  function fail(code: ErrorCode, message: string, step: string, cause?: unknown): FaztError {
    return new FaztError(code, message, { details: { step, acmeServer: origin }, cause });
  }

  function cancelled(step: string): FaztError {
    return fail(
      "unavailable",
      `The ACME request (${step}) was cancelled: fazt is shutting down.`,
      step,
    );
  }

  /** One HTTP exchange; network failures and timeouts become FaztErrors naming the step. */
  async function send(step: string, url: string, init: RequestInit): Promise<Response> {
    if (options.signal?.aborted) throw cancelled(step);
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    try {
      return await fetch(url, { ...init, signal, ...(httpClient ? { client: httpClient } : {}) });
    } catch (err) {
      if (options.signal?.aborted) throw cancelled(step);
      if (timeout.aborted) {
        throw fail(
          "gateway_timeout",
          `The ACME server at ${origin} did not answer ${step} within ${
            requestTimeoutMs / 1000
          } s.`,
          step,
          err,
        );
      }
      const reason = err instanceof Error
        ? (err.cause instanceof Error ? err.cause.message : err.message)
        : String(err);
      const hint = /certificate|UnknownIssuer/i.test(reason)
        ? " If the ACME server uses a private CA, trust that CA's certificate (--acme-ca)."
        : "";
      throw fail(
        "bad_gateway",
        `Could not reach the ACME server at ${origin} for ${step}: ${reason}${hint}`,
        step,
        err,
      );
    }
  }

  /** The body as text; a timeout or cut connection while reading it becomes a FaztError. */
  async function bodyText(step: string, res: Response): Promise<string> {
    try {
      return await res.text();
    } catch (err) {
      if (options.signal?.aborted) throw cancelled(step);
      throw fail(
        "bad_gateway",
        `The ACME server at ${origin} did not send its whole answer to ${step}: ${
          err instanceof Error ? err.message : String(err)
        }`,
        step,
        err,
      );
    }
  }

  async function readJson<T>(step: string, res: Response): Promise<T> {
    const text = await bodyText(step, res);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw fail(
        "bad_gateway",
        `The ACME server at ${origin} sent an answer to ${step} that is not JSON (HTTP ${res.status}).`,
        step,
        err,
      );
    }
  }

  async function problemOf(res: Response): Promise<Problem> {
    const text = await res.text().catch(() => "");
    try {
      const parsed = JSON.parse(text) as Problem;
      if (parsed && typeof parsed === "object") return parsed;
    } catch {
      // Not a problem document: report the status and the start of the body.
    }
    return { detail: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}` };
  }

  function refused(step: string, problem: Problem, status?: number): FaztError {
    const rateLimited = problem.type === `${PROBLEM}rateLimited`;
    return new FaztError(
      rateLimited ? "rate_limited" : "bad_gateway",
      `The ACME server refused ${step}: ${problemText(problem)}`,
      {
        details: {
          step,
          acmeServer: origin,
          ...(problem.type ? { problem: problem.type } : {}),
          ...(status ? { status } : {}),
        },
      },
    );
  }

  function getDirectory(): Promise<Directory> {
    directory ??= (async () => {
      const step = "the directory request";
      const res = await send(step, options.directoryUrl, {
        headers: { accept: "application/json" },
      });
      if (!res.ok) throw refused(step, await problemOf(res), res.status);
      const dir = await readJson<Partial<Directory>>(step, res);
      if (!dir.newNonce || !dir.newAccount || !dir.newOrder) {
        throw fail(
          "bad_gateway",
          `${options.directoryUrl} is not an ACME directory (no newNonce, newAccount or newOrder). Check the ACME directory URL.`,
          step,
        );
      }
      return dir as Directory;
    })();
    directory.catch(() => directory = null);
    return directory;
  }

  async function takeNonce(step: string): Promise<string> {
    if (nonce !== null) {
      const n = nonce;
      nonce = null;
      return n;
    }
    const dir = await getDirectory();
    const res = await send(step, dir.newNonce, { method: "HEAD" });
    await res.body?.cancel();
    const fresh = res.headers.get("replay-nonce");
    if (!fresh) {
      throw fail("bad_gateway", `The ACME server at ${origin} gave no nonce for ${step}.`, step);
    }
    return fresh;
  }

  async function jws(url: string, payload: unknown, useJwk: boolean, n: string): Promise<string> {
    publicJwk ??= crypto.subtle.exportKey("jwk", options.accountKey.publicKey);
    const jwk = await publicJwk;
    const header = base64url(JSON.stringify({
      alg: "ES256",
      nonce: n,
      url,
      ...(useJwk ? { jwk: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } } : { kid }),
    }));
    const body = payload === null ? "" : base64url(JSON.stringify(payload));
    const signature = await crypto.subtle.sign(
      ES256,
      options.accountKey.privateKey,
      new TextEncoder().encode(`${header}.${body}`),
    );
    return JSON.stringify({
      protected: header,
      payload: body,
      signature: base64url(new Uint8Array(signature)),
    });
  }

  /**
   * A signed POST (`payload` null: POST-as-GET). Retries once on `badNonce`
   * and once, after registering again, when the CA no longer knows the account.
   */
  async function post(
    step: string,
    url: string,
    payload: unknown,
    accept = "application/json",
    useJwk = false,
  ): Promise<Response> {
    let nonceRetried = false;
    let accountRetried = false;
    for (;;) {
      if (!useJwk && kid === null) await account();
      const body = await jws(url, payload, useJwk, await takeNonce(step));
      const res = await send(step, url, {
        method: "POST",
        headers: { "content-type": "application/jose+json", accept },
        body,
      });
      const replay = res.headers.get("replay-nonce");
      if (replay) nonce = replay;
      if (res.ok) return res;
      const problem = await problemOf(res);
      if (problem.type === `${PROBLEM}badNonce` && !nonceRetried) {
        nonceRetried = true;
        continue;
      }
      if (problem.type === `${PROBLEM}accountDoesNotExist` && !useJwk && !accountRetried) {
        accountRetried = true;
        kid = null;
        continue;
      }
      throw refused(step, problem, res.status);
    }
  }

  function account(): Promise<string> {
    if (kid !== null) return Promise.resolve(kid);
    registering ??= (async () => {
      const step = "the account registration";
      const dir = await getDirectory();
      const payload = {
        termsOfServiceAgreed: true,
        ...(options.email ? { contact: [`mailto:${options.email}`] } : {}),
      };
      const res = await post(step, dir.newAccount, payload, "application/json", true);
      const url = res.headers.get("location");
      const body = await readJson<{ status?: string }>(step, res);
      if (!url) throw fail("bad_gateway", `The ACME server gave no account URL for ${step}.`, step);
      if (body.status && body.status !== "valid") {
        throw fail(
          "bad_gateway",
          `The ACME account for this key is ${body.status}; remove it from fazt's store to register a new one.`,
          step,
        );
      }
      kid = url;
      await options.onAccount?.(url);
      return url;
    })().finally(() => registering = null);
    return registering;
  }

  function sleep(ms: number, step: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelled(step));
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** POST-as-GETs `url` until `settled` says so, waiting as the CA asks, until `deadline`. */
  async function poll<T>(
    step: string,
    url: string,
    settled: (body: T) => boolean,
    deadline: number,
  ): Promise<T> {
    let delay = 100;
    for (;;) {
      const res = await post(step, url, null);
      const body = await readJson<T>(step, res);
      if (settled(body)) return body;
      const now = Date.now();
      if (now >= deadline) {
        throw fail(
          "gateway_timeout",
          `The ACME server did not finish ${step} within ${
            orderTimeoutMs / 1000
          } s; fazt will try again later.`,
          step,
        );
      }
      const wait = Math.min(retryAfterMs(res, now) ?? delay, deadline - now);
      delay = Math.min(delay * 2, 5_000);
      await sleep(wait, step);
    }
  }

  async function authorize(
    authzUrl: string,
    deadline: number,
    responder: Http01Responder,
  ): Promise<void> {
    const authz = await readJson<Authorization>(
      "an authorization",
      await post("an authorization", authzUrl, null),
    );
    const name = authz.identifier?.value ?? "a name";
    if (authz.status === "valid") return;
    const step = `the HTTP-01 challenge for ${name}`;
    if (authz.status !== "pending") {
      throw fail(
        "bad_gateway",
        `The ACME server's authorization for ${name} is ${authz.status}.`,
        step,
      );
    }
    const challenge = authz.challenges?.find((c) => c.type === "http-01");
    if (!challenge) {
      throw fail(
        "bad_gateway",
        `The ACME server offers no HTTP-01 challenge for ${name} (fazt only answers HTTP-01).`,
        step,
      );
    }
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(challenge.token)) {
      throw fail(
        "bad_gateway",
        `The ACME server sent a malformed HTTP-01 token for ${name}.`,
        step,
      );
    }
    thumbprint ??= jwkThumbprint(options.accountKey.publicKey);
    responder.add(challenge.token, `${challenge.token}.${await thumbprint}`);
    try {
      if (challenge.status === "pending") await post(step, challenge.url, {});
      const done = await poll<Authorization>(
        step,
        authzUrl,
        (a) => a.status !== "pending",
        deadline,
      );
      if (done.status !== "valid") {
        const failed = done.challenges?.find((c) => c.type === "http-01")?.error;
        throw refused(step, failed ?? { detail: `the authorization is ${done.status}` });
      }
    } finally {
      responder.remove(challenge.token);
    }
  }

  async function issue(
    names: readonly string[],
    certificateKey: CryptoKeyPair,
    responder: Http01Responder,
  ): Promise<string> {
    const label = names.join(", ");
    const deadline = Date.now() + orderTimeoutMs;
    const dir = await getDirectory();
    const orderStep = `the new order for ${label}`;
    const created = await post(orderStep, dir.newOrder, {
      identifiers: names.map((value) => ({ type: "dns", value })),
    });
    const orderUrl = created.headers.get("location");
    let order = await readJson<Order>(orderStep, created);
    if (!orderUrl || !order.finalize) {
      throw fail(
        "bad_gateway",
        `The ACME server's answer to ${orderStep} lacks the order's URLs.`,
        orderStep,
      );
    }
    for (const authzUrl of order.authorizations ?? []) {
      await authorize(authzUrl, deadline, responder);
    }

    const readyStep = `the order for ${label}`;
    order = await poll<Order>(readyStep, orderUrl, (o) => o.status !== "pending", deadline);
    if (order.status === "ready") {
      const finalizeStep = `the certificate request (finalize) for ${label}`;
      const csr = await createCsr(certificateKey, names);
      order = await readJson<Order>(
        finalizeStep,
        await post(finalizeStep, order.finalize!, { csr: base64url(csr) }),
      );
      order = await poll<Order>(
        finalizeStep,
        orderUrl,
        (o) => o.status !== "processing" && o.status !== "ready",
        deadline,
      );
    }
    if (order.status !== "valid" || !order.certificate) {
      throw refused(readyStep, order.error ?? { detail: `the order is ${order.status}` });
    }
    const downloadStep = `the certificate download for ${label}`;
    const pem = await bodyText(
      downloadStep,
      await post(downloadStep, order.certificate, null, "application/pem-certificate-chain"),
    );
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw fail(
        "bad_gateway",
        `The ACME server sent something other than a PEM chain for ${downloadStep}.`,
        downloadStep,
      );
    }
    return pem;
  }

  return {
    account,
    issue,
    close() {
      httpClient?.close();
    },
  };
}
