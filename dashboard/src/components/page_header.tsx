/**
 * A page's title row: the `h1` (focused after client-side navigation), a
 * line under it and the page's actions.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** The title, an optional subtitle and optional actions on the right. */
export function PageHeader(
  { title, children, sub }: {
    title: ComponentChildren;
    children?: ComponentChildren;
    sub?: ComponentChildren;
  },
): VNode {
  return (
    <div class="page-header">
      <div class="page-title">
        <h1 tabIndex={-1}>{title}</h1>
        {sub && <p class="page-sub">{sub}</p>}
      </div>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}
