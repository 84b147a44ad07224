/**
 * The form that stores the owner's own certificate (`certs.add`): the
 * chain and the key as PEM files, read in the browser and sent as text.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { Field, FormCard, SubmitButton } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";

/** A PEM file input bound to a `File`. */
function PemFile(
  { id, label, onFile }: { id: string; label: string; onFile: (file: File | undefined) => void },
): VNode {
  return (
    <Field id={id} label={label}>
      <input
        id={id}
        type="file"
        required
        accept=".pem,.crt,.cer,.key"
        onChange={(e) => onFile(e.currentTarget.files?.[0])}
      />
    </Field>
  );
}

/** The add-a-certificate card. */
export function AddCertForm({ onAdded }: { onAdded: () => Promise<void> }): VNode {
  const [cert, setCert] = useState<File>();
  const [key, setKey] = useState<File>();
  // Bumped after each success: the file inputs start empty again.
  const [round, setRound] = useState(0);

  const add = useAction(async () => {
    if (!cert || !key) return;
    const added = await call("certs.add", { certPem: await cert.text(), keyPem: await key.text() });
    toast(`Certificate for ${added.names.join(", ")} added.`);
    setCert(undefined);
    setKey(undefined);
    setRound(round + 1);
    await onAdded();
  });

  return (
    <FormCard
      titleId="cert-form-title"
      title="Add your own certificate"
      intro="A wildcard or one from your own CA: fazt serves it for the names it covers instead of ordering one. The key is encrypted at rest and never shown again."
      onSubmit={add.submit}
      error={add.error}
      errorTitle="Could not add the certificate"
    >
      <PemFile
        key={`cert-${round}`}
        id="cert-file"
        label="Certificate chain (PEM)"
        onFile={setCert}
      />
      <PemFile key={`key-${round}`} id="key-file" label="Private key (PEM)" onFile={setKey} />
      <div class="form-end">
        <SubmitButton busy={add.busy} busyLabel="Adding…" disabled={!cert || !key}>
          Add certificate
        </SubmitButton>
      </div>
    </FormCard>
  );
}
