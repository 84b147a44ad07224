/**
 * The system page: version and uptime, then the server's figures
 * (`server_cards.tsx`) and the breakers (`breakers.tsx`), refreshed every
 * five seconds while the page is visible.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { count, dateTime, duration, formatBytes } from "../../lib/format.ts";
import { useOp } from "../../lib/use_op.ts";
import { ErrorNote } from "../../components/error_note.tsx";
import { Loading } from "../../components/loading.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { Stat } from "../../components/stat.tsx";
import { Breakers } from "./breakers.tsx";
import { ServerCards } from "./server_cards.tsx";

/** How often the page refreshes, in milliseconds. */
const REFRESH_MS = 5000;

/** The system page. */
export function SystemPage(): VNode {
  const info = useOp("system.info", {});
  const stats = useOp("system.stats", {});
  const status = useOp("system.status", {});
  const apps = useOp("apps.list", {});
  const [updated, setUpdated] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      await Promise.all([stats.reload(), info.reload(), status.reload()]);
      setUpdated(Date.now());
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [stats.reload, info.reload, status.reload]);

  const i = info.data;
  const s = stats.data;
  const appName = (id: string) => apps.data?.find((a) => a.id === id)?.name ?? id;

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
          {s && (
            <Stat
              label="Memory"
              value={formatBytes(s.memory.rss)}
              hint={`heap ${formatBytes(s.memory.heapUsed)} of ${formatBytes(s.memory.heapTotal)}`}
            />
          )}
        </div>
      )}
      {s && <ServerCards s={s} i={i} appName={appName} />}
      {status.data && <Breakers s={status.data} appName={appName} />}
    </>
  );
}
