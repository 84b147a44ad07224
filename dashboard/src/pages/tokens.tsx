/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * API tokens: create with scopes (the secret is shown once), list, revoke.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import {
  api,
  type AppView,
  type NewToken,
  path,
  type Scope,
  SCOPES,
  type TokenView,
} from "../api.ts";
import { ago, dateTime } from "../format.ts";
import {
  Confirm,
  CopyField,
  Empty,
  ErrorNote,
  KeyIcon,
  Loading,
  PageHeader,
  toast,
  useApi,
} from "../ui.tsx";

/** What each scope allows. */
export const SCOPE_HELP: Record<Scope, string> = {
  "apps:read": "List apps, versions, files, routes and secret names",
  "apps:write": "Deploy, rename, roll back, change routes",
  "apps:delete": "Delete apps",
  "data:read": "Read apps' kv, documents and SQL",
  "data:write": "Change apps' kv data",
  "secrets:write": "Set and remove secrets",
  "logs:read": "Read and follow logs",
  "system:read": "Server info and statistics",
  admin: "Everything, including tokens",
};

/** The new token's secret, shown once. */
export function NewTokenNote(
  { token, onDone }: { token: NewToken; onDone: () => void },
): VNode {
  return (
    <section class="card card-highlight" aria-labelledby="new-token-title">
      <h2 id="new-token-title">Copy the token “{token.name}” now</h2>
      <p class="muted small">It is shown only this once. fazt keeps only a hash of it.</p>
      <CopyField id="new-token-value" label="Token" value={token.token} />
      <div class="row">
        <button type="button" class="btn" onClick={onDone}>Done</button>
      </div>
    </section>
  );
}

/** The tokens page. */
export function TokensPage(): VNode {
  const list = useApi<TokenView[]>("/tokens");
  const apps = useApi<AppView[]>("/apps");
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(["apps:read"]));
  const [limitApps, setLimitApps] = useState<Set<string>>(new Set());
  const [expires, setExpires] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<NewToken>();
  const [revoking, setRevoking] = useState<TokenView>();

  const toggle = <T,>(set: Set<T>, value: T, on: boolean): Set<T> => {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  };

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await api<NewToken>("POST", "/tokens", {
        name: name.trim(),
        scopes: SCOPES.filter((s) => scopes.has(s)),
        ...(limitApps.size ? { apps: [...limitApps] } : {}),
        ...(expires ? { expiresInDays: Number(expires) } : {}),
      });
      setCreated(t);
      setName("");
      await list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const appName = (id: string) => apps.data?.find((a) => a.id === id)?.name ?? id;

  return (
    <>
      <PageHeader
        title="Tokens"
        sub="API tokens let scripts, CI and agents use fazt's API and MCP server."
      />
      <div class="stack-lg">
        {created && <NewTokenNote token={created} onDone={() => setCreated(undefined)} />}
        <section class="card" aria-labelledby="token-form-title">
          <h2 id="token-form-title">Create a token</h2>
          <form class="stack" onSubmit={create}>
            <div class="form-grid">
              <div class="field">
                <label for="token-name">Name</label>
                <input
                  id="token-name"
                  required
                  maxLength={100}
                  autoComplete="off"
                  placeholder="ci, laptop, claude…"
                  value={name}
                  onInput={(e) => setName(e.currentTarget.value)}
                />
              </div>
              <div class="field">
                <label for="token-expiry">Expires</label>
                <select
                  id="token-expiry"
                  value={expires}
                  onChange={(e) => setExpires(e.currentTarget.value)}
                >
                  <option value="">Never</option>
                  <option value="7">In 7 days</option>
                  <option value="30">In 30 days</option>
                  <option value="90">In 90 days</option>
                  <option value="365">In a year</option>
                </select>
              </div>
            </div>
            <fieldset class="checks">
              <legend>Scopes</legend>
              {SCOPES.map((s) => (
                <label key={s} class="check">
                  <input
                    type="checkbox"
                    checked={scopes.has(s)}
                    onChange={(e) => setScopes(toggle(scopes, s, e.currentTarget.checked))}
                  />
                  <span>
                    <code>{s}</code>
                    <span class="muted small">{SCOPE_HELP[s]}</span>
                  </span>
                </label>
              ))}
            </fieldset>
            {apps.data && apps.data.length > 0 && (
              <fieldset class="checks checks-inline">
                <legend>Limit to apps (optional)</legend>
                {apps.data.map((a) => (
                  <label key={a.id} class="check">
                    <input
                      type="checkbox"
                      checked={limitApps.has(a.id)}
                      onChange={(e) =>
                        setLimitApps(toggle(limitApps, a.id, e.currentTarget.checked))}
                    />
                    <span>{a.name}</span>
                  </label>
                ))}
              </fieldset>
            )}
            <ErrorNote error={error} title="Could not create the token" />
            <div class="row">
              <button type="submit" class="btn btn-primary" disabled={busy || scopes.size === 0}>
                {busy ? "Creating…" : "Create token"}
              </button>
            </div>
          </form>
        </section>
        <section class="card card-flush" aria-labelledby="tokens-title">
          <div class="card-head">
            <h2 id="tokens-title">Active tokens</h2>
          </div>
          <ErrorNote error={list.error} title="Could not load the tokens" />
          {!list.data && !list.error && <Loading />}
          {list.data && list.data.length === 0 && (
            <Empty title="No tokens" icon={<KeyIcon />}>
              Create one above for a script, CI or an AI agent.
            </Empty>
          )}
          {list.data && list.data.length > 0 && (
            <table class="table">
              <caption class="sr-only">Active tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col" class="num">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((t) => (
                  <tr key={t.id}>
                    <td data-label="Name">
                      <strong>{t.name}</strong>
                      <div class="muted small mono">{t.id}</div>
                    </td>
                    <td data-label="Scopes">
                      <div class="chips">
                        {t.scopes.map((s) => <span key={s} class="chip">{s}</span>)}
                        {t.apps &&
                          t.apps.map((id) => (
                            <span key={id} class="chip chip-app">{appName(id)}</span>
                          ))}
                      </div>
                    </td>
                    <td data-label="Created">
                      <time dateTime={t.createdAt} title={dateTime(t.createdAt)}>
                        {ago(t.createdAt)}
                      </time>
                    </td>
                    <td data-label="Last used">{ago(t.lastUsedAt)}</td>
                    <td data-label="Expires">{t.expiresAt ? ago(t.expiresAt) : "never"}</td>
                    <td class="num">
                      <button
                        type="button"
                        class="btn btn-small btn-danger-ghost"
                        onClick={() => setRevoking(t)}
                        aria-label={`Revoke token ${t.name}`}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      {revoking && (
        <Confirm
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          danger
          onConfirm={async () => {
            await api("DELETE", path("tokens", revoking.id));
            toast(`Token ${revoking.name} revoked.`);
            await list.reload();
          }}
          onClose={() => setRevoking(undefined)}
        >
          <p>Anything using it stops working from its next request.</p>
        </Confirm>
      )}
    </>
  );
}
