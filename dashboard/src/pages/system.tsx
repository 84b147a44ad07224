/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * The server: version and uptime, memory, the content cache, storage, the
 * app sandbox pool, any other state `system.stats` reports, and the
 * breakers from `system.status` (memory guard, cache, disk, shedding and
 * the per-IP rate limit, the runtime pool and egress per app), refreshed every few seconds.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { AppView, EgressView } from "../api.ts";
import { bytes, count, dateTime, duration, mb, percent } from "../format.ts";
import { Empty, ErrorNote, Link, Loading, Meter, PageHeader, Stat, useApi } from "../ui.tsx";

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

/** What `system.status` answers: the breakers and pressure. */
interface Status {
  memory: {
    kernelRss: number;
    guard: {
      rss: number;
      level: string;
      trips: { shrink: number; evict: number; shed: number };
    } | null;
  };
  cache: { bytes: number; budget: number; entries: number; hitRate: number };
  disk: {
    tripped: boolean;
    reason: string | null;
    volume: { total: number; used: number; ratio: number } | null;
    maxUsedRatio: number;
    dataBytes: number;
    quotaBytes: number | null;
  };
  egress: (EgressView & { appId: string })[];
  runtime: { warm: number; spare: boolean; coldStarts: number; killed: number; evicted: number };
  shedding: {
    pressure: string;
    userInflight: number;
    userShed: number;
    cockpitInflight: number;
    cockpitShed: number;
    userQueued: number;
    userDeferred: number;
  };
  rateLimit: { rate: number; burst: number; trackedIps: number; maxIps: number; limited: number };
}

/** A level as a badge: green when `ok`, amber otherwise. */
function Level({ value }: { value: string }): VNode {
  return <span class={`badge ${value === "ok" ? "badge-ok" : "badge-warn"}`}>{value}</span>;
}

/** One `dt`/`dd` row. */
function Row({ k, children }: { k: string; children: ComponentChildren }): VNode {
  return (
    <div class="kv-row">
      <dt>{k}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The breakers section. */
function Breakers(
  { s, appName }: { s: Status; appName: (id: string) => string },
): VNode {
  const { memory, cache, disk, shedding, runtime, rateLimit } = s;
  const g = memory.guard;
  return (
    <section class="stack breakers" aria-labelledby="breakers-title">
      <h2 id="breakers-title" class="section-title">Breakers</h2>
      {disk.tripped && (
        <div class="note note-error" role="alert">
          <strong>Disk breaker tripped: writes are refused</strong>
          <span>{disk.reason ?? "The data folder is over its limit."}</span>
        </div>
      )}
      <div class="grid-2">
        <section class="card" aria-labelledby="br-mem">
          <h3 id="br-mem">Memory</h3>
          <dl class="kv">
            <Row k="Kernel RSS">{bytes(memory.kernelRss)}</Row>
            {g && (
              <>
                <Row k="Guard level">
                  <Level value={g.level} />
                </Row>
                <Row k="Guard RSS">{bytes(g.rss)}</Row>
                <Row k="Trips">
                  {count(g.trips.shrink)} shrink · {count(g.trips.evict)} evict ·{" "}
                  {count(g.trips.shed)} shed
                </Row>
              </>
            )}
          </dl>
        </section>
        <section class="card" aria-labelledby="br-cache">
          <h3 id="br-cache">Cache</h3>
          <dl class="kv">
            <Row k="Size">{bytes(cache.bytes)} of {bytes(cache.budget)}</Row>
            <Row k="Entries">{count(cache.entries)}</Row>
            <Row k="Hit rate">{percent(cache.hitRate)}</Row>
          </dl>
          <Meter value={cache.bytes} max={cache.budget} label="Cache size of its budget" />
        </section>
        <section class={`card${disk.tripped ? " card-danger" : ""}`} aria-labelledby="br-disk">
          <h3 id="br-disk">
            Disk {disk.tripped
              ? <span class="badge badge-danger">TRIPPED</span>
              : <span class="badge badge-ok">ok</span>}
          </h3>
          <dl class="kv">
            <Row k="Volume used">
              {disk.volume
                ? `${percent(disk.volume.ratio)} (${bytes(disk.volume.used)} of ${
                  bytes(disk.volume.total)
                })`
                : "unknown"}
            </Row>
            <Row k="Limit">{percent(disk.maxUsedRatio)}</Row>
            <Row k="Data folder">{bytes(disk.dataBytes)}</Row>
            <Row k="Quota">{disk.quotaBytes === null ? "none" : bytes(disk.quotaBytes)}</Row>
            {disk.tripped && <Row k="Reason">{disk.reason ?? "–"}</Row>}
          </dl>
          {disk.volume && (
            <Meter
              value={disk.volume.ratio}
              max={disk.maxUsedRatio}
              label="Disk use of its limit"
            />
          )}
        </section>
        <section class="card" aria-labelledby="br-shed">
          <h3 id="br-shed">Shedding</h3>
          <dl class="kv">
            <Row k="Pressure">
              <Level value={shedding.pressure} />
            </Row>
            <Row k="App requests">
              {count(shedding.userInflight)} in flight · {count(shedding.userShed)} shed
            </Row>
            <Row k="Waited for the owner">
              {count(shedding.userQueued)} now · {count(shedding.userDeferred)} in all
            </Row>
            <Row k="Owner requests">
              {count(shedding.cockpitInflight)} in flight · {count(shedding.cockpitShed)} shed
            </Row>
            <Row k="Per-IP limit">
              {rateLimit.rate === 0
                ? "off"
                : `${count(rateLimit.rate)}/s (burst ${count(rateLimit.burst)}) · ${
                  count(rateLimit.limited)
                } limited · ${count(rateLimit.trackedIps)} IPs`}
            </Row>
          </dl>
        </section>
        <section class="card" aria-labelledby="br-pool">
          <h3 id="br-pool">Runtime pool</h3>
          <dl class="kv">
            <Row k="Warm">{count(runtime.warm)}</Row>
            <Row k="Spare ready">{runtime.spare ? "yes" : "no"}</Row>
            <Row k="Cold starts">{count(runtime.coldStarts)}</Row>
            <Row k="Killed">{count(runtime.killed)}</Row>
            <Row k="Evicted">{count(runtime.evicted)}</Row>
          </dl>
        </section>
      </div>
      <section class="card card-flush" aria-labelledby="br-egress">
        <div class="card-head">
          <h3 id="br-egress">Egress this month</h3>
          <p class="muted small">Bytes served and fetched per app (UTC month).</p>
        </div>
        {s.egress.length === 0
          ? <Empty title="No egress yet">No app has served or fetched anything this month.</Empty>
          : (
            <table class="table">
              <caption class="sr-only">Egress per app this month</caption>
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col" class="num">Served</th>
                  <th scope="col" class="num">Fetched</th>
                  <th scope="col" class="num">Limit</th>
                </tr>
              </thead>
              <tbody>
                {s.egress.map((e) => {
                  const name = appName(e.appId);
                  const used = e.servedBytes + e.fetchedBytes;
                  return (
                    <tr key={e.appId}>
                      <td data-label="App">
                        <Link href={`/_fazt/apps/${encodeURIComponent(name)}`}>{name}</Link>
                      </td>
                      <td data-label="Served" class="num">{bytes(e.servedBytes)}</td>
                      <td data-label="Fetched" class="num">{bytes(e.fetchedBytes)}</td>
                      <td data-label="Limit" class="num">
                        {e.limitBytes === null
                          ? "none"
                          : `${mb(e.limitBytes)} (${percent(used / e.limitBytes)})`}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
      </section>
    </section>
  );
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
  const status = useApi<Status>("/system/status");
  const apps = useApi<AppView[]>("/apps");
  const [updated, setUpdated] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      await Promise.all([stats.reload(), info.reload(), status.reload()]);
      setUpdated(Date.now());
    }, 5000);
    return () => clearInterval(timer);
  }, [stats.reload, info.reload, status.reload]);

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
      <ErrorNote error={status.error} title="Could not load the breakers" />
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
      {status.data && <Breakers s={status.data} appName={appName} />}
    </>
  );
}
