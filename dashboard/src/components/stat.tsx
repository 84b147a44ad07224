/**
 * A labelled figure for the rows of numbers at the top of a page (live
 * version, requests in 24 h, uptime, memory).
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** A label, a value and an optional hint below it. */
export function Stat(
  { label, value, hint }: { label: string; value: ComponentChildren; hint?: ComponentChildren },
): VNode {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {hint !== undefined && <div class="stat-hint">{hint}</div>}
    </div>
  );
}
