/**
 * The apps page: every app with its logo, status, address, size, last deploy and
 * traffic, a filter once there are more than six, the drop zone that
 * deploys a new one, the form that imports one from a `.fazt` archive, and
 * the one that creates an empty app.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import type { Output } from "../../api.ts";
import { ago, count, dateTime, formatBytes } from "../../lib/format.ts";
import { appPath, navigate } from "../../lib/router.ts";
import { useOp } from "../../lib/use_op.ts";
import { AppUrl } from "../../components/app_url.tsx";
import { AppLogo } from "../../components/app_logo.tsx";
import { DeployZone } from "../../components/deploy_zone.tsx";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { TextField } from "../../components/form.tsx";
import { AppsIcon } from "../../components/icons.tsx";
import { Link } from "../../components/link.tsx";
import { Loading } from "../../components/loading.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { StatusBadge } from "../../components/status_badge.tsx";
import { type Column, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";
import { useAppDetails } from "./use_app_details.ts";
import { ImportForm } from "./import_form.tsx";
import { CreateForm } from "./create_form.tsx";

type AppView = Output<"apps.list">[number];

function columns(details: Record<string, Output<"apps.get">>): Column<AppView>[] {
  return [
    {
      label: "App",
      cell: (a) => (
        <div class="app-cell">
          <AppLogo app={a} size={32} />
          <div>
            <Link class="app-name" href={appPath(a.name)}>{a.name}</Link>
            <AppUrl url={a.url} />
            {a.title && <div class="muted small">{a.title}</div>}
          </div>
        </div>
      ),
    },
    { label: "Status", cell: (a) => <StatusBadge app={a} /> },
    {
      label: "Size",
      cell: (a) =>
        `${count(a.files)} ${a.files === 1 ? "file" : "files"} · ${formatBytes(a.bytes)}`,
    },
    {
      label: "Last deploy",
      cell: (a) => {
        const last = details[a.id]?.versions.find((v) => v.live)?.createdAt ?? a.updatedAt;
        return <time dateTime={last} title={dateTime(last)}>{ago(last)}</time>;
      },
    },
    {
      label: "Traffic 24 h",
      num: true,
      cell: (a) => {
        const t = details[a.id]?.traffic24h;
        return t ? `${count(t.requests)} req · ${formatBytes(t.bytesOut)}` : "…";
      },
    },
  ];
}

/** The apps page. */
export function AppsPage(): VNode {
  const list = useOp("apps.list", {});
  const details = useAppDetails(list.data);
  const [filter, setFilter] = useState("");

  const deployed = (out: Output<"apps.deploy">) => {
    toast(
      out.created
        ? `Created ${out.app.name}: version ${out.version.number} is live.`
        : `Deployed ${out.app.name}: version ${out.version.number} is live.`,
    );
    navigate(appPath(out.app.name));
  };

  const imported = (out: Output<"apps.import">) => {
    toast(`Imported ${out.app.name}${out.withData ? " with its data" : ""}.`);
    navigate(appPath(out.app.name));
  };

  const apps = list.data ?? [];
  const q = filter.trim().toLowerCase();
  const shown = q
    ? apps.filter((a) => a.name.includes(q) || (a.title ?? "").toLowerCase().includes(q))
    : apps;

  return (
    <>
      <PageHeader
        title="Apps"
        sub={list.data ? `${apps.length} ${apps.length === 1 ? "app" : "apps"}` : undefined}
      />
      {list.error && <ErrorNote error={list.error} title="Could not load the apps" />}
      {!list.data && !list.error && <Loading />}
      {list.data && apps.length === 0 && (
        <>
          <Empty title="No apps yet" icon={<AppsIcon />}>
            Drop a folder with an <code>index.html</code> below and it is live at its own address.
          </Empty>
          <DeployZone onDeployed={deployed} large />
        </>
      )}
      {list.data && apps.length > 0 && (
        <>
          <DeployZone onDeployed={deployed} />
          {apps.length > 6 && (
            <TextField
              id="app-filter"
              label="Filter apps"
              inline
              type="search"
              value={filter}
              placeholder="Name or title"
              onValue={setFilter}
            />
          )}
          <div class="card card-flush">
            <Table
              class="table-apps"
              caption="Apps"
              columns={columns(details)}
              rows={shown}
              rowKey={(a) => a.id}
              after={shown.length === 0 && (
                <tr>
                  <td colSpan={5} class="muted">No app matches “{filter}”.</td>
                </tr>
              )}
            />
          </div>
        </>
      )}
      {list.data && <ImportForm onImported={imported} />}
      {list.data && <CreateForm />}
    </>
  );
}
