/**
 * The apps page's import form: a `.fazt` archive (made by an export, here
 * or on another server) becomes a new app (`apps.import`), under the
 * archive's name or another, with a new ID or the exported one.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { type Output, upload } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { Field, FormCard, SubmitButton, TextField } from "../../components/form.tsx";

/** Props of {@linkcode ImportForm}. */
export interface ImportFormProps {
  /** Called after a successful import. */
  onImported: (out: Output<"apps.import">) => void;
}

/** The import form. */
export function ImportForm({ onImported }: ImportFormProps): VNode {
  const [file, setFile] = useState<File>();
  const [name, setName] = useState("");
  const [keepId, setKeepId] = useState(false);
  const [sent, setSent] = useState(0);

  const run = useAction(async () => {
    if (!file) throw new Error("Choose a .fazt file first.");
    setSent(0);
    const out = await upload(
      "apps.import",
      { archive: file, name: name.trim() || undefined, keepId: keepId || undefined },
      (p) => setSent(p.total > 0 ? p.loaded / p.total : 0),
    );
    onImported(out);
  });

  return (
    <FormCard
      titleId="import-title"
      title="Import an app"
      intro={
        <>
          A <code>.fazt</code>{" "}
          file from an app's export (its files, and its data when exported with it) becomes a new
          app here, all at once or not at all.
        </>
      }
      onSubmit={run.submit}
      error={run.error}
      errorTitle="Could not import"
    >
      <Field id="import-file" label=".fazt file">
        <input
          id="import-file"
          type="file"
          accept=".fazt,.zip,application/zip"
          required
          onChange={(e) => setFile(e.currentTarget.files?.[0])}
        />
      </Field>
      <TextField
        id="import-name"
        label="Name"
        hint="Leave empty to use the name in the archive."
        autoComplete="off"
        spellcheck={false}
        autoCapitalize="off"
        value={name}
        onValue={setName}
      />
      <label class="check">
        <input
          id="import-keep-id"
          type="checkbox"
          checked={keepId}
          onChange={(e) => setKeepId(e.currentTarget.checked)}
        />
        <span>Keep the exported app's ID (refused when an app here has it)</span>
      </label>
      <div class="form-end">
        <SubmitButton
          busy={run.busy}
          busyLabel={sent > 0 && sent < 1 ? `Uploading… ${Math.round(sent * 100)}%` : "Importing…"}
          disabled={!file}
        >
          Import
        </SubmitButton>
      </div>
    </FormCard>
  );
}
