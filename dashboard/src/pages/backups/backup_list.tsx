/**
 * The backups at one place (`backups.list`), newest first, and the form
 * that keeps only the newest few (`backups.prune`, after a confirmation).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { ago, dateTime, formatBytes } from "../../lib/format.ts";
import type { Loaded } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { TextField } from "../../components/form.tsx";
import { Loading } from "../../components/loading.tsx";
import { type Column, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";

type Backup = Output<"backups.list">[number];

const columns: Column<Backup>[] = [
  { label: "Backup", cell: (b) => <span class="mono small">{b.name}</span> },
  {
    label: "Taken",
    cell: (b) => (
      <time dateTime={b.createdAt} title={dateTime(b.createdAt)}>{ago(b.createdAt)}</time>
    ),
  },
  { label: "Size", num: true, cell: (b) => formatBytes(b.bytes) },
];

/** Props of {@linkcode BackupList}. */
export interface BackupListProps {
  /** The backups, loaded. */
  list: Loaded<Output<"backups.list">>;
  /** Where they are (`to`), or nothing for the data folder's backups/. */
  to: string | undefined;
}

/** The list of backups and the prune form. */
export function BackupList({ list, to }: BackupListProps): VNode {
  const [keep, setKeep] = useState("");
  const [pruning, setPruning] = useState(false);
  const backups = list.data;
  return (
    <section class="card card-flush" aria-labelledby="backups-title">
      <div class="card-head">
        <h2 id="backups-title">Backups</h2>
        <span class="muted small mono">{to ?? "the data folder's backups/"}</span>
      </div>
      <ErrorNote error={list.error} title="Could not list the backups" />
      {!backups && !list.error && <Loading />}
      {backups && backups.length === 0 && (
        <Empty title="No backups here yet">Back up now, or run fazt with --backup-every.</Empty>
      )}
      {backups && backups.length > 0 && (
        <>
          <Table caption="Backups" columns={columns} rows={backups} rowKey={(b) => b.name} />
          <form
            class="toolbar card-foot"
            onSubmit={(e) => {
              e.preventDefault();
              setPruning(true);
            }}
          >
            <TextField
              id="prune-keep"
              label="Keep the newest"
              inline
              type="number"
              inputMode="numeric"
              required
              min={1}
              step={1}
              value={keep}
              onValue={setKeep}
            />
            <button type="submit" class="btn btn-small" disabled={keep === ""}>
              Delete older backups
            </button>
          </form>
        </>
      )}
      {pruning && (
        <Confirm
          title={`Keep only the newest ${keep}?`}
          confirmLabel="Delete older backups"
          danger
          onConfirm={async () => {
            const gone = await call("backups.prune", { keep: Number(keep), to });
            toast(`Deleted ${gone.length} ${gone.length === 1 ? "backup" : "backups"}.`);
            setKeep("");
            await list.reload();
          }}
          onClose={() => setPruning(false)}
        >
          <p>The older backups at this place are deleted for good.</p>
        </Confirm>
      )}
    </section>
  );
}
