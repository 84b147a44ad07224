/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * The data browser of an app: kv keys and values, documents of a
 * collection, and read-only SQL, through the `data.*` operations.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type CollectionView, path, withQuery } from "../api.ts";
import { ago, dateTime } from "../format.ts";
import { Empty, ErrorNote, Loading } from "../ui.tsx";

type Kind = "kv" | "docs" | "sql";

/** The data browser. */
export function DataBrowser({ app }: { app: string }): VNode {
  const [kind, setKind] = useState<Kind>("kv");
  const tabs: [Kind, string][] = [["kv", "Key-value"], ["docs", "Documents"], ["sql", "SQL"]];
  return (
    <div class="stack">
      <div class="segmented" role="group" aria-label="Data store">
        {tabs.map(([k, label]) => (
          <button
            key={k}
            type="button"
            aria-pressed={kind === k}
            onClick={() => setKind(k)}
          >
            {label}
          </button>
        ))}
      </div>
      {kind === "kv" && <Kv app={app} />}
      {kind === "docs" && <Docs app={app} />}
      {kind === "sql" && <Sql app={app} />}
    </div>
  );
}

function Json({ value }: { value: unknown }): VNode {
  return <pre class="code">{JSON.stringify(value, null, 2)}</pre>;
}

interface KvPage {
  keys: { key: string; expiresAt: string | null }[];
  cursor: string | null;
}

function Kv({ app }: { app: string }): VNode {
  const [prefix, setPrefix] = useState("");
  const [page, setPage] = useState<KvPage>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<{ key: string; value: unknown }>();

  const load = async (cursor?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await api<KvPage>(
        "GET",
        withQuery(path("apps", app, "data", "kv"), { prefix, cursor, limit: 100 }),
      );
      setPage((prev) =>
        cursor && prev ? { keys: [...prev.keys, ...next.keys], cursor: next.cursor } : next
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const show = async (key: string) => {
    setError(undefined);
    try {
      setOpen(
        await api<{ key: string; value: unknown }>("GET", path("apps", app, "data", "kv", key)),
      );
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    load();
  }, [app]);

  return (
    <div class="stack">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setOpen(undefined);
          load();
        }}
      >
        <div class="field field-inline">
          <label for="kv-prefix">Key prefix</label>
          <input
            id="kv-prefix"
            class="mono"
            value={prefix}
            spellcheck={false}
            onInput={(e) => setPrefix(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="btn btn-small">List keys</button>
      </form>
      <ErrorNote error={error} title="Could not read the data" />
      {busy && !page && <Loading />}
      {page && page.keys.length === 0 && (
        <Empty title="No keys">
          {prefix
            ? `No key starts with “${prefix}”.`
            : "This app has stored nothing with fazt.kv yet."}
        </Empty>
      )}
      {page && page.keys.length > 0 && (
        <div class="split">
          <div class="card card-flush file-list">
            <ul role="list">
              {page.keys.map((k) => (
                <li key={k.key}>
                  <button
                    type="button"
                    class="file-item"
                    aria-pressed={open?.key === k.key}
                    onClick={() => show(k.key)}
                  >
                    <span class="file-path mono">{k.key}</span>
                    {k.expiresAt && (
                      <span class="muted small" title={dateTime(k.expiresAt)}>
                        expires {ago(k.expiresAt)}
                      </span>
                    )}
                  </button>
                </li>
              ))}
            </ul>
            {page.cursor && (
              <div class="card-foot">
                <button
                  type="button"
                  class="btn btn-small"
                  disabled={busy}
                  onClick={() => load(page.cursor!)}
                >
                  Load more
                </button>
              </div>
            )}
          </div>
          <section class="card preview" aria-label="Value" aria-live="polite">
            {open
              ? (
                <>
                  <div class="preview-head">
                    <span class="mono">{open.key}</span>
                  </div>
                  <Json value={open.value} />
                </>
              )
              : <Empty title="Pick a key">Its JSON value shows here.</Empty>}
          </section>
        </div>
      )}
    </div>
  );
}

function Docs({ app }: { app: string }): VNode {
  const [collection, setCollection] = useState("");
  const [filter, setFilter] = useState("");
  const [docs, setDocs] = useState<Record<string, unknown>[]>();
  const [shown, setShown] = useState("");
  const [collections, setCollections] = useState<CollectionView[]>();
  const [listError, setListError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setCollections(undefined);
    setListError(undefined);
    api<CollectionView[]>("GET", path("apps", app, "data", "docs"))
      .then(setCollections, setListError);
  }, [app]);

  const load = async (name: string) => {
    setBusy(true);
    setError(undefined);
    try {
      setDocs(
        await api<Record<string, unknown>[]>(
          "GET",
          withQuery(path("apps", app, "data", "docs", name), {
            filter: filter.trim() || undefined,
            limit: 100,
          }),
        ),
      );
      setShown(name);
    } catch (err) {
      setError(err);
      setDocs(undefined);
    } finally {
      setBusy(false);
    }
  };
  const find = (e: Event) => {
    e.preventDefault();
    load(collection.trim());
  };
  const pick = (name: string) => {
    setCollection(name);
    load(name);
  };

  return (
    <div class="stack">
      <ErrorNote error={listError} title="Could not list the collections" />
      {!collections && !listError && <Loading />}
      {collections && collections.length === 0 && (
        <Empty title="No collections">
          This app has stored no documents with <code>fazt.docs</code> yet.
        </Empty>
      )}
      {collections && collections.length > 0 && (
        <ul role="list" class="row collection-list" aria-label="Collections">
          {collections.map((c) => (
            <li key={c.name}>
              <button
                type="button"
                class="btn btn-small"
                aria-pressed={docs !== undefined && shown === c.name}
                disabled={busy}
                onClick={() => pick(c.name)}
              >
                <span class="mono">{c.name}</span>
                <span class="badge">{c.count.toLocaleString()}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="form-grid" onSubmit={find}>
        <div class="field">
          <label for="docs-collection">Collection</label>
          <input
            id="docs-collection"
            class="mono"
            required
            spellcheck={false}
            placeholder="posts"
            value={collection}
            onInput={(e) => setCollection(e.currentTarget.value)}
            aria-describedby="docs-hint"
          />
        </div>
        <div class="field">
          <label for="docs-filter">Filter (JSON, optional)</label>
          <input
            id="docs-filter"
            class="mono"
            spellcheck={false}
            placeholder='{"status": "open"}'
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </div>
        <div class="form-end">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? "Finding…" : "Find"}
          </button>
        </div>
      </form>
      <p id="docs-hint" class="hint">
        Pick a collection above, or enter a name your app uses with{" "}
        <code>fazt.docs</code>. The filter applies to both. Shows the first 100 matches.
      </p>
      <ErrorNote error={error} title="Could not find documents" />
      {docs && docs.length === 0 && (
        <Empty title="No documents">Nothing in “{shown}” matches.</Empty>
      )}
      {docs && docs.length > 0 && (
        <div class="stack">
          <p class="muted small">{docs.length} {docs.length === 1 ? "document" : "documents"}</p>
          {docs.map((d, i) => (
            <div key={String(d._id ?? i)} class="card card-tight">
              <Json value={d} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

const TABLES_SQL =
  "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name";

function Sql({ app }: { app: string }): VNode {
  const [sql, setSql] = useState(TABLES_SQL);
  const [rows, setRows] = useState<Record<string, unknown>[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const run = async (text = sql) => {
    setBusy(true);
    setError(undefined);
    try {
      setRows(
        await api<Record<string, unknown>[]>("POST", path("apps", app, "data", "sql"), {
          sql: text,
        }),
      );
    } catch (err) {
      setError(err);
      setRows(undefined);
    } finally {
      setBusy(false);
    }
  };
  const columns = rows && rows.length > 0 ? Object.keys(rows[0]) : [];

  return (
    <div class="stack">
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <div class="field">
          <label for="sql-text">Read-only SQL on the app's own database</label>
          <textarea
            id="sql-text"
            class="mono"
            rows={4}
            spellcheck={false}
            value={sql}
            onInput={(e) => setSql(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                run();
              }
            }}
            aria-describedby="sql-hint"
          />
          <p id="sql-hint" class="hint">
            One SELECT (or WITH … SELECT, PRAGMA) statement. Ctrl+Enter runs it. Changes are
            refused: write from your app's code.
          </p>
        </div>
        <div class="row">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? "Running…" : "Run query"}
          </button>
          <button
            type="button"
            class="btn"
            disabled={busy}
            onClick={() => {
              setSql(TABLES_SQL);
              run(TABLES_SQL);
            }}
          >
            Show tables
          </button>
        </div>
      </form>
      <ErrorNote error={error} title="The query failed" />
      {rows && rows.length === 0 && <Empty title="No rows">The query returned nothing.</Empty>}
      {rows && rows.length > 0 && (
        <div class="card card-flush table-scroll">
          <table class="table table-data">
            <caption class="sr-only">Query result</caption>
            <thead>
              <tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c} class="mono">
                      {r[c] === null
                        ? <span class="muted">NULL</span>
                        : typeof r[c] === "object"
                        ? JSON.stringify(r[c])
                        : String(r[c])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div class="card-foot muted small">
            {rows.length} {rows.length === 1 ? "row" : "rows"}
          </div>
        </div>
      )}
    </div>
  );
}
