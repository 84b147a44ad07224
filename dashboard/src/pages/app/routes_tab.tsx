/**
 * The app page's routes tab: the addresses that serve the app (its own
 * name, aliases, the root domain `@`, and its custom domains, which the
 * domains page manages), adding one (`routes.add`) and removing one.
 *
 * @module
 */
import type { VNode } from "preact";
import { useMemo, useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { shortUrl } from "../../lib/format.ts";
import { useAction } from "../../lib/use_action.ts";
import { useOp } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { ExternalIcon } from "../../components/icons.tsx";
import { Link } from "../../components/link.tsx";
import { type Column, RowButton, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";
import type { TabProps } from "./tab.ts";

type RouteView = Output<"routes.list">[number];

function Address({ url }: { url: string }): VNode {
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {shortUrl(url)}
      <ExternalIcon />
    </a>
  );
}

/** The routes tab. */
export function RoutesTab({ app }: TabProps): VNode {
  const all = useOp("routes.list", {});
  const routes = useMemo(() => (all.data ?? []).filter((r) => r.appId === app.id), [all.data]);
  const allDomains = useOp("domains.list", {});
  const domains = (allDomains.data ?? []).filter((d) => d.appId === app.id);
  const [host, setHost] = useState("");
  const [removing, setRemoving] = useState<string>();

  const add = useAction(async () => {
    const r = await call("routes.add", { host: host.trim(), app: app.id });
    toast(`${shortUrl(r.url)} now serves ${app.name}.`);
    setHost("");
    await all.reload();
  });

  const columns: Column<RouteView>[] = [
    { label: "Address", cell: (r) => <Address url={r.url} /> },
    {
      label: "Kind",
      bare: true,
      class: "muted small",
      cell: (r) => r.host === "@" ? "Root domain" : "Alias",
    },
    {
      label: "Actions",
      actions: true,
      cell: (r) => (
        <RowButton
          label="Remove"
          name={`Remove route ${r.host}`}
          onClick={() => setRemoving(r.host)}
        />
      ),
    },
  ];

  return (
    <div class="stack-lg">
      <FormCard
        titleId="route-form-title"
        title="Add an address"
        intro={
          <>
            An alias serves this app on another subdomain too. Use <code>@</code>{" "}
            to serve it on the server's own domain. Names of your own are on the{" "}
            <Link href="/_fazt/domains">Domains</Link> page.
          </>
        }
        onSubmit={add.submit}
        error={add.error}
        errorTitle="Could not add the route"
      >
        <TextField
          id="route-host"
          label="Subdomain or @"
          required
          autoComplete="off"
          spellcheck={false}
          autoCapitalize="off"
          placeholder="journal"
          value={host}
          onValue={setHost}
        />
        <div class="form-end">
          <SubmitButton busy={add.busy} busyLabel="Adding…">Add route</SubmitButton>
        </div>
      </FormCard>
      <section class="card card-flush" aria-labelledby="routes-title">
        <div class="card-head">
          <h2 id="routes-title">Addresses</h2>
        </div>
        <ErrorNote error={all.error} title="Could not load the routes" />
        <Table
          caption={`Addresses of ${app.name}`}
          headless
          columns={columns}
          rows={routes}
          rowKey={(r) => r.host}
          before={
            <tr>
              <td data-label="Address">
                <Address url={app.url} />
              </td>
              <td class="muted small">Its name</td>
              <td />
            </tr>
          }
          after={domains.map((d) => (
            <tr key={d.domain}>
              <td data-label="Address">
                <Address url={d.url} />
              </td>
              <td class="muted small">Custom domain</td>
              <td class="num">
                <Link href="/_fazt/domains" aria-label={`Manage domain ${d.domain}`}>Manage</Link>
              </td>
            </tr>
          ))}
        />
      </section>
      {removing && (
        <Confirm
          title={`Remove the route ${removing}?`}
          confirmLabel="Remove route"
          danger
          onConfirm={async () => {
            await call("routes.remove", { host: removing });
            toast(`Route ${removing} removed.`);
            await all.reload();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>The app stays; only this address stops serving it.</p>
        </Confirm>
      )}
    </div>
  );
}
