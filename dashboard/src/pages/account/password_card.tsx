/**
 * Changing the owner's password (`owner.change_password`): the current
 * one, the new one twice. Every other session ends; this one stays.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { FormCard, SubmitButton, TextField } from "../../components/form.tsx";
import { toast } from "../../components/toasts.tsx";

/** The password card. */
export function PasswordCard(): VNode {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const change = useAction(async () => {
    if (next !== again) throw new Error("The two new passwords differ. Type the same one twice.");
    await call("owner.change_password", { currentPassword: current, newPassword: next });
    setCurrent("");
    setNext("");
    setAgain("");
    toast("Password changed. Every other session has ended.");
  });
  return (
    <FormCard
      titleId="password-title"
      title="Password"
      intro="Changing it ends every other session (other browsers log in again); this one stays."
      onSubmit={change.submit}
      error={change.error}
      errorTitle="Could not change the password"
    >
      <TextField
        id="password-current"
        label="Current password"
        type="password"
        required
        autoComplete="current-password"
        value={current}
        onValue={setCurrent}
      />
      <TextField
        id="password-new"
        label="New password"
        type="password"
        required
        minLength={10}
        autoComplete="new-password"
        hint="At least 10 characters."
        value={next}
        onValue={setNext}
      />
      <TextField
        id="password-again"
        label="New password again"
        type="password"
        required
        minLength={10}
        autoComplete="new-password"
        value={again}
        onValue={setAgain}
      />
      <div class="form-end">
        <SubmitButton busy={change.busy} busyLabel="Changing…">Change password</SubmitButton>
      </div>
    </FormCard>
  );
}
