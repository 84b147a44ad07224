/**
 * Running something the owner asked for (a form's submit, a button's
 * action): the `useAction` hook tracks whether it is busy and what went
 * wrong, so the form can disable its button and show the API's message.
 *
 * @module
 */
import { useState } from "preact/hooks";

/** What {@linkcode useAction} gives. */
export interface Action<A extends unknown[]> {
  /** True while the action runs. */
  busy: boolean;
  /** What the last run threw, until the next run. */
  error: unknown;
  /** Runs the action (ignored while it is busy). */
  run: (...args: A) => Promise<void>;
  /** A form's `onSubmit`: prevents the page load and runs the action. */
  submit: (e: Event) => void;
}

/** Options of {@linkcode useAction}. */
export interface ActionOptions {
  /** Stay busy after success (the action navigates away). */
  keepBusy?: boolean;
}

/** Wraps `fn` with its busy and error state. */
export function useAction<A extends unknown[]>(
  fn: (...args: A) => Promise<unknown>,
  options: ActionOptions = {},
): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (...args: A) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await fn(...args);
      if (!options.keepBusy) setBusy(false);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    (run as () => Promise<void>)();
  };
  return { busy, error, run, submit };
}
