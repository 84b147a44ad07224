/**
 * The one-time setup page, opened from the link fazt prints at first
 * start (`/_fazt/setup?token=…`): creates the owner account
 * (`auth.setup`). Without the token it says where to find the link; once
 * an owner exists it points to the login.
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

/** Props of {@linkcode SetupPage}. */
export interface SetupPageProps {
  /** The one-time token from the link (empty when the link was not used). */
  token: string;
  /** True while no owner account exists. */
  setupNeeded: boolean;
  /** Runs once the account exists and the owner is signed in. */
  onDone: () => Promise<void>;
}

/** The setup page. */
export function SetupPage({ token, setupNeeded, onDone }: SetupPageProps): VNode {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const setup = useAction(async () => {
    await call("auth.setup", { token, email, password });
    await onDone();
  }, { keepBusy: true });
  if (!setupNeeded) {
    return (
      <AuthCard title="Already set up" sub="This server already has an owner.">
        <a class="btn btn-primary btn-block" href="/_fazt/login">Go to login</a>
      </AuthCard>
    );
  }
  if (!token) {
    return (
      <AuthCard
        title="Welcome to fazt"
        sub="Open the one-time setup link that fazt printed when it started (it ends in ?token=…)."
      >
        <p class="muted small">
          Restarting fazt prints a new link while no owner account exists.
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Welcome to fazt" sub="Create the owner account for this server.">
      <form onSubmit={setup.submit} class="stack">
        <CredentialFields
          email={email}
          setEmail={setEmail}
          password={password}
          setPassword={setPassword}
          isNew
        />
        <ErrorNote error={setup.error} title="Could not create the account" />
        <SubmitButton busy={setup.busy} busyLabel="Creating…" block>
          Create owner account
        </SubmitButton>
      </form>
    </AuthCard>
  );
}
