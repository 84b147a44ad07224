/**
 * An app's status as a badge: live with its version, or no version yet.
 *
 * @module
 */
import type { VNode } from "preact";

/** "Live · v3" (green) or "No version". */
export function StatusBadge({ app }: { app: { version: number | null } }): VNode {
  return app.version === null
    ? <span class="badge">No version</span>
    : <span class="badge badge-ok">Live · v{app.version}</span>;
}
