/**
 * The domains page: custom domains (your own names for apps) with their
 * certificates, adding and removing them; and the certificates fazt holds,
 * with the owner's own added and removed here. While HTTPS is off the page
 * says so instead of listing certificates.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { useOp } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { GlobeIcon, KeyIcon } from "../../components/icons.tsx";
import { Loading } from "../../components/loading.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { toast } from "../../components/toasts.tsx";
import { AddCertForm } from "./add_cert_form.tsx";
import { AddDomainForm } from "./add_domain_form.tsx";
import { CertTable } from "./cert_table.tsx";
import { DomainTable } from "./domain_table.tsx";

type Domain = Output<"domains.list">[number];
type Cert = Output<"certs.list">[number];

/**
 * The certificates card: the list, or why there is none (HTTPS off).
 * `onChange` runs after a certificate is added or removed (the domains'
 * statuses follow).
 */
function Certificates({ onChange }: { onChange: () => Promise<void> }): VNode {
  const list = useOp("certs.list", {});
  const [removing, setRemoving] = useState<Cert>();
  // The API answers `conflict` while fazt serves plain HTTP.
  const off = list.error?.code === "conflict";
  return (
    <>
      {list.data && (
        <AddCertForm
          onAdded={async () => {
            await list.reload();
            await onChange();
          }}
        />
      )}
      <section class="card card-flush" aria-labelledby="certs-title">
        <div class="card-head">
          <h2 id="certs-title">Certificates</h2>
        </div>
        {off
          ? (
            <Empty title="Certificates need HTTPS" icon={<KeyIcon />}>
              {list.error?.message}
            </Empty>
          )
          : <ErrorNote error={list.error} title="Could not load the certificates" />}
        {!list.data && !list.error && <Loading />}
        {list.data && list.data.length === 0 && (
          <Empty title="No certificates yet" icon={<KeyIcon />}>
            fazt orders one for each name at its first HTTPS request.
          </Empty>
        )}
        {list.data && list.data.length > 0 && (
          <CertTable
            certs={list.data}
            onRemove={setRemoving}
          />
        )}
      </section>
      {removing && (
        <Confirm
          title={`Remove the certificate for ${removing.names.join(", ")}?`}
          confirmLabel="Remove certificate"
          danger
          onConfirm={async () => {
            await call("certs.remove", { id: removing.id });
            toast("Certificate removed.");
            await list.reload();
            await onChange();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>Names it covered get a certificate ordered at their next HTTPS request.</p>
        </Confirm>
      )}
    </>
  );
}

/** The domains page. */
export function DomainsPage(): VNode {
  const list = useOp("domains.list", {});
  const apps = useOp("apps.list", {});
  const [removing, setRemoving] = useState<Domain>();

  return (
    <>
      <PageHeader
        title="Domains"
        sub="Serve apps on your own domain names, each with its certificate."
      />
      <div class="stack-lg">
        <AddDomainForm apps={apps.data} onAdded={list.reload} />
        <section class="card card-flush" aria-labelledby="domains-title">
          <div class="card-head">
            <h2 id="domains-title">Custom domains</h2>
          </div>
          <ErrorNote error={list.error} title="Could not load the domains" />
          {!list.data && !list.error && <Loading />}
          {list.data && list.data.length === 0 && (
            <Empty title="No custom domains" icon={<GlobeIcon />}>
              Add one above to serve an app on a name of your own.
            </Empty>
          )}
          {list.data && list.data.length > 0 && (
            <DomainTable domains={list.data} onRemove={setRemoving} />
          )}
        </section>
        <Certificates onChange={list.reload} />
      </div>
      {removing && (
        <Confirm
          title={`Remove the domain ${removing.domain}?`}
          confirmLabel="Remove domain"
          danger
          onConfirm={async () => {
            await call("domains.remove", { domain: removing.domain });
            toast(`${removing.domain} removed.`);
            await list.reload();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>The app {removing.app} stays; only this name stops serving it.</p>
        </Confirm>
      )}
    </>
  );
}
