/**
 * How operations show certificates: the owner's view of a
 * `CertificateInfo` (times as ISO strings, never a key), and one status
 * for a name — active, pending, failing, expired, or HTTPS off — as a state
 * for programs and a sentence for people. Shared by the domain and
 * certificate operations.
 *
 * @module
 */
import { z } from "zod";
import { FaztError } from "../core/errors.ts";
import type { CertificateInfo, TlsService } from "../services/tls/tls_service.ts";
import type { Services } from "./services.ts";

const time = (what: string) => z.string().nullable().describe(`${what} (ISO time).`);

/** A certificate as operations show it. */
export const CertificateView = z.object({
  id: z.string().describe("The certificate's ID (for ACME certificates, the host name)."),
  names: z.array(z.string()).describe("The names it covers (`*.example.com` for a wildcard)."),
  source: z.enum(["acme", "manual"]).describe(
    "`acme`: obtained and renewed by fazt; `manual`: brought by the owner (`fazt cert add`).",
  ),
  issuer: z.string().nullable().describe("The issuer's common name or organization."),
  notBefore: time("Validity start; null while the first order is pending or failed"),
  notAfter: time("Expiry; null while the first order is pending or failed"),
  renewAt: time("When fazt renews it (ACME certificates only)"),
  lastError: z.string().nullable().describe("The last order's error; null after a success."),
  lastErrorAt: time("When that error happened"),
  retryAt: time("The next order attempt after a failure; null when none is planned"),
});

/** A certificate's state, for programs (the dashboard's badge). */
export const CertificateState = z.enum(["active", "pending", "failing", "expired", "off"]).describe(
  "`active`: a valid certificate; `pending`: none yet (the first HTTPS request orders it); `failing`: the last order failed; `expired`; `off`: HTTPS is off.",
);

/** What {@linkcode certificateStatus} says about a name's certificate. */
export interface CertificateStatus {
  /** The state. */
  state: z.infer<typeof CertificateState>;
  /** One sentence for people. */
  status: string;
}

/** The status of every name while fazt serves plain HTTP. */
export const HTTPS_OFF: CertificateStatus = {
  state: "off",
  status:
    "HTTPS is off (fazt serves plain HTTP; start it with --domain set to a public name, or --https on, to turn HTTPS on)",
};

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const minute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The owner's view of a certificate. */
export function certificateView(info: CertificateInfo): z.input<typeof CertificateView> {
  return {
    id: info.id,
    names: info.names,
    source: info.source,
    issuer: info.issuer,
    notBefore: iso(info.notBefore),
    notAfter: iso(info.notAfter),
    renewAt: iso(info.renewAt),
    lastError: info.lastError,
    lastErrorAt: iso(info.lastErrorAt),
    retryAt: iso(info.retryAt),
  };
}

/**
 * The status of a certificate at `now` (ms), or of a served name that has
 * none yet (`info` null: its first HTTPS request orders one).
 */
export function certificateStatus(info: CertificateInfo | null, now: number): CertificateStatus {
  if (!info) {
    return { state: "pending", status: "pending (the first HTTPS request orders its certificate)" };
  }
  const failing = info.lastError === null
    ? ""
    : `${info.lastError}${info.retryAt === null ? "" : ` (next try ${minute(info.retryAt)})`}`;
  if (info.notAfter === null) {
    return failing
      ? { state: "failing", status: `failing: ${failing}` }
      : { state: "pending", status: "pending (ordering its certificate)" };
  }
  if (info.notAfter <= now) {
    return {
      state: "expired",
      status: `expired on ${day(info.notAfter)}${failing ? `; renewal failing: ${failing}` : ""}`,
    };
  }
  const until = `active until ${day(info.notAfter)}`;
  if (failing) return { state: "failing", status: `${until}; renewal failing: ${failing}` };
  return {
    state: "active",
    status: info.source === "manual"
      ? `${until} (brought by the owner: replace it before then)`
      : `${until}${info.renewAt === null ? "" : ` (renews ${day(info.renewAt)})`}`,
  };
}

/** The TLS service, or `conflict` telling the owner that HTTPS is off. */
export function requireTls(services: Services): TlsService {
  if (services.tls) return services.tls;
  throw new FaztError(
    "conflict",
    "HTTPS is off: fazt serves plain HTTP and keeps no certificates. Start it with --domain set to a public name, or --https on, to turn HTTPS on.",
    { details: { https: false } },
  );
}
