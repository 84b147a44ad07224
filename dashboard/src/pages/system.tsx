/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * The server: version and uptime, memory, the content cache, storage, the
 * app sandbox pool, and any other state `system.stats` reports (such as
 * guards and breakers), refreshed every few seconds.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { AppView } from "../api.ts";
import { bytes, count, dateTime, duration, percent } from "../format.ts";
import { ErrorNote, Loading, Meter, PageHeader, Stat, useApi } from "../ui.tsx";

interface Info {
  version: string;
  domain: string;
  url: string;
  startedAt: string;
  uptimeSeconds: number;
  dataDir: string;
  schemaVersion: number;
  apps: number;
  [more: string]: unknown;
}

interface Stats {
  memory?: { rss: number; heapUsed: number; heapTotal: number };
  cache?: {
    bytes: number;
    budget: number;
    entries: number;
    hits: number;
    misses: number;
    hitRate: number;
  };
  storage?: { databaseBytes: number; blobs: number; blobBytes: number; versions: number };
  apps?: number;
  uptimeSeconds?: number;
  runtime?: {
    warm: number;
    spare: boolean;
    coldStarts: number;
    killed: number;
    evicted: number;
    processes: {
      appId: string;
      versionId: number;
      pid: number;
      inflight: number;
      idleMs: number;
    }[];
  };
  [more: string]: unknown;
}

const KNOWN_STATS = new Set(["memory", "cache", "storage", "apps", "uptimeSeconds", "runtime"]);
const KNOWN_INFO = new Set([
  "version",
  "domain",
  "url",
  "startedAt",
  "uptimeSeconds",
  "dataDir",
  "schemaVersion",
  "apps",
  "cache",
]);

function label(key: string): string {
  const s = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function guessValue(key: string, v: unknown): string {
  if (typeof v === "number") {
    if (/bytes|rss|heap|budget|size/i.test(key)) return bytes(v);
    if (/ms$/i.test(key)) return `${count(Math.round(v))} ms`;
    if (/seconds$/i.test(key)) return duration(v);
    if (/rate|ratio/i.test(key)) return percent(v);
    return count(v);
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === null) return "–";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** Renders any JSON value as nested key/value lists (for fields this page does not know). */
function Generic({ value, name }: { value: unknown; name: string }): VNode {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return (
      <dl class="kv">
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <div key={k} class="kv-row">
            <dt>{label(k)}</dt>
            <dd>
              {v && typeof v === "object" && !Array.isArray(v)
                ? <Generic value={v} name={k} />
                : guessValue(k, v)}
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <span>{guessValue(name, value)}</span>;
}

/** The system page. */
export function SystemPage(): VNode {
  const info = useApi<Info>("/system/info");
  const stats = useApi<Stats>("/system/stats");
  const apps = useApi<AppView[]>("/apps");
  const [updated, setUpdated] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      await Promise.all([stats.reload(), info.reload()]);
      setUpdated(Date.now());
    }, 5000);
    return () => clearInterval(timer);
  }, [stats.reload, info.reload]);

  const i = info.data;
  const s = stats.data;
  const appName = (id: string) => apps.data?.find((a) => a.id === id)?.name ?? id;
  const extra = s ? Object.entries(s).filter(([k]) => !KNOWN_STATS.has(k)) : [];
  const extraInfo = i ? Object.entries(i).filter(([k]) => !KNOWN_INFO.has(k)) : [];

  return (
    <>
      <PageHeader
        title="System"
        sub={
          <span aria-live="off">
            Refreshes every 5 s · updated {new Date(updated).toLocaleTimeString("en-US")}
          </span>
        }
      />
      <ErrorNote error={info.error} title="Could not load the server info" />
      <ErrorNote error={stats.error} title="Could not load the statistics" />
      {(!i || !s) && !info.error && !stats.error && <Loading />}
      {i && (
        <div class="stats">
          <Stat label="Version" value={`fazt ${i.version}`} hint={`schema ${i.schemaVersion}`} />
          <Stat
            label="Uptime"
            value={duration(i.uptimeSeconds)}
            hint={<time dateTime={i.startedAt}>since {dateTime(i.startedAt)}</time>}
          />
          <Stat label="Apps" value={count(i.apps)} hint={i.domain} />
          {s?.memory && (
            <Stat
              label="Memory"
              value={bytes(s.memory.rss)}
              hint={`heap ${bytes(s.memory.heapUsed)} of ${bytes(s.memory.heapTotal)}`}
            />
          )}
        </div>
      )}
      {s && (
        <div class="grid-2">
          {s.memory && (
            <section class="card" aria-labelledby="mem-title">
              <h2 id="mem-title">Memory</h2>
              <dl class="kv">
                <div class="kv-row">
                  <dt>Resident (RSS)</dt>
                  <dd>{bytes(s.memory.rss)}</dd>
                </div>
                <div class="kv-row">
                  <dt>JS heap</dt>
                  <dd>{bytes(s.memory.heapUsed)} of {bytes(s.memory.heapTotal)}</dd>
                </div>
              </dl>
              <Meter value={s.memory.heapUsed} max={s.memory.heapTotal} label="JS heap use" />
            </section>
          )}
          {s.cache && (
            <section class="card" aria-labelledby="cache-title">
              <h2 id="cache-title">Content cache</h2>
              <dl class="kv">
                <div class="kv-row">
                  <dt>Used</dt>
                  <dd>{bytes(s.cache.bytes)} of {bytes(s.cache.budget)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Entries</dt>
                  <dd>{count(s.cache.entries)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Hit rate</dt>
                  <dd>
                    {percent(s.cache.hitRate)} ({count(s.cache.hits)} hits, {count(s.cache.misses)}
                    {" "}
                    misses)
                  </dd>
                </div>
              </dl>
              <Meter value={s.cache.bytes} max={s.cache.budget} label="Content cache use" />
            </section>
          )}
          {s.storage && (
            <section class="card" aria-labelledby="disk-title">
              <h2 id="disk-title">Storage</h2>
              <dl class="kv">
                <div class="kv-row">
                  <dt>Database</dt>
                  <dd>{bytes(s.storage.databaseBytes)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Blobs</dt>
                  <dd>{count(s.storage.blobs)} · {bytes(s.storage.blobBytes)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Versions kept</dt>
                  <dd>{count(s.storage.versions)}</dd>
                </div>
                {i && (
                  <div class="kv-row">
                    <dt>Data folder</dt>
                    <dd class="mono break">{i.dataDir}</dd>
                  </div>
                )}
              </dl>
            </section>
          )}
          {s.runtime && (
            <section class="card" aria-labelledby="pool-title">
              <h2 id="pool-title">App sandboxes</h2>
              <dl class="kv">
                <div class="kv-row">
                  <dt>Warm</dt>
                  <dd>{count(s.runtime.warm)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Spare ready</dt>
                  <dd>{s.runtime.spare ? "yes" : "no"}</dd>
                </div>
                <div class="kv-row">
                  <dt>Cold starts</dt>
                  <dd>{count(s.runtime.coldStarts)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Killed</dt>
                  <dd>{count(s.runtime.killed)}</dd>
                </div>
                <div class="kv-row">
                  <dt>Evicted</dt>
                  <dd>{count(s.runtime.evicted)}</dd>
                </div>
              </dl>
              {s.runtime.processes.length > 0 && (
                <table class="table table-compact">
                  <caption class="sr-only">Sandbox processes</caption>
                  <thead>
                    <tr>
                      <th scope="col">App</th>
                      <th scope="col">PID</th>
                      <th scope="col" class="num">In flight</th>
                      <th scope="col" class="num">Idle</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.runtime.processes.map((p) => (
                      <tr key={p.pid}>
                        <td data-label="App">{appName(p.appId)}</td>
                        <td data-label="PID" class="mono">{p.pid}</td>
                        <td data-label="In flight" class="num">{p.inflight}</td>
                        <td data-label="Idle" class="num">{duration(p.idleMs / 1000)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          )}
          {[...extraInfo, ...extra].map(([k, v]) => (
            <section key={k} class="card" aria-labelledby={`extra-${k}`}>
              <h2 id={`extra-${k}`}>{label(k)}</h2>
              <Generic value={v} name={k} />
            </section>
          ))}
        </div>
      )}
    </>
  );
}
