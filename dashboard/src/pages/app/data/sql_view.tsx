/**
 * Read-only SQL on an app's own database (`data.sql_query`): a statement
 * box (Ctrl+Enter runs it), "Show tables", and the rows as a table.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../../api.ts";
import { useAction } from "../../../lib/use_action.ts";
import { Empty } from "../../../components/empty.tsx";
import { ErrorNote } from "../../../components/error_note.tsx";
import { Field, SubmitButton } from "../../../components/form.tsx";
import { type Column, Table } from "../../../components/table.tsx";

type Row = Output<"data.sql_query">[number];

/** The statement "Show tables" runs. */
const TABLES_SQL =
  "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name";

/** A cell's value as text: NULL dimmed, objects (BLOBs) as JSON. */
function cellOf(value: unknown): VNode | string {
  if (value === null) return <span class="muted">NULL</span>;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The SQL console of app `app` (name or ID). */
export function SqlView({ app }: { app: string }): VNode {
  const [sql, setSql] = useState(TABLES_SQL);
  const [rows, setRows] = useState<Row[]>();
  const query = useAction(async (text: string) => {
    try {
      setRows(await call("data.sql_query", { app, sql: text }));
    } catch (err) {
      setRows(undefined);
      throw err;
    }
  });
  const columns: Column<Row>[] = rows && rows.length > 0
    ? Object.keys(rows[0]).map((c) => ({
      label: c,
      class: "mono",
      bare: true,
      cell: (r) => cellOf(r[c]),
    }))
    : [];

  return (
    <div class="stack">
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          query.run(sql);
        }}
      >
        <Field
          id="sql-text"
          label="Read-only SQL on the app's own database"
          hint={
            <>
              One SELECT (or WITH … SELECT, PRAGMA) statement. Ctrl+Enter runs it. Changes are
              refused: write from your app's code.
            </>
          }
        >
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
                query.run(sql);
              }
            }}
            aria-describedby="sql-text-hint"
          />
        </Field>
        <div class="row">
          <SubmitButton busy={query.busy} busyLabel="Running…">Run query</SubmitButton>
          <button
            type="button"
            class="btn"
            disabled={query.busy}
            onClick={() => {
              setSql(TABLES_SQL);
              query.run(TABLES_SQL);
            }}
          >
            Show tables
          </button>
        </div>
      </form>
      <ErrorNote error={query.error} title="The query failed" />
      {rows && rows.length === 0 && <Empty title="No rows">The query returned nothing.</Empty>}
      {rows && rows.length > 0 && (
        <div class="card card-flush table-scroll">
          <Table
            class="table-data"
            caption="Query result"
            columns={columns}
            rows={rows}
            rowKey={(_, i) => i}
          />
          <div class="card-foot muted small">
            {rows.length} {rows.length === 1 ? "row" : "rows"}
          </div>
        </div>
      )}
    </div>
  );
}
