/**
 * Egress this month per app (`system.status`): bytes served and fetched,
 * and each app's monthly limit with how much of it is used.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { formatBytes, percent } from "../../lib/format.ts";
import { appPath } from "../../lib/router.ts";
import { Empty } from "../../components/empty.tsx";
import { Link } from "../../components/link.tsx";
import { type Column, Table } from "../../components/table.tsx";

type Egress = Output<"system.status">["egress"][number];

/** The egress card of the breakers. */
export function EgressTable(
  { egress, appName }: { egress: readonly Egress[]; appName: (id: string) => string },
): VNode {
  const columns: Column<Egress>[] = [
    {
      label: "App",
      cell: (e) => <Link href={appPath(appName(e.appId))}>{appName(e.appId)}</Link>,
    },
    { label: "Served", num: true, cell: (e) => formatBytes(e.servedBytes) },
    { label: "Fetched", num: true, cell: (e) => formatBytes(e.fetchedBytes) },
    {
      label: "Limit",
      num: true,
      cell: (e) =>
        e.limitBytes === null
          ? "none"
          : `${formatBytes(e.limitBytes)} (${
            percent((e.servedBytes + e.fetchedBytes) / e.limitBytes)
          })`,
    },
  ];
  return (
    <section class="card card-flush" aria-labelledby="br-egress">
      <div class="card-head">
        <h3 id="br-egress">Egress this month</h3>
        <p class="muted small">Bytes served and fetched per app (UTC month).</p>
      </div>
      {egress.length === 0
        ? <Empty title="No egress yet">No app has served or fetched anything this month.</Empty>
        : (
          <Table
            caption="Egress per app this month"
            columns={columns}
            rows={egress}
            rowKey={(e) => e.appId}
          />
        )}
    </section>
  );
}
