/**
 * An app's egress this calendar month (bytes served and fetched,
 * `apps.egress`) and its monthly limit, which the owner sets or removes
 * here (`apps.set_egress_limit`, in MiB: 1,048,576 bytes).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { count, formatBytes, MIB, percent } from "../../lib/format.ts";
import { useAction } from "../../lib/use_action.ts";
import { useOp } from "../../lib/use_op.ts";
import { Detail, DetailsList } from "../../components/details_list.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { Loading } from "../../components/loading.tsx";
import { Meter } from "../../components/meter.tsx";
import { toast } from "../../components/toasts.tsx";
import type { AppDetail } from "./tab.ts";

/** The egress card. */
export function EgressCard({ app }: { app: AppDetail }): VNode {
  const egress = useOp("apps.egress", { app: app.id });
  const [limit, setLimit] = useState("");
  const e = egress.data;
  const used = e ? e.servedBytes + e.fetchedBytes : 0;

  const save = useAction(async (limitMb: number | null) => {
    await call("apps.set_egress_limit", { app: app.id, limitMb });
    toast(
      limitMb === null
        ? `${app.name} has no egress limit now.`
        : `${app.name} may now serve and fetch ${count(limitMb)} MiB a month.`,
    );
    setLimit("");
    await egress.reload();
  });

  const usage = (
    <>
      <ErrorNote error={egress.error} title="Could not load the egress" />
      {!e && !egress.error && <Loading />}
      {e && (
        <>
          <DetailsList>
            <Detail name="Month">{e.month}</Detail>
            <Detail name="Served">{formatBytes(e.servedBytes)}</Detail>
            <Detail name="Fetched">{formatBytes(e.fetchedBytes)}</Detail>
            <Detail name="Monthly limit" id="egress-limit">
              {e.limitBytes === null
                ? "No limit"
                : `${formatBytes(e.limitBytes)} (${percent(used / e.limitBytes)} used)`}
            </Detail>
          </DetailsList>
          {e.limitBytes !== null && (
            <Meter value={used} max={e.limitBytes} label="Egress used of the monthly limit" />
          )}
        </>
      )}
    </>
  );

  return (
    <FormCard
      titleId="egress-title"
      title="Egress & limits"
      intro="Bytes served and fetched this calendar month (UTC). Past the limit the app answers 429 until the month ends."
      above={usage}
      onSubmit={(ev) => {
        ev.preventDefault();
        save.run(Number(limit));
      }}
      error={save.error}
      errorTitle="Could not change the limit"
    >
      <TextField
        id="egress-limit-mb"
        label="Monthly limit in MiB"
        type="number"
        inputMode="numeric"
        required
        min={1}
        step={1}
        placeholder={e?.limitBytes ? String(Math.round(e.limitBytes / MIB)) : "1000"}
        value={limit}
        onValue={setLimit}
      />
      <div class="form-end row">
        <SubmitButton busy={save.busy} busyLabel="Saving…" disabled={limit === ""}>
          Set limit
        </SubmitButton>
        {e && e.limitBytes !== null && (
          <button
            type="button"
            class="btn"
            disabled={save.busy}
            onClick={() => save.run(null)}
          >
            Remove limit
          </button>
        )}
      </div>
    </FormCard>
  );
}
