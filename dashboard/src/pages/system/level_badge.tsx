/**
 * A pressure or guard level as a badge: green when `ok`, amber otherwise.
 *
 * @module
 */
import type { VNode } from "preact";

/** `value` in a badge. */
export function LevelBadge({ value }: { value: string }): VNode {
  return <span class={`badge ${value === "ok" ? "badge-ok" : "badge-warn"}`}>{value}</span>;
}
