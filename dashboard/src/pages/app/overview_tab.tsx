/**
 * The app page's overview tab: the live version, size, requests and errors
 * of the last 24 hours, the drop zone for a new version, the versions with
 * one-click rollback, and the egress card.
 *
 * @module
 */
import type { VNode } from "preact";
import { count, formatBytes } from "../../lib/format.ts";
import { DeployZone } from "../../components/deploy_zone.tsx";
import { Stat } from "../../components/stat.tsx";
import { toast } from "../../components/toasts.tsx";
import type { TabProps } from "./tab.ts";
import { VersionsCard } from "./versions_card.tsx";
import { EgressCard } from "./egress_card.tsx";

/** The overview tab. */
export function OverviewTab({ app, reload }: TabProps): VNode {
  const t = app.traffic24h;
  return (
    <div class="stack-lg">
      <div class="stats">
        <Stat label="Live version" value={app.version === null ? "–" : `v${app.version}`} />
        <Stat label="Files" value={count(app.files)} hint={formatBytes(app.bytes)} />
        <Stat
          label="Requests 24 h"
          value={count(t.requests)}
          hint={`${formatBytes(t.bytesOut)} out`}
        />
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
      <VersionsCard app={app} reload={reload} />
      <EgressCard app={app} />
    </div>
  );
}
