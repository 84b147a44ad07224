/**
 * A horizontal usage bar (cache of its budget, egress of its limit, disk
 * of its limit) that turns hot past 90 %.
 *
 * @module
 */
import type { VNode } from "preact";

/** `value` of `max`, as an ARIA meter named `label`. */
export function Meter(
  { value, max, label }: { value: number; max: number; label: string },
): VNode {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  return (
    <div
      class={`meter${ratio > 0.9 ? " meter-hot" : ""}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
    >
      <div class="meter-fill" style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
    </div>
  );
}
