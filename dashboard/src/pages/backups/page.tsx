/**
 * The backups page: back up everything now (`backups.create`), to the data
 * folder's backups/ or to another place (a folder on the server, an S3
 * target); the backups at that place, and pruning them; the saved S3
 * targets.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { formatBytes } from "../../lib/format.ts";
import { useAction } from "../../lib/use_action.ts";
import { useOp } from "../../lib/use_op.ts";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { toast } from "../../components/toasts.tsx";
import { BackupList } from "./backup_list.tsx";
import { TargetsCard } from "./targets_card.tsx";

/** The backups page. */
export function BackupsPage(): VNode {
  const [place, setPlace] = useState("");
  const to = place.trim() === "" ? undefined : place.trim();
  const [shown, setShown] = useState<string | undefined>(undefined);
  const list = useOp("backups.list", { to: shown });
  const create = useAction(async () => {
    const made = await call("backups.create", { to });
    toast(`Backed up ${made.files} files (${formatBytes(made.bytes)}) as ${made.name}.`);
    setShown(to);
    await list.reload();
  });
  return (
    <>
      <PageHeader
        title="Backups"
        sub="A consistent snapshot of everything while fazt keeps serving. Restore one with fazt restore FILE while the server is stopped."
      />
      <div class="stack-lg">
        <FormCard
          titleId="backup-now-title"
          title="Back up now"
          intro="Apps, files, routes, tokens, certificates, every app's data and the secrets key, in one archive."
          onSubmit={create.submit}
          error={create.error}
          errorTitle="Could not back up"
        >
          <TextField
            id="backup-to"
            label="Where (empty: the data folder's backups/)"
            class="mono"
            placeholder="/mnt/backups or s3://bucket/prefix"
            spellcheck={false}
            value={place}
            onValue={setPlace}
            hint="An absolute folder on the server's machine, or a saved S3 target."
          />
          <div class="form-end row">
            <SubmitButton busy={create.busy} busyLabel="Backing up…">Back up now</SubmitButton>
            <button type="button" class="btn" onClick={() => setShown(to)}>
              List backups there
            </button>
          </div>
        </FormCard>
        <BackupList list={list} to={shown} />
        <TargetsCard
          onPick={(location) => {
            setPlace(location);
            setShown(location);
          }}
        />
      </div>
    </>
  );
}
