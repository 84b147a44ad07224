/**
 * The empty state of a list or panel: what is missing and what to do.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** A title, an optional icon and a hint. */
export function Empty(
  { title, children, icon }: { title: string; children?: ComponentChildren; icon?: VNode },
): VNode {
  return (
    <div class="empty">
      {icon && <div class="empty-icon" aria-hidden="true">{icon}</div>}
      <h3>{title}</h3>
      {children && <div class="empty-body">{children}</div>}
    </div>
  );
}
