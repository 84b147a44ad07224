/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * One app: overview with versions and rollback, files with preview, the
 * live log tail, the data browser, secrets, routes, and rename/delete.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  api,
  API_BASE,
  type AppDetail,
  type AppView,
  type EgressView,
  type FileContent,
  type FileView,
  type LogView,
  path,
  type RouteView,
  type SecretView,
  withQuery,
} from "../api.ts";
import { ago, bytes, clock, count, dateTime, mb, percent, shortUrl } from "../format.ts";
import { navigate } from "../router.ts";
import { DeployZone } from "../deploy.tsx";
import { DataBrowser } from "./data.tsx";
import { StatusBadge } from "./apps.tsx";
import {
  Confirm,
  Empty,
  ErrorNote,
  ExternalIcon,
  Link,
  Loading,
  Meter,
  PageHeader,
  Stat,
  toast,
  useApi,
} from "../ui.tsx";

const TABS = [
  ["", "Overview"],
  ["files", "Files"],
  ["logs", "Logs"],
  ["data", "Data"],
  ["secrets", "Secrets"],
  ["routes", "Routes"],
  ["settings", "Settings"],
] as const;

/** The tab names. */
export type AppTab = typeof TABS[number][0];

/** The app page. */
export function AppPage({ name, tab }: { name: string; tab: string }): VNode {
  const app = useApi<AppDetail>(path("apps", name));
  const base = `/_fazt/apps/${encodeURIComponent(name)}`;
  const known = TABS.some(([t]) => t === tab);

  if (app.error && !app.data) {
    return (
      <>
        <PageHeader title={name} />
        <ErrorNote error={app.error} title="Could not load this app" />
        <p>
          <Link href="/_fazt/apps">Back to all apps</Link>
        </p>
      </>
    );
  }
  if (!app.data) return <Loading />;
  const a = app.data;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/_fazt/apps">Apps</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{a.name}</span>
      </nav>
      <PageHeader
        title={a.name}
        sub={
          <>
            <StatusBadge app={a} />
            <a class="app-url" href={a.url} target="_blank" rel="noopener noreferrer">
              {shortUrl(a.url)}
              <ExternalIcon />
              <span class="sr-only">(opens in a new tab)</span>
            </a>
          </>
        }
      >
        <a class="btn" href={a.url} target="_blank" rel="noopener noreferrer">
          Open app<span class="sr-only">(opens in a new tab)</span>
        </a>
      </PageHeader>
      {(a.title || a.description) && (
        <p class="muted app-desc">
          {a.title && <strong>{a.title}</strong>} {a.description}
        </p>
      )}
      <nav class="tabs" aria-label="App sections">
        {TABS.map(([t, label]) => (
          <Link
            key={t}
            href={t ? `${base}/${t}` : base}
            class="tab"
            aria-current={t === tab ? "page" : undefined}
          >
            {label}
          </Link>
        ))}
      </nav>
      <div class="tab-panel">
        {!known && <ErrorNote error={new Error(`There is no “${tab}” section.`)} />}
        {tab === "" && <Overview app={a} reload={app.reload} />}
        {tab === "files" && <Files app={a} />}
        {tab === "logs" && <Logs app={a} />}
        {tab === "data" && <DataBrowser app={a.name} />}
        {tab === "secrets" && <Secrets app={a} />}
        {tab === "routes" && <Routes app={a} />}
        {tab === "settings" && <Settings app={a} />}
      </div>
    </>
  );
}

// --- overview ---------------------------------------------------------------

function Overview({ app, reload }: { app: AppDetail; reload: () => Promise<void> }): VNode {
  const [busy, setBusy] = useState<number>();
  const [error, setError] = useState<unknown>();
  const t = app.traffic24h;
  const rollback = async (version: number) => {
    setBusy(version);
    setError(undefined);
    try {
      await api("POST", path("apps", app.name, "rollback"), { version });
      toast(`Version ${version} of ${app.name} is live.`);
      await reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div class="stack-lg">
      <div class="stats">
        <Stat label="Live version" value={app.version === null ? "–" : `v${app.version}`} />
        <Stat label="Files" value={count(app.files)} hint={bytes(app.bytes)} />
        <Stat label="Requests 24 h" value={count(t.requests)} hint={`${bytes(t.bytesOut)} out`} />
        <Stat
          label="Errors 24 h"
          value={count(t.s4xx + t.s5xx)}
          hint={`${count(t.s4xx)} 4xx · ${count(t.s5xx)} 5xx`}
        />
      </div>
      <DeployZone
        app={app.name}
        onDeployed={(out) => {
          toast(`Deployed ${out.app.name}: version ${out.version.number} is live.`);
          reload();
        }}
      />
      <section class="card card-flush" aria-labelledby="versions-title">
        <div class="card-head">
          <h2 id="versions-title">Versions</h2>
          <p class="muted small">Rolling back is instant: nothing is uploaded again.</p>
        </div>
        <ErrorNote error={error} title="Rollback failed" />
        {app.versions.length === 0
          ? <Empty title="No versions yet">Deploy a folder above to create version 1.</Empty>
          : (
            <table class="table">
              <caption class="sr-only">Versions of {app.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Deployed</th>
                  <th scope="col">Size</th>
                  <th scope="col" class="num">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {app.versions.map((v) => (
                  <tr key={v.number}>
                    <td data-label="Version">
                      <strong>v{v.number}</strong>{" "}
                      {v.live && <span class="badge badge-ok">Live</span>}
                    </td>
                    <td data-label="Deployed">
                      <time dateTime={v.createdAt} title={dateTime(v.createdAt)}>
                        {ago(v.createdAt)}
                      </time>
                    </td>
                    <td data-label="Size">
                      {count(v.files)} {v.files === 1 ? "file" : "files"} · {bytes(v.bytes)}
                    </td>
                    <td class="num">
                      {!v.live && (
                        <button
                          type="button"
                          class="btn btn-small"
                          disabled={busy !== undefined}
                          onClick={() => rollback(v.number)}
                          aria-label={`Roll back to version ${v.number}`}
                        >
                          {busy === v.number ? "Switching…" : `Make v${v.number} live`}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
      <Egress app={app} />
    </div>
  );
}

/** A megabyte as the egress limit counts it. */
const MB = 1024 * 1024;

function Egress({ app }: { app: AppView }): VNode {
  const egress = useApi<EgressView>(path("apps", app.id, "egress"));
  const [limit, setLimit] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const e = egress.data;
  const used = e ? e.servedBytes + e.fetchedBytes : 0;

  const save = async (limitMb: number | undefined) => {
    setBusy(true);
    setError(undefined);
    try {
      await api<EgressView>(
        "PUT",
        path("apps", app.id, "egress-limit"),
        { limitMb: limitMb ?? null },
      );
      toast(
        limitMb === undefined
          ? `${app.name} has no egress limit now.`
          : `${app.name} may now serve and fetch ${count(limitMb)} MB a month.`,
      );
      setLimit("");
      await egress.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="egress-title">
      <h2 id="egress-title">Egress &amp; limits</h2>
      <p class="muted small">
        Bytes served and fetched this calendar month (UTC). Past the limit the app answers 429 until
        the month ends.
      </p>
      <ErrorNote error={egress.error} title="Could not load the egress" />
      {!e && !egress.error && <Loading />}
      {e && (
        <>
          <dl class="kv">
            <div class="kv-row">
              <dt>Month</dt>
              <dd>{e.month}</dd>
            </div>
            <div class="kv-row">
              <dt>Served</dt>
              <dd>{bytes(e.servedBytes)}</dd>
            </div>
            <div class="kv-row">
              <dt>Fetched</dt>
              <dd>{bytes(e.fetchedBytes)}</dd>
            </div>
            <div class="kv-row">
              <dt>Monthly limit</dt>
              <dd id="egress-limit">
                {e.limitBytes === null
                  ? "No limit"
                  : `${mb(e.limitBytes)} (${percent(used / e.limitBytes)} used)`}
              </dd>
            </div>
          </dl>
          {e.limitBytes !== null && (
            <Meter value={used} max={e.limitBytes} label="Egress used of the monthly limit" />
          )}
        </>
      )}
      <form
        class="form-grid"
        onSubmit={(ev) => {
          ev.preventDefault();
          save(Number(limit));
        }}
      >
        <div class="field">
          <label for="egress-limit-mb">Monthly limit in MB</label>
          <input
            id="egress-limit-mb"
            type="number"
            inputMode="numeric"
            required
            min={1}
            step={1}
            placeholder={e?.limitBytes ? String(Math.round(e.limitBytes / MB)) : "1000"}
            value={limit}
            onInput={(ev) => setLimit(ev.currentTarget.value)}
          />
        </div>
        <div class="form-end row">
          <button type="submit" class="btn btn-primary" disabled={busy || limit === ""}>
            {busy ? "Saving…" : "Set limit"}
          </button>
          {e && e.limitBytes !== null && (
            <button
              type="button"
              class="btn"
              disabled={busy}
              onClick={() => save(undefined)}
            >
              Remove limit
            </button>
          )}
        </div>
      </form>
      <ErrorNote error={error} title="Could not change the limit" />
    </section>
  );
}

// --- files ------------------------------------------------------------------

const IMAGE = /^image\/(png|jpeg|gif|webp|avif|svg\+xml|x-icon|vnd\.microsoft\.icon)/;

function Files({ app }: { app: AppDetail }): VNode {
  const [version, setVersion] = useState<number | undefined>(app.version ?? undefined);
  const files = useApi<FileView[]>(
    app.version === null ? null : withQuery(path("apps", app.name, "files"), { version }),
  );
  const [selected, setSelected] = useState<string>();
  const file = useApi<FileContent>(
    selected === undefined
      ? null
      : withQuery(path("apps", app.name, "file"), { path: selected, version }),
  );
  useEffect(() => setSelected(undefined), [version]);

  if (app.version === null) {
    return <Empty title="No files">This app has no live version yet. Deploy one first.</Empty>;
  }
  return (
    <div class="stack">
      <div class="toolbar">
        <div class="field field-inline">
          <label for="files-version">Version</label>
          <select
            id="files-version"
            value={String(version)}
            onChange={(e) => setVersion(Number(e.currentTarget.value))}
          >
            {app.versions.map((v) => (
              <option key={v.number} value={String(v.number)}>
                v{v.number}
                {v.live ? " (live)" : ""}
              </option>
            ))}
          </select>
        </div>
        {files.data && (
          <span class="muted small">
            {count(files.data.length)} files · {bytes(files.data.reduce((n, f) => n + f.size, 0))}
          </span>
        )}
      </div>
      <ErrorNote error={files.error} title="Could not list the files" />
      {!files.data && !files.error && <Loading />}
      {files.data && (
        <div class="split">
          <div class="card card-flush file-list">
            <ul role="list">
              {files.data.map((f) => (
                <li key={f.path}>
                  <button
                    type="button"
                    class="file-item"
                    aria-pressed={selected === f.path}
                    onClick={() => setSelected(f.path)}
                  >
                    <span class="file-path mono">{f.path}</span>
                    <span class="muted small">{bytes(f.size)}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
          <section class="card preview" aria-label="File preview" aria-live="polite">
            {selected === undefined && <Empty title="Pick a file">Its content shows here.</Empty>}
            {selected !== undefined && (
              <>
                <div class="preview-head">
                  <span class="mono">{selected}</span>
                  <a
                    class="small"
                    href={app.url.replace(/\/$/, "") + "/" +
                      selected.split("/").map(encodeURIComponent).join("/")}
                    target="_blank"
                    rel="noopener noreferrer"
                  >
                    Open on the site<ExternalIcon />
                  </a>
                </div>
                <ErrorNote error={file.error} title="Could not read the file" />
                {file.loading && !file.data && <Loading />}
                {file.data && file.data.path === selected && <Preview file={file.data} />}
              </>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

function Preview({ file }: { file: FileContent }): VNode {
  if (file.encoding === "utf-8" && !file.contentType.startsWith("image/svg")) {
    return <pre class="code">{file.content}</pre>;
  }
  if (IMAGE.test(file.contentType)) {
    const src = file.encoding === "base64"
      ? `data:${file.contentType};base64,${file.content}`
      : `data:${file.contentType};charset=utf-8,${encodeURIComponent(file.content)}`;
    return (
      <div class="image-preview">
        <img src={src} alt={`Preview of ${file.path}`} />
        <p class="muted small">{file.contentType} · {bytes(file.size)}</p>
      </div>
    );
  }
  return (
    <p class="muted">
      Binary file ({file.contentType}, {bytes(file.size)}): no preview.
    </p>
  );
}

// --- logs -------------------------------------------------------------------

const LEVELS = ["debug", "info", "warn", "error"] as const;

function Logs({ app }: { app: AppView }): VNode {
  const [lines, setLines] = useState<LogView[]>([]);
  const [state, setState] = useState<"connecting" | "live" | "retrying" | "closed">(
    "connecting",
  );
  const [generation, setGeneration] = useState(0);
  const [streamError, setStreamError] = useState<unknown>();
  const [paused, setPaused] = useState(false);
  const [level, setLevel] = useState<(typeof LEVELS)[number]>("debug");
  const pausedRef = useRef(false);
  const held = useRef<LogView[]>([]);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    setLines([]);
    setState("connecting");
    setStreamError(undefined);
    const es = new EventSource(
      API_BASE + withQuery(path("apps", app.id, "logs", "stream"), { backlog: 200 }),
    );
    // Each (re)connection starts with the backlog again: start from a clean slate.
    es.onopen = () => {
      setLines([]);
      held.current = [];
      setState("live");
    };
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED) {
        setState("retrying");
        return;
      }
      // The server refused the stream: ask the API why (a 401 goes back to login).
      setState("closed");
      api("GET", withQuery(path("apps", app.id, "logs"), { limit: 1 })).then(
        () => setStreamError(new Error("The log stream closed.")),
        setStreamError,
      );
    };
    es.onmessage = (e) => {
      const entry = JSON.parse(e.data) as LogView;
      if (pausedRef.current) held.current.push(entry);
      else setLines((prev) => [...prev, entry].slice(-2000));
    };
    return () => es.close();
  }, [app.id, generation]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const togglePause = () => {
    const next = !paused;
    pausedRef.current = next;
    setPaused(next);
    if (!next && held.current.length) {
      const more = held.current;
      held.current = [];
      setLines((prev) => [...prev, ...more].slice(-2000));
    }
  };

  const min = LEVELS.indexOf(level);
  const shown = lines.filter((l) => LEVELS.indexOf(l.level) >= min);

  return (
    <div class="stack">
      <div class="toolbar">
        <span class={`live-dot live-${state}`} role="status">
          {state === "live"
            ? (paused ? "Paused" : "Live")
            : state === "connecting"
            ? "Connecting…"
            : state === "retrying"
            ? "Reconnecting…"
            : "Disconnected"}
        </span>
        {state === "closed" && (
          <button
            type="button"
            class="btn btn-small"
            onClick={() => setGeneration((g) => g + 1)}
          >
            Reconnect
          </button>
        )}
        <div class="field field-inline">
          <label for="log-level">Level</label>
          <select
            id="log-level"
            value={level}
            onChange={(e) => setLevel(e.currentTarget.value as (typeof LEVELS)[number])}
          >
            {LEVELS.map((l) => <option key={l} value={l}>{l} and up</option>)}
          </select>
        </div>
        <button type="button" class="btn btn-small" onClick={togglePause} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" class="btn btn-small" onClick={() => setLines([])}>
          Clear
        </button>
      </div>
      {state === "closed" && <ErrorNote error={streamError} title="The log stream stopped" />}
      <div
        ref={box}
        class="log"
        role="log"
        aria-label={`Logs of ${app.name}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 24;
        }}
      >
        {shown.length === 0 && (
          <p class="muted log-empty">
            No log lines yet. Deploys, rollbacks and your app's <code>console.log</code> show here.
          </p>
        )}
        {shown.map((l, i) => (
          <div key={i} class={`log-line log-${l.level}`}>
            <time dateTime={l.at} title={dateTime(l.at)}>{clock(l.at)}</time>
            <span class="log-level">{l.level}</span>
            <span class="log-source">{l.source}</span>
            <span class="log-msg">{l.message}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

// --- secrets ----------------------------------------------------------------

function Secrets({ app }: { app: AppView }): VNode {
  const list = useApi<SecretView[]>(path("apps", app.id, "secrets"));
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [removing, setRemoving] = useState<string>();

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api("PUT", path("apps", app.id, "secrets", name.trim()), { value });
      toast(`Secret ${name.trim()} saved.`);
      setName("");
      setValue("");
      await list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="stack-lg">
      <section class="card" aria-labelledby="secret-form-title">
        <h2 id="secret-form-title">Set a secret</h2>
        <p class="muted small">
          Your app reads it with <code>fazt.env.get("NAME")</code>. Values are never shown again.
        </p>
        <form class="form-grid" onSubmit={save}>
          <div class="field">
            <label for="secret-name">Name</label>
            <input
              id="secret-name"
              class="mono"
              required
              autoComplete="off"
              spellcheck={false}
              placeholder="API_KEY"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="secret-value">Value</label>
            <input
              id="secret-value"
              type="password"
              autoComplete="new-password"
              required
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
          </div>
          <div class="form-end">
            <button type="submit" class="btn btn-primary" disabled={busy}>
              {busy ? "Saving…" : "Save secret"}
            </button>
          </div>
        </form>
        <ErrorNote error={error} title="Could not save the secret" />
      </section>
      <section class="card card-flush" aria-labelledby="secrets-title">
        <div class="card-head">
          <h2 id="secrets-title">Secrets</h2>
        </div>
        <ErrorNote error={list.error} title="Could not load the secrets" />
        {list.data && list.data.length === 0 && (
          <Empty title="No secrets">Set API keys and passwords your app needs above.</Empty>
        )}
        {list.data && list.data.length > 0 && (
          <table class="table">
            <caption class="sr-only">Secrets of {app.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Updated</th>
                <th scope="col" class="num">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.name}>
                  <td data-label="Name" class="mono">{s.name}</td>
                  <td data-label="Updated">
                    <time dateTime={s.updatedAt} title={dateTime(s.updatedAt)}>
                      {ago(s.updatedAt)}
                    </time>
                  </td>
                  <td class="num">
                    <button
                      type="button"
                      class="btn btn-small btn-danger-ghost"
                      onClick={() => setRemoving(s.name)}
                      aria-label={`Remove secret ${s.name}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {removing && (
        <Confirm
          title={`Remove ${removing}?`}
          confirmLabel="Remove secret"
          danger
          onConfirm={async () => {
            await api("DELETE", path("apps", app.id, "secrets", removing));
            toast(`Secret ${removing} removed.`);
            await list.reload();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>{app.name} will no longer be able to read it.</p>
        </Confirm>
      )}
    </div>
  );
}

// --- routes -----------------------------------------------------------------

function Routes({ app }: { app: AppView }): VNode {
  const all = useApi<RouteView[]>("/routes");
  const routes = useMemo(() => (all.data ?? []).filter((r) => r.appId === app.id), [all.data]);
  const [host, setHost] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [removing, setRemoving] = useState<string>();

  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<RouteView>("POST", "/routes", { host: host.trim(), app: app.id });
      toast(`${shortUrl(r.url)} now serves ${app.name}.`);
      setHost("");
      await all.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="stack-lg">
      <section class="card" aria-labelledby="route-form-title">
        <h2 id="route-form-title">Add an address</h2>
        <p class="muted small">
          An alias serves this app on another subdomain too. Use <code>@</code>{" "}
          to serve it on the server's own domain.
        </p>
        <form class="form-grid" onSubmit={add}>
          <div class="field">
            <label for="route-host">Subdomain or @</label>
            <input
              id="route-host"
              required
              autoComplete="off"
              spellcheck={false}
              autoCapitalize="off"
              placeholder="journal"
              value={host}
              onInput={(e) => setHost(e.currentTarget.value)}
            />
          </div>
          <div class="form-end">
            <button type="submit" class="btn btn-primary" disabled={busy}>
              {busy ? "Adding…" : "Add route"}
            </button>
          </div>
        </form>
        <ErrorNote error={error} title="Could not add the route" />
      </section>
      <section class="card card-flush" aria-labelledby="routes-title">
        <div class="card-head">
          <h2 id="routes-title">Addresses</h2>
        </div>
        <ErrorNote error={all.error} title="Could not load the routes" />
        <table class="table">
          <caption class="sr-only">Addresses of {app.name}</caption>
          <tbody>
            <tr>
              <td data-label="Address">
                <a href={app.url} target="_blank" rel="noopener noreferrer">
                  {shortUrl(app.url)}
                  <ExternalIcon />
                </a>
              </td>
              <td class="muted small">Its name</td>
              <td />
            </tr>
            {routes.map((r) => (
              <tr key={r.host}>
                <td data-label="Address">
                  <a href={r.url} target="_blank" rel="noopener noreferrer">
                    {shortUrl(r.url)}
                    <ExternalIcon />
                  </a>
                </td>
                <td class="muted small">{r.host === "@" ? "Root domain" : "Alias"}</td>
                <td class="num">
                  <button
                    type="button"
                    class="btn btn-small btn-danger-ghost"
                    onClick={() => setRemoving(r.host)}
                    aria-label={`Remove route ${r.host}`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {removing && (
        <Confirm
          title={`Remove the route ${removing}?`}
          confirmLabel="Remove route"
          danger
          onConfirm={async () => {
            await api("DELETE", path("routes", removing));
            toast(`Route ${removing} removed.`);
            await all.reload();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>The app stays; only this address stops serving it.</p>
        </Confirm>
      )}
    </div>
  );
}

// --- settings ---------------------------------------------------------------

function Settings({ app }: { app: AppDetail }): VNode {
  const [name, setName] = useState(app.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState(false);

  const rename = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const renamed = await api<AppView>("POST", path("apps", app.id, "rename"), {
        name: name.trim(),
      });
      toast(`Renamed to ${renamed.name}.`);
      navigate(`/_fazt/apps/${encodeURIComponent(renamed.name)}/settings`, true);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div class="stack-lg">
      <section class="card" aria-labelledby="rename-title">
        <h2 id="rename-title">Rename</h2>
        <p class="muted small">
          The name is also the subdomain. The app keeps its ID{" "}
          <code>{app.id}</code>, files, data and logs.
        </p>
        <form class="form-grid" onSubmit={rename}>
          <div class="field">
            <label for="rename-name">New name</label>
            <input
              id="rename-name"
              required
              autoComplete="off"
              spellcheck={false}
              autoCapitalize="off"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </div>
          <div class="form-end">
            <button
              type="submit"
              class="btn btn-primary"
              disabled={busy || name.trim() === app.name}
            >
              {busy ? "Renaming…" : "Rename"}
            </button>
          </div>
        </form>
        <ErrorNote error={error} title="Could not rename" />
      </section>
      <section class="card card-danger" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete this app</h2>
        <p class="muted small">
          Deletes every version, file, secret and piece of data of{" "}
          {app.name}. This cannot be undone.
        </p>
        <button type="button" class="btn btn-danger" onClick={() => setDeleting(true)}>
          Delete {app.name}…
        </button>
      </section>
      {deleting && (
        <Confirm
          title={`Delete ${app.name}?`}
          confirmLabel="Delete app"
          danger
          requireText={app.name}
          onConfirm={async () => {
            await api("DELETE", path("apps", app.id));
            toast(`Deleted ${app.name}.`);
            navigate("/_fazt/apps");
          }}
          onClose={() => setDeleting(false)}
        >
          <p>
            {app.name} and its {app.versions.length}{" "}
            versions, files, secrets and data are removed for good.
          </p>
        </Confirm>
      )}
    </div>
  );
}
