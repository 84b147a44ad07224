/**
 * The login page: the owner's email and password (`auth.login`), the API's
 * message when they are wrong, and how to reset a forgotten password.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { ErrorNote } from "../../components/error_note.tsx";
import { SubmitButton } from "../../components/form.tsx";
import { CredentialFields } from "./credential_fields.tsx";
import { AuthCard } from "./auth_card.tsx";

/** The login page; `onDone` runs once signed in. */
export function LoginPage({ onDone }: { onDone: () => Promise<void> }): VNode {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useAction(async () => {
    await call("auth.login", { email, password });
    await onDone();
  }, { keepBusy: true });
  return (
    <AuthCard title="Log in" sub="Sign in to manage this fazt server.">
      <form onSubmit={login.submit} class="stack">
        <CredentialFields
          email={email}
          setEmail={setEmail}
          password={password}
          setPassword={setPassword}
        />
        <ErrorNote error={login.error} title="Could not log in" />
        <SubmitButton busy={login.busy} busyLabel="Logging in…" block>Log in</SubmitButton>
        <p class="muted small">
          Forgot the password? On the server run <code>fazt owner reset-password</code>.
        </p>
      </form>
    </AuthCard>
  );
}
