/**
 * An app's kv store: keys (optionally by prefix, 100 at a time with "Load
 * more", `data.kv_list`), the picked key's JSON value (`data.kv_get`), and
 * setting a new or picked key (`kv_editor.tsx`) or deleting one
 * (`data.kv_delete`, after a confirmation).
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call, type Output } from "../../../api.ts";
import { ago, dateTime } from "../../../lib/format.ts";
import { useAction } from "../../../lib/use_action.ts";
import { Empty } from "../../../components/empty.tsx";
import { ErrorNote } from "../../../components/error_note.tsx";
import { TextField } from "../../../components/form.tsx";
import { Loading } from "../../../components/loading.tsx";
import { PickList } from "../../../components/pick_list.tsx";
import { Confirm } from "../../../components/confirm.tsx";
import { toast } from "../../../components/toasts.tsx";
import { JsonBlock } from "./json_block.tsx";
import { KvEditor } from "./kv_editor.tsx";

type KvPage = Output<"data.kv_list">;

/** How many keys a page lists. */
const PAGE = 100;

/** The kv browser of app `app` (name or ID). */
export function KvView({ app }: { app: string }): VNode {
  const [prefix, setPrefix] = useState("");
  const [page, setPage] = useState<KvPage>();
  const [open, setOpen] = useState<Output<"data.kv_get">>();
  const [editing, setEditing] = useState<"new" | Output<"data.kv_get">>();
  const [deleting, setDeleting] = useState<string>();
  const load = useAction(async (cursor?: string) => {
    const next = await call("data.kv_list", { app, prefix, cursor, limit: PAGE });
    setPage((prev) =>
      cursor && prev ? { keys: [...prev.keys, ...next.keys], cursor: next.cursor } : next
    );
  });
  const show = useAction(async (key: string) => {
    setOpen(await call("data.kv_get", { app, key }));
  });

  useEffect(() => {
    load.run();
  }, [app]);

  return (
    <div class="stack">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setOpen(undefined);
          load.run();
        }}
      >
        <TextField
          id="kv-prefix"
          label="Key prefix"
          inline
          class="mono"
          value={prefix}
          spellcheck={false}
          onValue={setPrefix}
        />
        <button type="submit" class="btn btn-small">List keys</button>
        <button type="button" class="btn btn-small" onClick={() => setEditing("new")}>
          New key
        </button>
      </form>
      {editing && (
        <KvEditor
          key={editing === "new" ? "" : editing.key}
          app={app}
          initial={editing === "new" ? undefined : editing}
          onSaved={async (key) => {
            toast(`Saved ${key}.`);
            setEditing(undefined);
            await load.run();
            await show.run(key);
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
      <ErrorNote error={load.error ?? show.error} title="Could not read the data" />
      {load.busy && !page && <Loading />}
      {page && page.keys.length === 0 && (
        <Empty title="No keys">
          {prefix
            ? `No key starts with “${prefix}”.`
            : "This app has stored nothing with fazt.kv yet."}
        </Empty>
      )}
      {page && page.keys.length > 0 && (
        <div class="split">
          <PickList
            items={page.keys}
            itemKey={(k) => k.key}
            picked={open?.key}
            onPick={(k) => show.run(k.key)}
            note={(k) =>
              k.expiresAt && (
                <span class="muted small" title={dateTime(k.expiresAt)}>
                  expires {ago(k.expiresAt)}
                </span>
              )}
            footer={page.cursor && (
              <div class="card-foot">
                <button
                  type="button"
                  class="btn btn-small"
                  disabled={load.busy}
                  onClick={() => load.run(page.cursor!)}
                >
                  Load more
                </button>
              </div>
            )}
          />
          <section class="card preview" aria-label="Value" aria-live="polite">
            {open
              ? (
                <>
                  <div class="preview-head">
                    <span class="mono">{open.key}</span>
                    <span class="row">
                      <button
                        type="button"
                        class="btn btn-small"
                        aria-label={`Edit key ${open.key}`}
                        onClick={() => setEditing(open)}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        class="btn btn-small btn-danger-ghost"
                        aria-label={`Delete key ${open.key}`}
                        onClick={() => setDeleting(open.key)}
                      >
                        Delete
                      </button>
                    </span>
                  </div>
                  <JsonBlock value={open.value} />
                </>
              )
              : <Empty title="Pick a key">Its JSON value shows here.</Empty>}
          </section>
        </div>
      )}
      {deleting !== undefined && (
        <Confirm
          title={`Delete the key ${deleting}?`}
          confirmLabel="Delete key"
          danger
          onConfirm={async () => {
            await call("data.kv_delete", { app, key: deleting });
            toast(`Deleted ${deleting}.`);
            setOpen(undefined);
            setEditing(undefined);
            await load.run();
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>The app reads null for it from now on.</p>
        </Confirm>
      )}
    </div>
  );
}
