/**
 * The server's own figures (`system.stats`, `system.info`): memory, the
 * content cache, storage, the app sandboxes with their processes, and a
 * card for anything else the API reports that this page does not know by
 * name.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { count, duration, formatBytes, percent } from "../../lib/format.ts";
import { Card } from "../../components/card.tsx";
import { Detail, DetailsList } from "../../components/details_list.tsx";
import { Meter } from "../../components/meter.tsx";
import { type Column, Table } from "../../components/table.tsx";
import { GenericValue, label } from "./generic_value.tsx";
import { PoolDetails } from "./pool_details.tsx";

type Stats = Output<"system.stats">;
type Info = Output<"system.info">;
type Process = Stats["runtime"]["processes"][number];

/** The `system.stats` fields the cards below show by name. */
const KNOWN_STATS = new Set(["memory", "cache", "storage", "apps", "uptimeSeconds", "runtime"]);

/** The `system.info` fields the page shows by name. */
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

/** Props of {@linkcode ServerCards}. */
export interface ServerCardsProps {
  /** `system.stats`. */
  s: Stats;
  /** `system.info`, once loaded. */
  i: Info | undefined;
  /** An app's name from its ID. */
  appName: (id: string) => string;
}

/** The cards. */
export function ServerCards({ s, i, appName }: ServerCardsProps): VNode {
  const processColumns: Column<Process>[] = [
    { label: "App", cell: (p) => appName(p.appId) },
    { label: "PID", class: "mono", cell: (p) => p.pid },
    { label: "In flight", num: true, cell: (p) => p.inflight },
    { label: "Idle", num: true, cell: (p) => duration(p.idleMs / 1000) },
  ];
  const extra = [
    ...(i ? Object.entries(i).filter(([k]) => !KNOWN_INFO.has(k)) : []),
    ...Object.entries(s).filter(([k]) => !KNOWN_STATS.has(k)),
  ];
  return (
    <div class="grid-2">
      <Card titleId="mem-title" title="Memory">
        <DetailsList>
          <Detail name="Resident (RSS)">{formatBytes(s.memory.rss)}</Detail>
          <Detail name="JS heap">
            {formatBytes(s.memory.heapUsed)} of {formatBytes(s.memory.heapTotal)}
          </Detail>
        </DetailsList>
      </Card>
      <Card titleId="cache-title" title="Content cache">
        <DetailsList>
          <Detail name="Used">{formatBytes(s.cache.bytes)} of {formatBytes(s.cache.budget)}</Detail>
          <Detail name="Entries">{count(s.cache.entries)}</Detail>
          <Detail name="Hit rate">
            {percent(s.cache.hitRate)} ({count(s.cache.hits)} hits, {count(s.cache.misses)} misses)
          </Detail>
        </DetailsList>
        <Meter value={s.cache.bytes} max={s.cache.budget} label="Content cache use" />
      </Card>
      <Card titleId="disk-title" title="Storage">
        <DetailsList>
          <Detail name="Database">{formatBytes(s.storage.databaseBytes)}</Detail>
          <Detail name="Blobs">
            {count(s.storage.blobs)} · {formatBytes(s.storage.blobBytes)}
          </Detail>
          <Detail name="Versions kept">{count(s.storage.versions)}</Detail>
          {i && <Detail name="Data folder" class="mono break">{i.dataDir}</Detail>}
        </DetailsList>
      </Card>
      <Card titleId="pool-title" title="App sandboxes">
        <PoolDetails runtime={s.runtime} />
        {s.runtime.processes.length > 0 && (
          <Table
            class="table-compact"
            caption="Sandbox processes"
            columns={processColumns}
            rows={s.runtime.processes}
            rowKey={(p) => p.pid}
          />
        )}
      </Card>
      {extra.map(([k, v]) => (
        <Card key={k} titleId={`extra-${k}`} title={label(k)}>
          <GenericValue value={v} name={k} />
        </Card>
      ))}
    </div>
  );
}
