/**
 * The dashboard's tables (versions, secrets, tokens, apps, egress,
 * sandbox processes, query results): columns declared once as data, a
 * caption for screen readers, and on narrow screens each row becomes a
 * card whose cells carry their column's name (`data-label`). Also the
 * small red button a row uses for "Remove" or "Revoke".
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** One column of a {@linkcode Table}. */
export interface Column<T> {
  /** The header, also the cell's label on narrow screens. */
  label: string;
  /** The cell's content for a row. */
  cell: (row: T) => ComponentChildren;
  /** Numbers: aligned right. */
  num?: boolean;
  /** More classes for the cells. */
  class?: string;
  /** No label before the cells on narrow screens. */
  bare?: boolean;
  /** A column of row buttons: its header is for screen readers only, its cells unlabelled. */
  actions?: boolean;
}

/** Props of {@linkcode Table}. */
export interface TableProps<T> {
  /** What the table holds, for screen readers. */
  caption: ComponentChildren;
  /** The columns. */
  columns: Column<T>[];
  /** The rows. */
  rows: readonly T[];
  /** A row's key (`index`: its place in `rows`). */
  rowKey: (row: T, index: number) => string | number;
  /** More classes for the table (`table-apps`, `table-compact`, `table-data`). */
  class?: string;
  /** Leave out the header row. */
  headless?: boolean;
  /** Rows before the data rows. */
  before?: ComponentChildren;
  /** Rows after the data rows. */
  after?: ComponentChildren;
}

function cellClass<T>(c: Column<T>): string | undefined {
  const classes = [c.class, c.num || c.actions ? "num" : undefined].filter(Boolean);
  return classes.length > 0 ? classes.join(" ") : undefined;
}

/** A table of `rows` in `columns`. */
export function Table<T>(props: TableProps<T>): VNode {
  const { columns } = props;
  return (
    <table class={props.class ? `table ${props.class}` : "table"}>
      <caption class="sr-only">{props.caption}</caption>
      {!props.headless && (
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" class={c.num || c.actions ? "num" : undefined}>
                {c.actions ? <span class="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>
        {props.before}
        {props.rows.map((row, i) => (
          <tr key={props.rowKey(row, i)}>
            {columns.map((c) => (
              <td
                key={c.label}
                data-label={c.bare || c.actions ? undefined : c.label}
                class={cellClass(c)}
              >
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
        {props.after}
      </tbody>
    </table>
  );
}

/** A row's small red action button; `name` is what screen readers hear ("Remove secret API_KEY"). */
export function RowButton(
  { label, name, onClick }: { label: string; name: string; onClick: () => void },
): VNode {
  return (
    <button
      type="button"
      class="btn btn-small btn-danger-ghost"
      onClick={onClick}
      aria-label={name}
    >
      {label}
    </button>
  );
}
