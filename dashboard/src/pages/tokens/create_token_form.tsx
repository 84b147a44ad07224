/**
 * The form that creates an API token (`tokens.create`): a name, an expiry,
 * the scopes (each with what it allows) and, optionally, the apps it is
 * limited to.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output, type Scope, SCOPES } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { ErrorNote } from "../../components/error_note.tsx";
import { Field, SubmitButton, TextField } from "../../components/form.tsx";
import { SCOPE_HELP } from "./scope_help.ts";

/** The expiry choices: days (empty for never) and their labels. */
const EXPIRIES = [
  ["", "Never"],
  ["7", "In 7 days"],
  ["30", "In 30 days"],
  ["90", "In 90 days"],
  ["365", "In a year"],
] as const;

/** `set` with `value` added (`on`) or removed. */
function toggled<T>(set: Set<T>, value: T, on: boolean): Set<T> {
  const next = new Set(set);
  if (on) next.add(value);
  else next.delete(value);
  return next;
}

/** Props of {@linkcode CreateTokenForm}. */
export interface CreateTokenFormProps {
  /** The apps a token may be limited to. */
  apps: Output<"apps.list"> | undefined;
  /** Called with the new token (its secret included). */
  onCreated: (token: Output<"tokens.create">) => Promise<void>;
}

/** The create-a-token card. */
export function CreateTokenForm({ apps, onCreated }: CreateTokenFormProps): VNode {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(["apps:read"]));
  const [limitApps, setLimitApps] = useState<Set<string>>(new Set());
  const [expires, setExpires] = useState("");

  const create = useAction(async () => {
    const token = await call("tokens.create", {
      name: name.trim(),
      scopes: SCOPES.filter((s) => scopes.has(s)),
      ...(limitApps.size ? { apps: [...limitApps] } : {}),
      ...(expires ? { expiresInDays: Number(expires) } : {}),
    });
    setName("");
    await onCreated(token);
  });

  return (
    <section class="card" aria-labelledby="token-form-title">
      <h2 id="token-form-title">Create a token</h2>
      <form class="stack" onSubmit={create.submit}>
        <div class="form-grid">
          <TextField
            id="token-name"
            label="Name"
            required
            maxLength={100}
            autoComplete="off"
            placeholder="ci, laptop, claude…"
            value={name}
            onValue={setName}
          />
          <Field id="token-expiry" label="Expires">
            <select
              id="token-expiry"
              value={expires}
              onChange={(e) => setExpires(e.currentTarget.value)}
            >
              {EXPIRIES.map(([days, label]) => <option key={days} value={days}>{label}</option>)}
            </select>
          </Field>
        </div>
        <fieldset class="checks">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={scopes.has(s)}
                onChange={(e) => setScopes(toggled(scopes, s, e.currentTarget.checked))}
              />
              <span>
                <code>{s}</code>
                <span class="muted small">{SCOPE_HELP[s]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {apps && apps.length > 0 && (
          <fieldset class="checks checks-inline">
            <legend>Limit to apps (optional)</legend>
            {apps.map((a) => (
              <label key={a.id} class="check">
                <input
                  type="checkbox"
                  checked={limitApps.has(a.id)}
                  onChange={(e) => setLimitApps(toggled(limitApps, a.id, e.currentTarget.checked))}
                />
                <span>{a.name}</span>
              </label>
            ))}
          </fieldset>
        )}
        <ErrorNote error={create.error} title="Could not create the token" />
        <div class="row">
          <SubmitButton busy={create.busy} busyLabel="Creating…" disabled={scopes.size === 0}>
            Create token
          </SubmitButton>
        </div>
      </form>
    </section>
  );
}
