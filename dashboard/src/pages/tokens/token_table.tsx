/**
 * The active API tokens (`tokens.list`): name and ID, scopes and the apps
 * each is limited to, when it was created, last used and expires, and the
 * button that revokes it.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { ago, dateTime } from "../../lib/format.ts";
import { type Column, RowButton, Table } from "../../components/table.tsx";

type Token = Output<"tokens.list">[number];

/** Props of {@linkcode TokenTable}. */
export interface TokenTableProps {
  /** The tokens. */
  tokens: readonly Token[];
  /** An app's name from its ID. */
  appName: (id: string) => string;
  /** Called when the owner asks to revoke a token. */
  onRevoke: (token: Token) => void;
}

/** The table of tokens. */
export function TokenTable({ tokens, appName, onRevoke }: TokenTableProps): VNode {
  const columns: Column<Token>[] = [
    {
      label: "Name",
      cell: (t) => (
        <>
          <strong>{t.name}</strong>
          <div class="muted small mono">{t.id}</div>
        </>
      ),
    },
    {
      label: "Scopes",
      cell: (t) => (
        <div class="chips">
          {t.scopes.map((s) => <span key={s} class="chip">{s}</span>)}
          {t.apps?.map((id) => <span key={id} class="chip chip-app">{appName(id)}</span>)}
        </div>
      ),
    },
    {
      label: "Created",
      cell: (t) => (
        <time dateTime={t.createdAt} title={dateTime(t.createdAt)}>{ago(t.createdAt)}</time>
      ),
    },
    { label: "Last used", cell: (t) => ago(t.lastUsedAt) },
    { label: "Expires", cell: (t) => (t.expiresAt ? ago(t.expiresAt) : "never") },
    {
      label: "Actions",
      actions: true,
      cell: (t) => (
        <RowButton
          label="Revoke"
          name={`Revoke token ${t.name}`}
          onClick={() => onRevoke(t)}
        />
      ),
    },
  ];
  return <Table caption="Active tokens" columns={columns} rows={tokens} rowKey={(t) => t.id} />;
}
