/**
 * Operations on TLS certificates: the ones fazt obtained (ACME) and the
 * ones the owner brought (a wildcard, an internal CA's). They need HTTPS on;
 * while fazt serves plain HTTP each answers `conflict` saying so.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import type { CertificateInfo } from "../services/tls/tls_service.ts";
import {
  CertificateState,
  certificateStatus,
  CertificateView,
  certificateView,
  requireTls,
} from "./cert_view.ts";

/** The largest PEM text accepted for a certificate chain or a key (64 KiB each). */
export const MAX_PEM_CHARS = 64 * 1024;

const CertificateListItem = CertificateView.extend({
  state: CertificateState,
  status: z.string().describe("The certificate's status in a sentence."),
});

const pem = (what: string) =>
  z.string().min(1).max(MAX_PEM_CHARS).describe(`${what}, PEM text (at most 64 KiB).`);

/** `certs.list` */
export const listCerts = defineOperation({
  name: "certs.list",
  summary: "List certificates",
  description:
    "Lists the TLS certificates fazt holds (obtained by ACME or brought by the owner) and the orders pending or failing, with issuer, expiry, renewal and last error. Needs HTTPS on.",
  input: z.strictObject({}),
  output: z.array(CertificateListItem),
  access: "system:read",
  hints: { readOnly: true },
  http: { method: "GET", path: "/certs" },
  cli: { words: ["cert", "list"], columns: ["id", "source", "issuer", "status"] },
  handler: (_input, { services }) =>
    Promise.resolve(requireTls(services).list().map((c) => item(c))),
});

/** `certs.add` */
export const addCert = defineOperation({
  name: "certs.add",
  summary: "Add your own certificate",
  description:
    "Stores a certificate chain and its private key (PEM) that fazt then serves for the names it covers, before ordering any: a wildcard, or one from an internal CA. A certificate for the same names replaces the one added before. The key is encrypted at rest and never shown again. Needs HTTPS on.",
  input: z.strictObject({
    certPem: pem("The certificate, then its intermediates"),
    keyPem: pem("The private key"),
  }),
  output: CertificateListItem,
  access: "admin",
  hints: { idempotent: true },
  http: { method: "POST", path: "/certs", status: 201, maxBodyBytes: 4 * MAX_PEM_CHARS },
  cli: { words: ["cert", "add"], fileFlags: { cert: "certPem", key: "keyPem" } },
  handler: async ({ certPem, keyPem }, { services }) =>
    item(await requireTls(services).addManual(certPem, keyPem)),
});

/** `certs.remove` */
export const removeCert = defineOperation({
  name: "certs.remove",
  summary: "Remove a certificate",
  description:
    "Removes a certificate by ID. A name that fazt serves gets a new certificate ordered at its next HTTPS request. Needs HTTPS on.",
  input: z.strictObject({
    id: z.string().min(1).max(300).describe("The certificate's ID (`fazt cert list`)."),
  }),
  output: CertificateListItem,
  access: "admin",
  hints: { destructive: true },
  http: { method: "DELETE", path: "/certs/{id}" },
  cli: { words: ["cert", "rm"], positionals: ["id"] },
  handler: async ({ id }, { services }) => item(await requireTls(services).remove(id)),
});

function item(info: CertificateInfo): z.input<typeof CertificateListItem> {
  return { ...certificateView(info), ...certificateStatus(info, Date.now()) };
}

/** Every certificate operation. */
export const CERT_OPERATIONS = [listCerts, addCert, removeCert];
