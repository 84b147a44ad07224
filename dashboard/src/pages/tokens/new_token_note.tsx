/**
 * The card that shows a new token's secret, the only time it is shown.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { CopyField } from "../../components/copy_field.tsx";

/** The new token's secret with a Copy button, and Done to hide it. */
export function NewTokenNote(
  { token, onDone }: { token: Output<"tokens.create">; onDone: () => void },
): VNode {
  return (
    <section class="card card-highlight" aria-labelledby="new-token-title">
      <h2 id="new-token-title">Copy the token “{token.name}” now</h2>
      <p class="muted small">It is shown only this once. fazt keeps only a hash of it.</p>
      <CopyField id="new-token-value" label="Token" value={token.token} />
      <div class="row">
        <button type="button" class="btn" onClick={onDone}>Done</button>
      </div>
    </section>
  );
}
