/**
 * The form that sets one kv key of an app (`data.kv_set`): a new key, or a
 * picked one whose JSON value it starts from; the value is any JSON, and an
 * optional time to live (seconds) makes the key expire.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../../api.ts";
import { useAction } from "../../../lib/use_action.ts";
import { Field, FormCard, SubmitButton, TextField } from "../../../components/form.tsx";

/** Props of {@linkcode KvEditor}. */
export interface KvEditorProps {
  /** The app (name or ID). */
  app: string;
  /** The key being edited and its value, or nothing for a new key. */
  initial?: { key: string; value: unknown };
  /** Called with the key once it is saved. */
  onSaved: (key: string) => void;
  /** Called when the owner gives up. */
  onCancel: () => void;
}

/** The JSON the owner typed, as a value (a clear message when it is not JSON). */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      'The value is not valid JSON. Quote text ("hello"); numbers, true, {…} and […] as they are.',
    );
  }
}

/** The kv editor. */
export function KvEditor({ app, initial, onSaved, onCancel }: KvEditorProps): VNode {
  const [key, setKey] = useState(initial?.key ?? "");
  const [value, setValue] = useState(
    initial ? JSON.stringify(initial.value, null, 2) : "",
  );
  const [ttl, setTtl] = useState("");
  const save = useAction(async () => {
    const k = initial?.key ?? key;
    await call("data.kv_set", {
      app,
      key: k,
      value: parseValue(value),
      ttl: ttl === "" ? undefined : Number(ttl),
    });
    onSaved(k);
  });
  return (
    <FormCard
      titleId="kv-edit-title"
      title={initial ? `Edit ${initial.key}` : "New key"}
      intro="The value is JSON. Saving replaces the value (and any expiry) the key had."
      onSubmit={save.submit}
      error={save.error}
      errorTitle="Could not save the key"
    >
      {!initial && (
        <TextField
          id="kv-key"
          label="Key"
          class="mono"
          required
          spellcheck={false}
          autoComplete="off"
          value={key}
          onValue={setKey}
        />
      )}
      <Field id="kv-value" label="Value (JSON)">
        <textarea
          id="kv-value"
          class="mono"
          rows={6}
          required
          spellcheck={false}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </Field>
      <TextField
        id="kv-ttl"
        label="Expires after (seconds, optional)"
        type="number"
        inputMode="numeric"
        min={1}
        step={1}
        value={ttl}
        onValue={setTtl}
      />
      <div class="form-end row">
        <SubmitButton busy={save.busy} busyLabel="Saving…">Save key</SubmitButton>
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
      </div>
    </FormCard>
  );
}
