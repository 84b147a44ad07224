/**
 * The placeholder shown while something loads.
 *
 * @module
 */
import type { VNode } from "preact";

/** A spinner and a label, announced politely. */
export function Loading({ label = "Loading…" }: { label?: string }): VNode {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}
