/**
 * An app's document collections (`data.docs_collections`), the documents
 * of one, optionally filtered (`data.docs_find`, the first 100 matches),
 * and deleting one by its `_id` (`data.docs_delete`, after a confirmation).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../../api.ts";
import { useAction } from "../../../lib/use_action.ts";
import { useOp } from "../../../lib/use_op.ts";
import { Empty } from "../../../components/empty.tsx";
import { ErrorNote } from "../../../components/error_note.tsx";
import { SubmitButton, TextField } from "../../../components/form.tsx";
import { Loading } from "../../../components/loading.tsx";
import { Confirm } from "../../../components/confirm.tsx";
import { toast } from "../../../components/toasts.tsx";
import { JsonBlock } from "./json_block.tsx";

/** How many documents a search shows. */
const LIMIT = 100;

/** The filter the owner typed, as the object `data.docs_find` takes (none when empty). */
export function parseFilter(text: string): Record<string, unknown> | undefined {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('The filter is not valid JSON. Write an object such as {"status": "open"}.');
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error('The filter must be a JSON object such as {"status": "open"}.');
  }
  return value as Record<string, unknown>;
}

/** The document browser of app `app` (name or ID). */
export function DocsView({ app }: { app: string }): VNode {
  const collections = useOp("data.docs_collections", { app });
  const [collection, setCollection] = useState("");
  const [filter, setFilter] = useState("");
  const [found, setFound] = useState<{ name: string; docs: Output<"data.docs_find"> }>();
  const [deleting, setDeleting] = useState<{ collection: string; id: string }>();

  const find = useAction(async (name: string) => {
    try {
      const query = { app, collection: name, filter: parseFilter(filter), limit: LIMIT };
      setFound({ name, docs: await call("data.docs_find", query) });
    } catch (err) {
      setFound(undefined);
      throw err;
    }
  });

  const pick = (name: string) => {
    setCollection(name);
    find.run(name);
  };
  const list = collections.data;

  return (
    <div class="stack">
      <ErrorNote error={collections.error} title="Could not list the collections" />
      {!list && !collections.error && <Loading />}
      {list && list.length === 0 && (
        <Empty title="No collections">
          This app has stored no documents with <code>fazt.docs</code> yet.
        </Empty>
      )}
      {list && list.length > 0 && (
        <ul role="list" class="row collection-list" aria-label="Collections">
          {list.map((c) => (
            <li key={c.name}>
              <button
                type="button"
                class="btn btn-small"
                aria-pressed={found?.name === c.name}
                disabled={find.busy}
                onClick={() => pick(c.name)}
              >
                <span class="mono">{c.name}</span>
                <span class="badge">{c.count.toLocaleString()}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          find.run(collection.trim());
        }}
      >
        <TextField
          id="docs-collection"
          label="Collection"
          class="mono"
          required
          spellcheck={false}
          placeholder="posts"
          value={collection}
          onValue={setCollection}
          aria-describedby="docs-hint"
        />
        <TextField
          id="docs-filter"
          label="Filter (JSON, optional)"
          class="mono"
          spellcheck={false}
          placeholder='{"status": "open"}'
          value={filter}
          onValue={setFilter}
        />
        <div class="form-end">
          <SubmitButton busy={find.busy} busyLabel="Finding…">Find</SubmitButton>
        </div>
      </form>
      <p id="docs-hint" class="hint">
        Pick a collection above, or enter a name your app uses with{" "}
        <code>fazt.docs</code>. The filter applies to both. Shows the first 100 matches.
      </p>
      <ErrorNote error={find.error} title="Could not find documents" />
      {found && found.docs.length === 0 && (
        <Empty title="No documents">Nothing in “{found.name}” matches.</Empty>
      )}
      {found && found.docs.length > 0 && (
        <div class="stack">
          <p class="muted small">
            {found.docs.length} {found.docs.length === 1 ? "document" : "documents"}
          </p>
          {found.docs.map((d, i) => (
            <div key={String(d._id ?? i)} class="card card-tight">
              {typeof d._id === "string" && (
                <div class="preview-head">
                  <span class="mono small">{d._id}</span>
                  <button
                    type="button"
                    class="btn btn-small btn-danger-ghost"
                    aria-label={`Delete document ${d._id}`}
                    onClick={() => setDeleting({ collection: found.name, id: d._id as string })}
                  >
                    Delete
                  </button>
                </div>
              )}
              <JsonBlock value={d} />
            </div>
          ))}
        </div>
      )}
      {deleting && (
        <Confirm
          title={`Delete the document ${deleting.id}?`}
          confirmLabel="Delete document"
          danger
          onConfirm={async () => {
            await call("data.docs_delete", { app, ...deleting });
            toast(`Deleted ${deleting.id} from ${deleting.collection}.`);
            await Promise.all([find.run(deleting.collection), collections.reload()]);
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>It is removed from “{deleting.collection}” for good.</p>
        </Confirm>
      )}
    </div>
  );
}
