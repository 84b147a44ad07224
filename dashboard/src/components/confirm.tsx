/**
 * The confirmation dialog for anything that cannot be undone (removing a
 * secret or a route, revoking a token, deleting an app): a native modal
 * `<dialog>` that keeps focus inside and closes on Escape, shows the
 * API's error in place, and can require the owner to type a name first.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useAction } from "../lib/use_action.ts";
import { ErrorNote } from "./error_note.tsx";

/** Props of {@linkcode Confirm}. */
export interface ConfirmProps {
  /** The question. */
  title: string;
  /** What will happen. */
  children?: ComponentChildren;
  /** The confirming button's label. */
  confirmLabel: string;
  /** Red button. */
  danger?: boolean;
  /** The owner must type this to confirm. */
  requireText?: string;
  /** Does the work; an error is shown in the dialog. */
  onConfirm: () => Promise<void>;
  /** Called when the dialog closes (done or cancelled). */
  onClose: () => void;
}

/** A modal confirmation. */
export function Confirm(props: ConfirmProps): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const ok = props.requireText === undefined || typed === props.requireText;
  const confirm = useAction(async () => {
    await props.onConfirm();
    ref.current?.close();
  }, { keepBusy: true });
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const onClose = () => props.onClose();
    d.addEventListener("close", onClose);
    return () => d.removeEventListener("close", onClose);
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="dialog-title">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) confirm.run();
        }}
      >
        <h2 id="dialog-title">{props.title}</h2>
        <div class="dialog-body">{props.children}</div>
        {props.requireText !== undefined && (
          <div class="field">
            <label for="confirm-text">
              Type <code>{props.requireText}</code> to confirm
            </label>
            <input
              id="confirm-text"
              autoComplete="off"
              spellcheck={false}
              value={typed}
              onInput={(e) => setTyped(e.currentTarget.value)}
            />
          </div>
        )}
        <ErrorNote error={confirm.error} title="That did not work" />
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="submit"
            class={props.danger ? "btn btn-danger" : "btn btn-primary"}
            disabled={!ok || confirm.busy}
          >
            {confirm.busy ? "Working…" : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
