/**
 * An app's blobs (`fazt.blobs`): their paths, media types, sizes and when
 * they were written (optionally by prefix, 100 at a time with "Load more",
 * `data.blobs_list`), each downloadable (`data.blobs_get`, an attachment)
 * and deletable after a confirmation (`data.blobs_delete`).
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call, downloadUrl, type Output } from "../../../api.ts";
import { ago, dateTime, formatBytes } from "../../../lib/format.ts";
import { useAction } from "../../../lib/use_action.ts";
import { Confirm } from "../../../components/confirm.tsx";
import { Empty } from "../../../components/empty.tsx";
import { ErrorNote } from "../../../components/error_note.tsx";
import { TextField } from "../../../components/form.tsx";
import { Loading } from "../../../components/loading.tsx";
import { type Column, RowButton, Table } from "../../../components/table.tsx";
import { toast } from "../../../components/toasts.tsx";

type Blob = Output<"data.blobs_list">[number];

/** How many blobs a page lists. */
const PAGE = 100;

/** The blob browser of app `app` (name or ID). */
export function BlobsView({ app }: { app: string }): VNode {
  const [prefix, setPrefix] = useState("");
  const [blobs, setBlobs] = useState<{ list: Blob[]; more: boolean }>();
  const [deleting, setDeleting] = useState<Blob>();
  const load = useAction(async (after?: string) => {
    const next = await call("data.blobs_list", { app, prefix, after, limit: PAGE });
    setBlobs((prev) => ({
      list: after && prev ? [...prev.list, ...next] : next,
      more: next.length === PAGE,
    }));
  });

  useEffect(() => {
    load.run();
  }, [app]);

  const columns: Column<Blob>[] = [
    { label: "Path", cell: (b) => <span class="mono">{b.path}</span> },
    { label: "Type", cell: (b) => <span class="mono small">{b.type}</span> },
    { label: "Size", num: true, cell: (b) => formatBytes(b.size) },
    {
      label: "Written",
      cell: (b) => (
        <time dateTime={b.updatedAt} title={dateTime(b.updatedAt)}>{ago(b.updatedAt)}</time>
      ),
    },
    {
      label: "Actions",
      actions: true,
      cell: (b) => (
        <span class="row">
          <a
            class="btn btn-small"
            href={downloadUrl("data.blobs_get", { app, path: b.path })}
            download
            aria-label={`Download blob ${b.path}`}
          >
            Download
          </a>
          <RowButton
            label="Delete"
            name={`Delete blob ${b.path}`}
            onClick={() => setDeleting(b)}
          />
        </span>
      ),
    },
  ];

  return (
    <div class="stack">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          load.run();
        }}
      >
        <TextField
          id="blob-prefix"
          label="Path prefix"
          inline
          class="mono"
          value={prefix}
          spellcheck={false}
          onValue={setPrefix}
        />
        <button type="submit" class="btn btn-small">List blobs</button>
      </form>
      <ErrorNote error={load.error} title="Could not list the blobs" />
      {load.busy && !blobs && <Loading />}
      {blobs && blobs.list.length === 0 && (
        <Empty title="No blobs">
          {prefix
            ? `No blob path starts with “${prefix}”.`
            : "This app has stored no files with fazt.blobs yet."}
        </Empty>
      )}
      {blobs && blobs.list.length > 0 && (
        <div class="card card-flush">
          <Table caption="Blobs" columns={columns} rows={blobs.list} rowKey={(b) => b.path} />
          {blobs.more && (
            <div class="card-foot">
              <button
                type="button"
                class="btn btn-small"
                disabled={load.busy}
                onClick={() => load.run(blobs.list[blobs.list.length - 1].path)}
              >
                Load more
              </button>
            </div>
          )}
        </div>
      )}
      {deleting && (
        <Confirm
          title={`Delete the blob ${deleting.path}?`}
          confirmLabel="Delete blob"
          danger
          onConfirm={async () => {
            await call("data.blobs_delete", { app, path: deleting.path });
            toast(`Deleted ${deleting.path}.`);
            await load.run();
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>
            Its {formatBytes(deleting.size)} are removed for good; the app reads null for it.
          </p>
        </Confirm>
      )}
    </div>
  );
}
