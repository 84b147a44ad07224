/**
 * A read-only value with a Copy button (a new token, the `claude mcp add`
 * command): the clipboard API where the page is a secure context, else
 * selecting the text and asking the browser to copy it.
 *
 * @module
 */
import type { VNode } from "preact";
import { useRef, useState } from "preact/hooks";
import { CopyIcon } from "./icons.tsx";
import { toast } from "./toasts.tsx";

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

/** A labelled read-only field (one line, or three with `multiline`) and its Copy button. */
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
  const select = (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
    e.currentTarget.select();
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
              onFocus={select}
            />
          )
          : <input id={id} ref={ref} class="mono" readOnly value={value} onFocus={select} />}
        <button type="button" class="btn" onClick={copy} aria-label={`Copy ${label}`}>
          <CopyIcon />
          <span>{copied ? "Copied" : "Copy"}</span>
        </button>
      </div>
    </div>
  );
}
