/**
 * An app's memory cap (over its sandbox and SQL processes): what it is,
 * whether the owner set it, what the app uses, and the form that sets it
 * or goes back to the server's default (`apps.set_memory_limit`, in MiB:
 * 1,048,576 bytes).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { count, formatBytes, MIB } from "../../lib/format.ts";
import { useAction } from "../../lib/use_action.ts";
import { Detail, DetailsList } from "../../components/details_list.tsx";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";
import type { TabProps } from "./tab.ts";

/** The memory card. */
export function MemoryCard({ app, reload }: TabProps): VNode {
  const [limit, setLimit] = useState("");
  const m = app.resources.memory;
  const save = useAction(async (limitMb: number | undefined) => {
    await call("apps.set_memory_limit", { app: app.id, limitMb });
    toast(
      limitMb === undefined
        ? `${app.name} uses the server's default memory cap now.`
        : `${app.name} may now use ${count(limitMb)} MiB of memory.`,
    );
    setLimit("");
    await reload();
  });
  return (
    <FormCard
      titleId="memory-title"
      title="Memory"
      intro="The most memory the app's processes (its code and its SQL database) may hold together; past it they are stopped and start again on the next request."
      above={
        <DetailsList>
          <Detail name="Memory cap" id="memory-limit">
            {formatBytes(m.limitBytes)} {m.custom ? "(set for this app)" : "(server default)"}
          </Detail>
          <Detail name="In use">{formatBytes(m.usedBytes)}</Detail>
          <Detail name="Peak">{formatBytes(m.peakBytes)}</Detail>
          <Detail name="Enforced by">{app.resources.mechanism}</Detail>
        </DetailsList>
      }
      onSubmit={(ev) => {
        ev.preventDefault();
        save.run(Number(limit));
      }}
      error={save.error}
      errorTitle="Could not change the memory cap"
    >
      <TextField
        id="memory-limit-mb"
        label="Memory cap in MiB"
        type="number"
        inputMode="numeric"
        required
        min={64}
        step={1}
        placeholder={String(Math.round(m.limitBytes / MIB))}
        value={limit}
        onValue={setLimit}
      />
      <div class="form-end row">
        <SubmitButton busy={save.busy} busyLabel="Saving…" disabled={limit === ""}>
          Set cap
        </SubmitButton>
        {m.custom && (
          <button
            type="button"
            class="btn"
            disabled={save.busy}
            onClick={() => save.run(undefined)}
          >
            Use the server default
          </button>
        )}
      </div>
    </FormCard>
  );
}
