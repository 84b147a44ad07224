/**
 * An error message in the page (the API's own sentence), announced to
 * screen readers.
 *
 * @module
 */
import type { VNode } from "preact";
import { asApiError } from "../lib/use_op.ts";

/** Shows `error` under `title`; nothing while there is no error. */
export function ErrorNote(
  { error, title }: { error: unknown; title?: string },
): VNode | null {
  if (!error) return null;
  const e = asApiError(error);
  return (
    <div class="note note-error" role="alert">
      <strong>{title ?? "Something went wrong"}</strong>
      <span>{e.message}</span>
    </div>
  );
}
