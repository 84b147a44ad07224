/**
 * The certificates fazt holds (`certs.list`): the names each covers, where
 * it came from, its issuer, expiry and status, and a remove button for the
 * ones the owner brought (ACME ones renew themselves).
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { date } from "../../lib/format.ts";
import { type Column, RowButton, Table } from "../../components/table.tsx";
import { CertStatus } from "./cert_badge.tsx";

type Cert = Output<"certs.list">[number];

/** Props of {@linkcode CertTable}. */
export interface CertTableProps {
  /** The certificates. */
  certs: readonly Cert[];
  /** Called when the owner asks to remove a certificate they brought. */
  onRemove: (cert: Cert) => void;
}

/** The table of certificates. */
export function CertTable({ certs, onRemove }: CertTableProps): VNode {
  const columns: Column<Cert>[] = [
    {
      label: "Names",
      cell: (c) => (
        <div class="chips">{c.names.map((n) => <span key={n} class="chip">{n}</span>)}</div>
      ),
    },
    { label: "Source", cell: (c) => (c.source === "acme" ? "ACME" : "Your own") },
    { label: "Issuer", cell: (c) => c.issuer ?? <span class="muted">None yet</span> },
    { label: "Expires", cell: (c) => (c.notAfter ? date(c.notAfter) : "—") },
    { label: "Status", cell: (c) => <CertStatus state={c.state} status={c.status} /> },
    {
      label: "Actions",
      actions: true,
      cell: (c) =>
        c.source === "manual" && (
          <RowButton
            label="Remove"
            name={`Remove certificate ${c.id}`}
            onClick={() => onRemove(c)}
          />
        ),
    },
  ];
  return <Table caption="Certificates" columns={columns} rows={certs} rowKey={(c) => c.id} />;
}
