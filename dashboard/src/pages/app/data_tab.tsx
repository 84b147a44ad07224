/**
 * The app page's data tab: a switch between the app's four stores — kv
 * keys and values, documents of a collection, blobs, and read-only SQL —
 * each browsed (and, but SQL, changed) through the `data.*` operations
 * (`data/`).
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { KvView } from "./data/kv_view.tsx";
import { DocsView } from "./data/docs_view.tsx";
import { BlobsView } from "./data/blobs_view.tsx";
import { SqlView } from "./data/sql_view.tsx";
import type { TabProps } from "./tab.ts";

/** The stores, in the switch's order. */
const STORES = [
  { label: "Key-value", View: KvView },
  { label: "Documents", View: DocsView },
  { label: "Blobs", View: BlobsView },
  { label: "SQL", View: SqlView },
] as const;

/** The data tab. */
export function DataTab({ app }: TabProps): VNode {
  const [store, setStore] = useState<(typeof STORES)[number]>(STORES[0]);
  return (
    <div class="stack">
      <div class="segmented" role="group" aria-label="Data store">
        {STORES.map((s) => (
          <button
            key={s.label}
            type="button"
            aria-pressed={store === s}
            onClick={() => setStore(s)}
          >
            {s.label}
          </button>
        ))}
      </div>
      <store.View app={app.name} />
    </div>
  );
}
