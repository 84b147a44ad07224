/**
 * The apps page's form that creates an empty app (`apps.create`): its name
 * (and subdomain) is taken, and its secrets can be set before the first
 * deploy that needs them.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { appPath, navigate } from "../../lib/router.ts";
import { useAction } from "../../lib/use_action.ts";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";

/** The create form. */
export function CreateForm(): VNode {
  const [name, setName] = useState("");
  const create = useAction(async () => {
    const app = await call("apps.create", { name: name.trim() });
    toast(`Created ${app.name}. Set its secrets, then deploy.`);
    navigate(appPath(app.name, "secrets"));
  }, { keepBusy: true });
  return (
    <FormCard
      titleId="create-title"
      title="Create an empty app"
      intro="Takes the name (and its address) now, so you can set the app's secrets before its first deploy."
      onSubmit={create.submit}
      error={create.error}
      errorTitle="Could not create the app"
    >
      <TextField
        id="create-name"
        label="Name"
        required
        autoComplete="off"
        autoCapitalize="off"
        spellcheck={false}
        placeholder="journal"
        value={name}
        onValue={setName}
      />
      <div class="form-end">
        <SubmitButton busy={create.busy} busyLabel="Creating…">Create app</SubmitButton>
      </div>
    </FormCard>
  );
}
