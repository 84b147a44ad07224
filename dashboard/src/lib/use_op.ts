/**
 * Loading an operation's output into a component: the `useOp` hook, which
 * calls the operation when the component mounts and again whenever its
 * input changes, and keeps the last answer while it reloads.
 *
 * @module
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, call, type Input, type InputArg, type JsonOp, type Output } from "../api.ts";

/** What {@linkcode useOp} gives. */
export interface Loaded<T> {
  /** The last answer. */
  data: T | undefined;
  /** The last error. */
  error: ApiError | undefined;
  /** True while a request is in flight. */
  loading: boolean;
  /** Loads again. */
  reload: () => Promise<void>;
}

/** Anything thrown, as an ApiError. */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError
    ? err
    : new ApiError(err instanceof Error ? err.message : String(err), "client", 0);
}

/**
 * Calls operation `op` with `input` (nothing while `input` is null) and
 * again when the input changes (compared by its JSON text).
 */
export function useOp<N extends JsonOp>(op: N, input: Input<N> | null): Loaded<Output<N>> {
  type T = Output<N>;
  const key = input === null ? null : `${op} ${JSON.stringify(input)}`;
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({
    loading: key !== null,
  });
  const current = useRef(key);
  current.current = key;
  const load = useCallback(async () => {
    if (input === null) return;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await call(op, ...([input] as InputArg<N>));
      if (current.current === key) setState({ data, loading: false });
    } catch (err) {
      if (current.current === key) {
        setState((s) => ({ data: s.data, error: asApiError(err), loading: false }));
      }
    }
  }, [key]);
  useEffect(() => {
    setState({ loading: key !== null });
    load();
  }, [load]);
  return { data: state.data, error: state.error, loading: state.loading, reload: load };
}
