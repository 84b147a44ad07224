/**
 * The custom domains (`domains.list`): each with its app, its certificate
 * (issuer and expiry) and its status (the last error included), and the
 * button that removes it.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { date } from "../../lib/format.ts";
import { appPath } from "../../lib/router.ts";
import { AppUrl } from "../../components/app_url.tsx";
import { Link } from "../../components/link.tsx";
import { type Column, RowButton, Table } from "../../components/table.tsx";
import { CertStatus } from "./cert_badge.tsx";

type Domain = Output<"domains.list">[number];

/** Props of {@linkcode DomainTable}. */
export interface DomainTableProps {
  /** The domains. */
  domains: readonly Domain[];
  /** Called when the owner asks to remove a domain. */
  onRemove: (domain: Domain) => void;
}

/** The table of custom domains. */
export function DomainTable({ domains, onRemove }: DomainTableProps): VNode {
  const columns: Column<Domain>[] = [
    { label: "Domain", cell: (d) => <AppUrl url={d.url} /> },
    { label: "App", cell: (d) => <Link href={appPath(d.app)}>{d.app}</Link> },
    {
      label: "Certificate",
      cell: (d) =>
        d.certificate
          ? (
            <div>
              {d.certificate.issuer ?? "Unknown issuer"}
              {d.certificate.notAfter && (
                <div class="muted small">expires {date(d.certificate.notAfter)}</div>
              )}
            </div>
          )
          : <span class="muted">None</span>,
    },
    { label: "Status", cell: (d) => <CertStatus state={d.state} status={d.status} /> },
    {
      label: "Actions",
      actions: true,
      cell: (d) => (
        <RowButton
          label="Remove"
          name={`Remove domain ${d.domain}`}
          onClick={() => onRemove(d)}
        />
      ),
    },
  ];
  return (
    <Table
      caption="Custom domains"
      columns={columns}
      rows={domains}
      rowKey={(d) => d.domain}
    />
  );
}
