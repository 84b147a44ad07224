/**
 * A list to pick one item from, beside a preview of the picked one (an
 * app's files, kv keys): each item a toggle button showing its name in
 * monospace and a note.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** Props of {@linkcode PickList}. */
export interface PickListProps<T> {
  /** The items. */
  items: readonly T[];
  /** An item's key (what `picked` holds). */
  itemKey: (item: T) => string;
  /** The picked item's key. */
  picked: string | undefined;
  /** Called with the item the owner picks. */
  onPick: (item: T) => void;
  /** What follows the item's key on its button (a size, an expiry). */
  note?: (item: T) => ComponentChildren;
  /** Below the list (a "Load more" button). */
  footer?: ComponentChildren;
}

/** The list, in a flush card. */
export function PickList<T>(props: PickListProps<T>): VNode {
  return (
    <div class="card card-flush file-list">
      <ul role="list">
        {props.items.map((item) => {
          const key = props.itemKey(item);
          return (
            <li key={key}>
              <button
                type="button"
                class="file-item"
                aria-pressed={props.picked === key}
                onClick={() => props.onPick(item)}
              >
                <span class="file-path mono">{key}</span>
                {props.note?.(item)}
              </button>
            </li>
          );
        })}
      </ul>
      {props.footer}
    </div>
  );
}
