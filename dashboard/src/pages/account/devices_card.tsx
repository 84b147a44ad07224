/**
 * The owner's known devices (`owner.devices`): the browsers logins came
 * from, which attacks from elsewhere never slow down; forgetting one or all
 * of them (`owner.forget_devices`) makes their next login count as new.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { ago, dateTime } from "../../lib/format.ts";
import { useOp } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { Loading } from "../../components/loading.tsx";
import { type Column, RowButton, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";

type Device = Output<"owner.devices">[number];

/** The devices card. */
export function DevicesCard(): VNode {
  const devices = useOp("owner.devices", {});
  const [forgetting, setForgetting] = useState<Device | "all">();
  const columns: Column<Device>[] = [
    { label: "Device", cell: (d) => <span class="mono small">{d.id}</span> },
    { label: "Last address", cell: (d) => <span class="mono">{d.lastIp}</span> },
    {
      label: "Last login",
      cell: (d) => (
        <time dateTime={d.lastUsedAt} title={dateTime(d.lastUsedAt)}>{ago(d.lastUsedAt)}</time>
      ),
    },
    { label: "Known until", cell: (d) => ago(d.expiresAt) },
    {
      label: "Actions",
      actions: true,
      cell: (d) => (
        <RowButton
          label="Forget"
          name={`Forget device ${d.id}`}
          onClick={() => setForgetting(d)}
        />
      ),
    },
  ];
  const list = devices.data;
  return (
    <section class="card card-flush" aria-labelledby="devices-title">
      <div class="card-head">
        <h2 id="devices-title">Known devices</h2>
        {list && list.length > 0 && (
          <button
            type="button"
            class="btn btn-small"
            onClick={() => setForgetting("all")}
          >
            Forget all
          </button>
        )}
      </div>
      <p class="muted small card-pad">
        Browsers you logged in from. Wrong passwords from elsewhere never slow down their logins.
      </p>
      <ErrorNote error={devices.error} title="Could not load the devices" />
      {!list && !devices.error && <Loading />}
      {list && list.length === 0 && <Empty title="No known devices">Log in to add one.</Empty>}
      {list && list.length > 0 && (
        <Table
          caption="Known devices"
          columns={columns}
          rows={list}
          rowKey={(d) => d.id}
        />
      )}
      {forgetting && (
        <Confirm
          title={forgetting === "all" ? "Forget every device?" : `Forget ${forgetting.id}?`}
          confirmLabel={forgetting === "all" ? "Forget all" : "Forget device"}
          danger
          onConfirm={async () => {
            const out = await call(
              "owner.forget_devices",
              forgetting === "all" ? {} : { id: forgetting.id },
            );
            toast(`Forgot ${out.forgotten} ${out.forgotten === 1 ? "device" : "devices"}.`);
            await devices.reload();
          }}
          onClose={() => setForgetting(undefined)}
        >
          <p>Its next login counts as one from a new device. Sessions are not ended.</p>
        </Confirm>
      )}
    </section>
  );
}
