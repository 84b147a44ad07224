/**
 * Name/value lists (`<dl class="kv">`): the facts of a card, such as a
 * cache's size and hit rate or an app's egress this month.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** The list; its children are {@linkcode Detail} rows. */
export function DetailsList({ children }: { children: ComponentChildren }): VNode {
  return <dl class="kv">{children}</dl>;
}

/** Props of {@linkcode Detail}. */
export interface DetailProps {
  /** The name. */
  name: ComponentChildren;
  /** The value's id. */
  id?: string;
  /** The value's classes. */
  class?: string;
  /** The value. */
  children: ComponentChildren;
}

/** One row: a name and its value. */
export function Detail({ name, id, class: valueClass, children }: DetailProps): VNode {
  return (
    <div class="kv-row">
      <dt>{name}</dt>
      <dd id={id} class={valueClass}>{children}</dd>
    </div>
  );
}
