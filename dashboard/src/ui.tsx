/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/**
 * Shared pieces of the dashboard: data loading, errors, empty states,
 * confirmation dialogs, copy fields, toasts and icons.
 *
 * @module
 */
import type { AnchorHTMLAttributes, ComponentChildren, VNode } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "./api.ts";
import { onLinkClick } from "./router.ts";

/** What {@linkcode useApi} gives. */
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

/** Loads `GET /_fazt/api<p>` (nothing while `p` is null) and again when `p` changes. */
export function useApi<T>(p: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({
    loading: p !== null,
  });
  const current = useRef(p);
  current.current = p;
  const load = useCallback(async () => {
    if (p === null) return;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await api<T>("GET", p);
      if (current.current === p) setState({ data, loading: false });
    } catch (err) {
      if (current.current === p) {
        setState((s) => ({ data: s.data, error: asApiError(err), loading: false }));
      }
    }
  }, [p]);
  useEffect(() => {
    setState({ loading: p !== null });
    load();
  }, [load]);
  return { data: state.data, error: state.error, loading: state.loading, reload: load };
}

/** Anything thrown, as an ApiError. */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError
    ? err
    : new ApiError(err instanceof Error ? err.message : String(err), "client", 0);
}

/** An error message, announced to screen readers. */
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

/** A loading placeholder. */
export function Loading({ label = "Loading…" }: { label?: string }): VNode {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** An empty state: what is missing and what to do. */
export function Empty(
  { title, children, icon }: { title: string; children?: ComponentChildren; icon?: VNode },
): VNode {
  return (
    <div class="empty">
      {icon && <div class="empty-icon" aria-hidden="true">{icon}</div>}
      <h3>{title}</h3>
      {children && <div class="empty-body">{children}</div>}
    </div>
  );
}

/** An in-app link. */
export function Link(
  props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string },
): VNode {
  return <a {...props} onClick={onLinkClick} />;
}

// --- toasts ---------------------------------------------------------------

interface Toast {
  id: number;
  text: string;
  kind: "ok" | "error";
}

let toasts: Toast[] = [];
let nextToast = 1;
const toastListeners = new Set<(t: Toast[]) => void>();

/** Shows a short message in the corner. */
export function toast(text: string, kind: "ok" | "error" = "ok"): void {
  const t = { id: nextToast++, text, kind };
  toasts = [...toasts, t].slice(-3);
  for (const fn of toastListeners) fn(toasts);
  setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    for (const fn of toastListeners) fn(toasts);
  }, kind === "error" ? 8000 : 4000);
}

/** Where toasts appear (once, at the root). */
export function Toasts(): VNode {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => toastListeners.delete(setList);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => <div key={t.id} class={`toast toast-${t.kind}`}>{t.text}</div>)}
    </div>
  );
}

// --- dialogs --------------------------------------------------------------

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

/** A modal confirmation (a native `<dialog>`: focus stays inside, Escape cancels). */
export function Confirm(props: ConfirmProps): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const onClose = () => props.onClose();
    d.addEventListener("close", onClose);
    return () => d.removeEventListener("close", onClose);
  }, []);
  const ok = props.requireText === undefined || typed === props.requireText;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ok || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="dialog-title">
      <form onSubmit={submit}>
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
        <ErrorNote error={error} title="That did not work" />
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="submit"
            class={props.danger ? "btn btn-danger" : "btn btn-primary"}
            disabled={!ok || busy}
          >
            {busy ? "Working…" : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

// --- copying --------------------------------------------------------------

async function copyText(text: string, fallback: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back */ }
  if (fallback instanceof HTMLInputElement || fallback instanceof HTMLTextAreaElement) {
    fallback.select();
    return document.execCommand("copy");
  }
  return false;
}

/** A read-only value with a Copy button. */
export function CopyField(
  { value, label, id, multiline }: {
    value: string;
    label: string;
    id: string;
    multiline?: boolean;
  },
): VNode {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const ok = await copyText(value, ref.current);
    if (ok) {
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } else {
      ref.current?.select();
      toast("Select the text and copy it with your keyboard.", "error");
    }
  };
  return (
    <div class="copy">
      <label for={id} class="copy-label">{label}</label>
      <div class="copy-row">
        {multiline
          ? (
            <textarea
              id={id}
              ref={ref}
              class="mono"
              readOnly
              rows={3}
              value={value}
              onFocus={(e) => e.currentTarget.select()}
            />
          )
          : (
            <input
              id={id}
              ref={ref}
              class="mono"
              readOnly
              value={value}
              onFocus={(e) => e.currentTarget.select()}
            />
          )}
        <button type="button" class="btn" onClick={copy} aria-label={`Copy ${label}`}>
          <CopyIcon />
          <span>{copied ? "Copied" : "Copy"}</span>
        </button>
      </div>
    </div>
  );
}

// --- small pieces ---------------------------------------------------------

/** A labelled number. */
export function Stat(
  { label, value, hint }: { label: string; value: ComponentChildren; hint?: ComponentChildren },
): VNode {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {hint !== undefined && <div class="stat-hint">{hint}</div>}
    </div>
  );
}

/** A horizontal usage bar. */
export function Meter(
  { value, max, label }: { value: number; max: number; label: string },
): VNode {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  return (
    <div
      class={`meter${ratio > 0.9 ? " meter-hot" : ""}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
    >
      <div class="meter-fill" style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
    </div>
  );
}

/** A page's title row. */
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

// --- icons (inline SVG, no external requests) ------------------------------

function Icon({ d, size = 18 }: { d: string; size?: number }): VNode {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={d} />
    </svg>
  );
}

/** The fazt mark. */
export function Logo(): VNode {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" class="logo-bg" />
      <path d="M18.5 5 9 18h6l-1.5 9L23 14h-6z" class="logo-bolt" />
    </svg>
  );
}

/** Apps. */
export const AppsIcon = (): VNode => 
<Icon d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z" />;
/** Keys. */
export const KeyIcon = (): VNode => (
  <Icon d="M21 2l-2 2m-7.6 7.6a5.5 5.5 0 1 1-7.78 7.78 5.5 5.5 0 0 1 7.78-7.78zm0 0L15.5 7.5m0 0 3 3L22 7l-3-3m-3.5 3.5L19 4" />
);
/** A gauge. */
export const SystemIcon = (): VNode => <Icon d="M12 14l4-4M3.5 18a9.5 9.5 0 1 1 17 0zM12 14h.01" />;
/** Agents. */
export const AgentIcon = (): VNode => (
  <Icon d="M12 3v3M6 8h12a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2zM9 13h.01M15 13h.01M9.5 16.5h5" />
);
/** Opens elsewhere. */
export const ExternalIcon = (): VNode => (
  <Icon size={14} d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />
);
/** Upload. */
export const UploadIcon = (): VNode => (
  <Icon size={28} d="M12 16V4M7 9l5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
);
/** Copy. */
export const CopyIcon = (): VNode => <Icon size={16} d="M9 9h10v11H9zM5 15H4V4h11v1" />;
/** Log out. */
export const LogoutIcon = (): VNode => (
  <Icon size={16} d="M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4M10 17l5-5-5-5M15 12H4" />
);
