/**
 * The breakers and pressure (`system.status`): the memory guard, the
 * content cache, the kernel store (size, free pages, vacuum), the disk
 * breaker (a banner when it has tripped), request
 * shedding and the per-IP rate limit, the runtime pool, and egress per app.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { count, formatBytes, percent } from "../../lib/format.ts";
import { Card } from "../../components/card.tsx";
import { Detail, DetailsList } from "../../components/details_list.tsx";
import { Meter } from "../../components/meter.tsx";
import { EgressTable } from "./egress_table.tsx";
import { LevelBadge } from "./level_badge.tsx";
import { PoolDetails } from "./pool_details.tsx";

type Status = Output<"system.status">;

function MemoryCard({ memory }: { memory: Status["memory"] }): VNode {
  const g = memory.guard;
  return (
    <Card titleId="br-mem" title="Memory" level={3}>
      <DetailsList>
        <Detail name="Kernel RSS">{formatBytes(memory.kernelRss)}</Detail>
        {g && (
          <>
            <Detail name="Guard level">
              <LevelBadge value={g.level} />
            </Detail>
            <Detail name="Guard RSS">{formatBytes(g.rss)}</Detail>
            <Detail name="Trips">
              {count(g.trips.shrink)} shrink · {count(g.trips.evict)} evict · {count(g.trips.shed)}
              {" "}
              shed
            </Detail>
          </>
        )}
      </DetailsList>
    </Card>
  );
}

function CacheCard({ cache }: { cache: Status["cache"] }): VNode {
  return (
    <Card titleId="br-cache" title="Cache" level={3}>
      <DetailsList>
        <Detail name="Size">{formatBytes(cache.bytes)} of {formatBytes(cache.budget)}</Detail>
        <Detail name="Entries">{count(cache.entries)}</Detail>
        <Detail name="Hit rate">{percent(cache.hitRate)}</Detail>
      </DetailsList>
      <Meter value={cache.bytes} max={cache.budget} label="Cache size of its budget" />
    </Card>
  );
}

function StoreCard({ store }: { store: Status["store"] }): VNode {
  const v = store.vacuum;
  return (
    <Card titleId="br-store" title="Store" level={3}>
      <DetailsList>
        <Detail name="Size">
          {formatBytes(store.fileBytes)} (WAL {formatBytes(store.walBytes)})
        </Detail>
        <Detail name="Free pages">
          {count(store.freePages)} ({formatBytes(store.freeBytes)})
        </Detail>
        <Detail name="Gives space back">
          {store.autoVacuum === "incremental"
            ? (v.running ? "now, in small steps" : "in the background, after deletes")
            : "no: this file was not made by fazt; free pages are reused by later writes"}
        </Detail>
        <Detail name="Given back">
          {formatBytes(v.pagesFreed * store.pageSize)} in {count(v.steps)} steps (longest{" "}
          {v.maxStepMs.toFixed(1)} ms)
        </Detail>
      </DetailsList>
      <Meter
        value={store.freeBytes}
        max={Math.max(store.fileBytes, 1)}
        label="Free pages of the store file"
      />
    </Card>
  );
}

function DiskCard({ disk }: { disk: Status["disk"] }): VNode {
  const title = (
    <>
      Disk {disk.tripped
        ? <span class="badge badge-danger">TRIPPED</span>
        : <span class="badge badge-ok">ok</span>}
    </>
  );
  return (
    <Card titleId="br-disk" title={title} level={3} class={disk.tripped ? "card-danger" : ""}>
      <DetailsList>
        <Detail name="Volume used">
          {disk.volume
            ? `${percent(disk.volume.ratio)} (${formatBytes(disk.volume.used)} of ${
              formatBytes(disk.volume.total)
            })`
            : "unknown"}
        </Detail>
        <Detail name="Limit">{percent(disk.maxUsedRatio)}</Detail>
        <Detail name="Data folder">{formatBytes(disk.dataBytes)}</Detail>
        <Detail name="Quota">
          {disk.quotaBytes === null ? "none" : formatBytes(disk.quotaBytes)}
        </Detail>
        {disk.tripped && <Detail name="Reason">{disk.reason ?? "–"}</Detail>}
      </DetailsList>
      {disk.volume && (
        <Meter value={disk.volume.ratio} max={disk.maxUsedRatio} label="Disk use of its limit" />
      )}
    </Card>
  );
}

function SheddingCard(
  { shedding, rateLimit }: Pick<Status, "shedding" | "rateLimit">,
): VNode {
  return (
    <Card titleId="br-shed" title="Shedding" level={3}>
      <DetailsList>
        <Detail name="Pressure">
          <LevelBadge value={shedding.pressure} />
        </Detail>
        <Detail name="App requests">
          {count(shedding.userInflight)} in flight · {count(shedding.userShed)} shed
        </Detail>
        <Detail name="Waited for the owner">
          {count(shedding.userQueued)} now · {count(shedding.userDeferred)} in all
        </Detail>
        <Detail name="Owner requests">
          {count(shedding.cockpitInflight)} in flight · {count(shedding.cockpitShed)} shed
        </Detail>
        <Detail name="Per-IP limit">
          {rateLimit.rate === 0
            ? "off"
            : `${count(rateLimit.rate)}/s (burst ${count(rateLimit.burst)}) · ${
              count(rateLimit.limited)
            } limited · ${count(rateLimit.trackedIps)} IPs`}
        </Detail>
      </DetailsList>
    </Card>
  );
}

/** The breakers section. */
export function Breakers(
  { s, appName }: { s: Status; appName: (id: string) => string },
): VNode {
  const { disk } = s;
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
        <MemoryCard memory={s.memory} />
        <CacheCard cache={s.cache} />
        <StoreCard store={s.store} />
        <DiskCard disk={disk} />
        <SheddingCard shedding={s.shedding} rateLimit={s.rateLimit} />
        <Card titleId="br-pool" title="Runtime pool" level={3}>
          <PoolDetails runtime={s.runtime} />
        </Card>
      </div>
      <EgressTable egress={s.egress} appName={appName} />
    </section>
  );
}
