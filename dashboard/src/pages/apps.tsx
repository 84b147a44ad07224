/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * The apps page: every app with its status, address, size, last deploy and
 * traffic, and the drop zone that deploys a new one.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type AppDetail, type AppView, path } from "../api.ts";
import { ago, bytes, count, dateTime, shortUrl } from "../format.ts";
import { navigate } from "../router.ts";
import { DeployZone } from "../deploy.tsx";
import {
  AppsIcon,
  Empty,
  ErrorNote,
  ExternalIcon,
  Link,
  Loading,
  PageHeader,
  toast,
  useApi,
} from "../ui.tsx";

/** The status badge of an app. */
export function StatusBadge({ app }: { app: AppView }): VNode {
  return app.version === null
    ? <span class="badge">No version</span>
    : <span class="badge badge-ok">Live · v{app.version}</span>;
}

/** The apps page. */
export function AppsPage(): VNode {
  const list = useApi<AppView[]>("/apps");
  const [details, setDetails] = useState<Record<string, AppDetail>>({});
  const [filter, setFilter] = useState("");

  useEffect(() => {
    if (!list.data) return;
    let live = true;
    // Traffic and the last deploy come from apps.get, a few apps at a time.
    const queue = [...list.data];
    const worker = async () => {
      for (let a = queue.shift(); a && live; a = queue.shift()) {
        try {
          const d = await api<AppDetail>("GET", path("apps", a.id));
          if (live) setDetails((prev) => ({ ...prev, [a.id]: d }));
        } catch { /* the row shows what apps.list gave */ }
      }
    };
    for (let i = 0; i < 4; i++) worker();
    return () => {
      live = false;
    };
  }, [list.data]);

  const deployed = (out: { app: AppView; created: boolean; version: { number: number } }) => {
    toast(
      out.created
        ? `Created ${out.app.name}: version ${out.version.number} is live.`
        : `Deployed ${out.app.name}: version ${out.version.number} is live.`,
    );
    navigate(`/_fazt/apps/${encodeURIComponent(out.app.name)}`);
  };

  const apps = list.data ?? [];
  const q = filter.trim().toLowerCase();
  const shown = q
    ? apps.filter((a) => a.name.includes(q) || (a.title ?? "").toLowerCase().includes(q))
    : apps;

  return (
    <>
      <PageHeader
        title="Apps"
        sub={list.data ? `${apps.length} ${apps.length === 1 ? "app" : "apps"}` : undefined}
      />
      {list.error && <ErrorNote error={list.error} title="Could not load the apps" />}
      {!list.data && !list.error && <Loading />}
      {list.data && apps.length === 0 && (
        <>
          <Empty title="No apps yet" icon={<AppsIcon />}>
            Drop a folder with an <code>index.html</code> below and it is live at its own address.
          </Empty>
          <DeployZone onDeployed={deployed} large />
        </>
      )}
      {list.data && apps.length > 0 && (
        <>
          <DeployZone onDeployed={deployed} />
          {apps.length > 6 && (
            <div class="field field-inline">
              <label for="app-filter">Filter apps</label>
              <input
                id="app-filter"
                type="search"
                value={filter}
                placeholder="Name or title"
                onInput={(e) => setFilter(e.currentTarget.value)}
              />
            </div>
          )}
          <div class="card card-flush">
            <table class="table table-apps">
              <caption class="sr-only">Apps</caption>
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Status</th>
                  <th scope="col">Size</th>
                  <th scope="col">Last deploy</th>
                  <th scope="col" class="num">Traffic 24 h</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((a) => {
                  const d = details[a.id];
                  const last = d?.versions.find((v) => v.live)?.createdAt ?? a.updatedAt;
                  return (
                    <tr key={a.id}>
                      <td data-label="App">
                        <Link class="app-name" href={`/_fazt/apps/${encodeURIComponent(a.name)}`}>
                          {a.name}
                        </Link>
                        <a class="app-url" href={a.url} target="_blank" rel="noopener noreferrer">
                          {shortUrl(a.url)}
                          <ExternalIcon />
                          <span class="sr-only">(opens in a new tab)</span>
                        </a>
                        {a.title && <div class="muted small">{a.title}</div>}
                      </td>
                      <td data-label="Status">
                        <StatusBadge app={a} />
                      </td>
                      <td data-label="Size">
                        {count(a.files)} {a.files === 1 ? "file" : "files"} · {bytes(a.bytes)}
                      </td>
                      <td data-label="Last deploy">
                        <time dateTime={last} title={dateTime(last)}>{ago(last)}</time>
                      </td>
                      <td data-label="Traffic 24 h" class="num">
                        {d
                          ? `${count(d.traffic24h.requests)} req · ${bytes(d.traffic24h.bytesOut)}`
                          : "…"}
                      </td>
                    </tr>
                  );
                })}
                {shown.length === 0 && (
                  <tr>
                    <td colSpan={5} class="muted">No app matches “{filter}”.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
