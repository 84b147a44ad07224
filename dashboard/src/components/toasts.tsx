/**
 * Toasts: short messages in the corner that confirm what just happened
 * ("Secret API_KEY saved.") and fade after a few seconds; errors stay
 * longer.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";

interface Toast {
  id: number;
  text: string;
  kind: "ok" | "error";
}

let toasts: Toast[] = [];
let nextToast = 1;
const listeners = new Set<(t: Toast[]) => void>();

/** Shows a short message in the corner. */
export function toast(text: string, kind: "ok" | "error" = "ok"): void {
  const t = { id: nextToast++, text, kind };
  toasts = [...toasts, t].slice(-3);
  for (const fn of listeners) fn(toasts);
  setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    for (const fn of listeners) fn(toasts);
  }, kind === "error" ? 8000 : 4000);
}

/** Where toasts appear (once, at the root). */
export function Toasts(): VNode {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => listeners.delete(setList);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => <div key={t.id} class={`toast toast-${t.kind}`}>{t.text}</div>)}
    </div>
  );
}
