/**
 * The app page's settings tab: rename the app (`apps.rename`: the name is
 * also its subdomain; the ID, files, data and logs stay), its memory cap,
 * export it as a `.fazt` archive, and delete it, after typing its name.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { appPath, navigate } from "../../lib/router.ts";
import { useAction } from "../../lib/use_action.ts";
import { Confirm } from "../../components/confirm.tsx";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";
import type { TabProps } from "./tab.ts";
import { ExportCard } from "./export_card.tsx";
import { MemoryCard } from "./memory_card.tsx";

/** The settings tab. */
export function SettingsTab({ app, reload }: TabProps): VNode {
  const [name, setName] = useState(app.name);
  const [deleting, setDeleting] = useState(false);

  const rename = useAction(async () => {
    const renamed = await call("apps.rename", { app: app.id, name: name.trim() });
    toast(`Renamed to ${renamed.name}.`);
    navigate(appPath(renamed.name, "settings"), true);
  }, { keepBusy: true });

  return (
    <div class="stack-lg">
      <FormCard
        titleId="rename-title"
        title="Rename"
        intro={
          <>
            The name is also the subdomain. The app keeps its ID{" "}
            <code>{app.id}</code>, files, data and logs.
          </>
        }
        onSubmit={rename.submit}
        error={rename.error}
        errorTitle="Could not rename"
      >
        <TextField
          id="rename-name"
          label="New name"
          required
          autoComplete="off"
          spellcheck={false}
          autoCapitalize="off"
          value={name}
          onValue={setName}
        />
        <div class="form-end">
          <SubmitButton
            busy={rename.busy}
            busyLabel="Renaming…"
            disabled={name.trim() === app.name}
          >
            Rename
          </SubmitButton>
        </div>
      </FormCard>
      <MemoryCard app={app} reload={reload} />
      <ExportCard app={app} />
      <section class="card card-danger" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete this app</h2>
        <p class="muted small">
          Deletes every version, file, secret and piece of data of{" "}
          {app.name}. This cannot be undone.
        </p>
        <button type="button" class="btn btn-danger" onClick={() => setDeleting(true)}>
          Delete {app.name}…
        </button>
      </section>
      {deleting && (
        <Confirm
          title={`Delete ${app.name}?`}
          confirmLabel="Delete app"
          danger
          requireText={app.name}
          onConfirm={async () => {
            await call("apps.delete", { app: app.id });
            toast(`Deleted ${app.name}.`);
            navigate("/_fazt/apps");
          }}
          onClose={() => setDeleting(false)}
        >
          <p>
            {app.name} and its {app.versions.length}{" "}
            versions, files, secrets and data are removed for good.
          </p>
        </Confirm>
      )}
    </div>
  );
}
