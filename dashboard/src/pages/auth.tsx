/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * Signing in: the one-time setup page (from the link fazt prints at first
 * start) and the login page.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api.ts";
import { ErrorNote, Logo } from "../ui.tsx";

function AuthCard(
  { title, sub, children }: { title: string; sub: ComponentChildren; children: ComponentChildren },
): VNode {
  return (
    <main id="main" class="auth">
      <div class="auth-card">
        <div class="auth-brand">
          <Logo />
          <span>fazt</span>
        </div>
        <h1 tabIndex={-1}>{title}</h1>
        <p class="muted">{sub}</p>
        {children}
      </div>
    </main>
  );
}

function useSubmit(run: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await run();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

/** The login page. */
export function Login({ onDone }: { onDone: () => Promise<void> }): VNode {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(async () => {
    await api("POST", "/auth/login", { email, password });
    await onDone();
  });
  return (
    <AuthCard title="Log in" sub="Sign in to manage this fazt server.">
      <form onSubmit={submit} class="stack">
        <div class="field">
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <ErrorNote error={error} title="Could not log in" />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p class="muted small">
          Forgot the password? On the server run <code>fazt owner reset-password</code>.
        </p>
      </form>
    </AuthCard>
  );
}

/** The one-time setup page. */
export function Setup(
  { token, setupNeeded, onDone }: {
    token: string;
    setupNeeded: boolean;
    onDone: () => Promise<void>;
  },
): VNode {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(async () => {
    await api("POST", "/auth/setup", { token, email, password });
    await onDone();
  });
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
      <form onSubmit={submit} class="stack">
        <div class="field">
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
            aria-describedby="password-hint"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <p id="password-hint" class="hint">At least 10 characters.</p>
        </div>
        <ErrorNote error={error} title="Could not create the account" />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Creating…" : "Create owner account"}
        </button>
      </form>
    </AuthCard>
  );
}
