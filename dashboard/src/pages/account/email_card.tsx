/**
 * Changing the email the owner logs in with (`owner.change_email`, which
 * asks for the password too).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";

/** The email card of the owner whose email is now `email`. */
export function EmailCard(
  { email, onChanged }: { email: string; onChanged: () => Promise<void> },
): VNode {
  const [next, setNext] = useState("");
  const [password, setPassword] = useState("");
  const change = useAction(async () => {
    const owner = await call("owner.change_email", { email: next, password });
    setNext("");
    setPassword("");
    toast(`You log in as ${owner.email} now.`);
    await onChanged();
  });
  return (
    <FormCard
      titleId="email-title"
      title="Login email"
      intro={
        <>
          You log in as <strong>{email}</strong>. Sessions and known devices stay when it changes.
        </>
      }
      onSubmit={change.submit}
      error={change.error}
      errorTitle="Could not change the email"
    >
      <TextField
        id="email-new"
        label="New email"
        type="email"
        required
        autoComplete="email"
        value={next}
        onValue={setNext}
      />
      <TextField
        id="email-password"
        label="Your password"
        type="password"
        required
        autoComplete="current-password"
        value={password}
        onValue={setPassword}
      />
      <div class="form-end">
        <SubmitButton busy={change.busy} busyLabel="Changing…">Change email</SubmitButton>
      </div>
    </FormCard>
  );
}
