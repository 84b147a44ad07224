/**
 * The form that points a custom domain at an app (`domains.add`): the
 * domain name and the app, with the DNS step said up front.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { Field, FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";

/** Props of {@linkcode AddDomainForm}. */
export interface AddDomainFormProps {
  /** The apps a domain may point at. */
  apps: Output<"apps.list"> | undefined;
  /** Called after a domain was added. */
  onAdded: () => Promise<void>;
}

/** The add-a-domain card. */
export function AddDomainForm({ apps, onAdded }: AddDomainFormProps): VNode {
  const [domain, setDomain] = useState("");
  const [app, setApp] = useState("");
  const chosen = app || apps?.[0]?.id || "";

  const add = useAction(async () => {
    const added = await call("domains.add", { domain: domain.trim(), app: chosen });
    toast(`${added.domain} now serves ${added.app}.`);
    setDomain("");
    await onAdded();
  });

  return (
    <FormCard
      titleId="domain-form-title"
      title="Add a custom domain"
      intro={
        <>
          Point the domain's DNS (an A or AAAA record) at this server first. Subdomains of the
          server's own domain are aliases: add them on the app's Routes tab.
        </>
      }
      onSubmit={add.submit}
      error={add.error}
      errorTitle="Could not add the domain"
    >
      <TextField
        id="domain-name"
        label="Domain"
        required
        autoComplete="off"
        spellcheck={false}
        autoCapitalize="off"
        placeholder="shop.example.org"
        value={domain}
        onValue={setDomain}
      />
      <Field id="domain-app" label="App">
        <select
          id="domain-app"
          required
          value={chosen}
          onChange={(e) => setApp(e.currentTarget.value)}
        >
          {apps?.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
        </select>
      </Field>
      <div class="form-end">
        <SubmitButton busy={add.busy} busyLabel="Adding…" disabled={!chosen}>
          Add domain
        </SubmitButton>
      </div>
    </FormCard>
  );
}
