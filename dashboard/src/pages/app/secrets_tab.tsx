/**
 * The app page's secrets tab: set a secret (`secrets.set`; the value is
 * never shown again), the names with when each changed, and removing one.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { ago, dateTime } from "../../lib/format.ts";
import { useAction } from "../../lib/use_action.ts";
import { useOp } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { type Column, RowButton, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";
import type { TabProps } from "./tab.ts";

type Secret = Output<"secrets.list">[number];

/** The secrets tab. */
export function SecretsTab({ app }: TabProps): VNode {
  const list = useOp("secrets.list", { app: app.id });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [removing, setRemoving] = useState<string>();

  const save = useAction(async () => {
    await call("secrets.set", { app: app.id, name: name.trim(), value });
    toast(`Secret ${name.trim()} saved.`);
    setName("");
    setValue("");
    await list.reload();
  });

  const columns: Column<Secret>[] = [
    { label: "Name", class: "mono", cell: (s) => s.name },
    {
      label: "Updated",
      cell: (s) => (
        <time dateTime={s.updatedAt} title={dateTime(s.updatedAt)}>{ago(s.updatedAt)}</time>
      ),
    },
    {
      label: "Actions",
      actions: true,
      cell: (s) => (
        <RowButton
          label="Remove"
          name={`Remove secret ${s.name}`}
          onClick={() => setRemoving(s.name)}
        />
      ),
    },
  ];

  return (
    <div class="stack-lg">
      <FormCard
        titleId="secret-form-title"
        title="Set a secret"
        intro={
          <>
            Your app reads it with <code>fazt.env.get("NAME")</code>. Values are never shown again.
          </>
        }
        onSubmit={save.submit}
        error={save.error}
        errorTitle="Could not save the secret"
      >
        <TextField
          id="secret-name"
          label="Name"
          class="mono"
          required
          autoComplete="off"
          spellcheck={false}
          placeholder="API_KEY"
          value={name}
          onValue={setName}
        />
        <TextField
          id="secret-value"
          label="Value"
          type="password"
          autoComplete="new-password"
          required
          value={value}
          onValue={setValue}
        />
        <div class="form-end">
          <SubmitButton busy={save.busy} busyLabel="Saving…">Save secret</SubmitButton>
        </div>
      </FormCard>
      <section class="card card-flush" aria-labelledby="secrets-title">
        <div class="card-head">
          <h2 id="secrets-title">Secrets</h2>
        </div>
        <ErrorNote error={list.error} title="Could not load the secrets" />
        {list.data && list.data.length === 0 && (
          <Empty title="No secrets">Set API keys and passwords your app needs above.</Empty>
        )}
        {list.data && list.data.length > 0 && (
          <Table
            caption={`Secrets of ${app.name}`}
            columns={columns}
            rows={list.data}
            rowKey={(s) => s.name}
          />
        )}
      </section>
      {removing && (
        <Confirm
          title={`Remove ${removing}?`}
          confirmLabel="Remove secret"
          danger
          onConfirm={async () => {
            await call("secrets.remove", { app: app.id, name: removing });
            toast(`Secret ${removing} removed.`);
            await list.reload();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>{app.name} will no longer be able to read it.</p>
        </Confirm>
      )}
    </div>
  );
}
