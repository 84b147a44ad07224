/**
 * The pieces of the dashboard's forms: a card holding a form (title, a
 * line of help, the fields, the API's error), a labelled field, a text
 * field bound to a state, and the submit button that says what it is
 * doing while the request runs.
 *
 * @module
 */
import type { ComponentChildren, InputHTMLAttributes, TargetedInputEvent, VNode } from "preact";
import { ErrorNote } from "./error_note.tsx";

/** Props of {@linkcode FormCard}. */
export interface FormCardProps {
  /** The heading's id (the card is the region it names). */
  titleId: string;
  /** The heading. */
  title: string;
  /** A line of help under the heading. */
  intro?: ComponentChildren;
  /** What the card shows between the help line and the form. */
  above?: ComponentChildren;
  /** The form's submit handler. */
  onSubmit: (e: Event) => void;
  /** The last error, shown under the form. */
  error: unknown;
  /** The error's title. */
  errorTitle: string;
  /** The fields and buttons (laid out in a grid). */
  children: ComponentChildren;
}

/** A card with a heading, a help line, what goes above the form, the form and its error. */
export function FormCard(props: FormCardProps): VNode {
  return (
    <section class="card" aria-labelledby={props.titleId}>
      <h2 id={props.titleId}>{props.title}</h2>
      {props.intro && <p class="muted small">{props.intro}</p>}
      {props.above}
      <form class="form-grid" onSubmit={props.onSubmit}>{props.children}</form>
      <ErrorNote error={props.error} title={props.errorTitle} />
    </section>
  );
}

/** Props of {@linkcode Field}. */
export interface FieldProps {
  /** The control's id. */
  id: string;
  /** The label. */
  label: ComponentChildren;
  /** A hint under the control (its id is `<id>-hint`, for `aria-describedby`). */
  hint?: ComponentChildren;
  /** Label and control on one line (toolbars). */
  inline?: boolean;
  /** The control. */
  children: ComponentChildren;
}

/** A label and its control. */
export function Field({ id, label, hint, inline, children }: FieldProps): VNode {
  return (
    <div class={inline ? "field field-inline" : "field"}>
      <label for={id}>{label}</label>
      {children}
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
    </div>
  );
}

/** Props of {@linkcode TextField}: a {@linkcode Field} around an `<input>`. */
export interface TextFieldProps extends Omit<FieldProps, "children"> {
  /** The value. */
  value: string;
  /** Called with each new value. */
  onValue: (value: string) => void;
  /** The input's type (default `text`). */
  type?: "text" | "email" | "password" | "number" | "search";
  /** The input's classes (`mono`). */
  class?: string;
  /** Required. */
  required?: boolean;
  /** Disabled. */
  disabled?: boolean;
  /** The placeholder. */
  placeholder?: string;
  /** Autocomplete hint (`off`, `username`, `new-password`, …). */
  autoComplete?: string;
  /** Spell checking. */
  spellcheck?: boolean;
  /** Automatic capitals on phones (`off` for names). */
  autoCapitalize?: "off" | "on";
  /** Shortest value. */
  minLength?: number;
  /** Longest value. */
  maxLength?: number;
  /** Smallest number. */
  min?: number;
  /** Number step. */
  step?: number;
  /** The on-screen keyboard (`numeric`). */
  inputMode?: "numeric" | "text";
  /** What describes the input, when not its own hint. */
  "aria-describedby"?: string;
}

/** A labelled text input bound to a value. */
export function TextField(props: TextFieldProps): VNode {
  const { id, label, hint, inline, value, onValue, type = "text", ...rest } = props;
  // Preact types an input's attributes as a union keyed by its `type`; a type
  // chosen at run time is one of its branches, which TypeScript cannot pick.
  const input = {
    id,
    type,
    "aria-describedby": hint ? `${id}-hint` : undefined,
    ...rest,
    value,
    onInput: (e: TargetedInputEvent<HTMLInputElement>) => onValue(e.currentTarget.value),
  } as InputHTMLAttributes<HTMLInputElement>;
  return (
    <Field id={id} label={label} hint={hint} inline={inline}>
      <input {...input} />
    </Field>
  );
}

/** Props of {@linkcode SubmitButton}. */
export interface SubmitButtonProps {
  /** True while the request runs. */
  busy: boolean;
  /** The label while busy ("Saving…"). */
  busyLabel: string;
  /** Disabled for another reason too. */
  disabled?: boolean;
  /** Full width (the sign-in cards). */
  block?: boolean;
  /** The label. */
  children: ComponentChildren;
}

/** The form's primary button. */
export function SubmitButton(props: SubmitButtonProps): VNode {
  return (
    <button
      type="submit"
      class={props.block ? "btn btn-primary btn-block" : "btn btn-primary"}
      disabled={props.busy || props.disabled}
    >
      {props.busy ? props.busyLabel : props.children}
    </button>
  );
}
