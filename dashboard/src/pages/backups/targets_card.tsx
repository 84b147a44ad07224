/**
 * The saved S3 backup targets (`backups.list_targets`: endpoint, region,
 * access key ID; never a secret), saving one (`backups.set_target`, which
 * lists the bucket once with the keys) and forgetting one
 * (`backups.remove_target`). Picking a target shows its backups.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { useOp } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { type Column, RowButton, Table } from "../../components/table.tsx";
import { toast } from "../../components/toasts.tsx";

type Target = Output<"backups.list_targets">[number];

/** Props of {@linkcode TargetsCard}. */
export interface TargetsCardProps {
  /** Called when the owner picks a target to see its backups. */
  onPick: (location: string) => void;
}

/** The S3 targets and the form that saves one. */
export function TargetsCard({ onPick }: TargetsCardProps): VNode {
  const targets = useOp("backups.list_targets", {});
  const [location, setLocation] = useState("");
  const [endpoint, setEndpoint] = useState("");
  const [region, setRegion] = useState("");
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secretAccessKey, setSecretAccessKey] = useState("");
  const [removing, setRemoving] = useState<Target>();
  const save = useAction(async () => {
    const saved = await call("backups.set_target", {
      location,
      endpoint: endpoint || undefined,
      region: region || undefined,
      accessKeyId,
      secretAccessKey,
    });
    setSecretAccessKey("");
    toast(`Saved ${saved.location}.`);
    await targets.reload();
  });
  const columns: Column<Target>[] = [
    {
      label: "Location",
      cell: (t) => (
        <button
          type="button"
          class="btn btn-small mono"
          aria-label={`Show backups at ${t.location}`}
          onClick={() => onPick(t.location)}
        >
          {t.location}
        </button>
      ),
    },
    { label: "Endpoint", cell: (t) => t.endpoint ?? "AWS S3" },
    { label: "Region", cell: (t) => t.region },
    { label: "Access key", cell: (t) => <span class="mono small">{t.accessKeyId}</span> },
    {
      label: "Actions",
      actions: true,
      cell: (t) => (
        <RowButton
          label="Forget"
          name={`Forget target ${t.location}`}
          onClick={() => setRemoving(t)}
        />
      ),
    },
  ];
  return (
    <FormCard
      titleId="targets-title"
      title="S3 targets"
      intro="Buckets backups can go to. The secret key is encrypted at rest and never shown again; fazt lists the bucket once before saving."
      above={
        <>
          <ErrorNote error={targets.error} title="Could not list the targets" />
          {targets.data && targets.data.length > 0 && (
            <Table
              caption="S3 targets"
              columns={columns}
              rows={targets.data}
              rowKey={(t) => t.location}
            />
          )}
          {removing && (
            <Confirm
              title={`Forget ${removing.location}?`}
              confirmLabel="Forget target"
              danger
              onConfirm={async () => {
                await call("backups.remove_target", { location: removing.location });
                toast(`Forgot ${removing.location}; its backups stay in the bucket.`);
                await targets.reload();
              }}
              onClose={() => setRemoving(undefined)}
            >
              <p>Its endpoint and keys are deleted here. The backups in the bucket stay.</p>
            </Confirm>
          )}
        </>
      }
      onSubmit={save.submit}
      error={save.error}
      errorTitle="Could not save the target"
    >
      <TextField
        id="target-location"
        label="Location"
        class="mono"
        required
        placeholder="s3://bucket/prefix"
        spellcheck={false}
        value={location}
        onValue={setLocation}
      />
      <TextField
        id="target-endpoint"
        label="Endpoint (empty for AWS S3)"
        placeholder="https://s3.example.com"
        spellcheck={false}
        value={endpoint}
        onValue={setEndpoint}
      />
      <TextField
        id="target-region"
        label="Region (optional)"
        placeholder="us-east-1"
        value={region}
        onValue={setRegion}
      />
      <TextField
        id="target-key-id"
        label="Access key ID"
        required
        autoComplete="off"
        spellcheck={false}
        value={accessKeyId}
        onValue={setAccessKeyId}
      />
      <TextField
        id="target-secret"
        label="Secret access key"
        type="password"
        required
        autoComplete="off"
        value={secretAccessKey}
        onValue={setSecretAccessKey}
      />
      <div class="form-end">
        <SubmitButton busy={save.busy} busyLabel="Checking…">Save target</SubmitButton>
      </div>
    </FormCard>
  );
}
