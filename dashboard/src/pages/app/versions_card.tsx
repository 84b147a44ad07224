/**
 * An app's versions, newest first, with the button that makes an older one
 * live again (`apps.rollback`: instant, nothing is uploaded again).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { ago, count, dateTime, formatBytes } from "../../lib/format.ts";
import { useAction } from "../../lib/use_action.ts";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { type Column, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";
import type { AppDetail, TabProps } from "./tab.ts";

type Version = AppDetail["versions"][number];

/** The versions card. */
export function VersionsCard({ app, reload }: TabProps): VNode {
  const [target, setTarget] = useState<number>();
  const rollback = useAction(async (version: number) => {
    setTarget(version);
    try {
      await call("apps.rollback", { app: app.name, version });
      toast(`Version ${version} of ${app.name} is live.`);
      await reload();
    } finally {
      setTarget(undefined);
    }
  });
  const columns: Column<Version>[] = [
    {
      label: "Version",
      cell: (v) => (
        <>
          <strong>v{v.number}</strong> {v.live && <span class="badge badge-ok">Live</span>}
        </>
      ),
    },
    {
      label: "Deployed",
      cell: (v) => (
        <time dateTime={v.createdAt} title={dateTime(v.createdAt)}>{ago(v.createdAt)}</time>
      ),
    },
    {
      label: "Size",
      cell: (v) =>
        `${count(v.files)} ${v.files === 1 ? "file" : "files"} · ${formatBytes(v.bytes)}`,
    },
    {
      label: "Actions",
      actions: true,
      cell: (v) =>
        !v.live && (
          <button
            type="button"
            class="btn btn-small"
            disabled={rollback.busy}
            onClick={() => rollback.run(v.number)}
            aria-label={`Roll back to version ${v.number}`}
          >
            {target === v.number ? "Switching…" : `Make v${v.number} live`}
          </button>
        ),
    },
  ];
  return (
    <section class="card card-flush" aria-labelledby="versions-title">
      <div class="card-head">
        <h2 id="versions-title">Versions</h2>
        <p class="muted small">Rolling back is instant: nothing is uploaded again.</p>
      </div>
      <ErrorNote error={rollback.error} title="Rollback failed" />
      {app.versions.length === 0
        ? <Empty title="No versions yet">Deploy a folder above to create version 1.</Empty>
        : (
          <Table
            caption={`Versions of ${app.name}`}
            columns={columns}
            rows={app.versions}
            rowKey={(v) => v.number}
          />
        )}
    </section>
  );
}
