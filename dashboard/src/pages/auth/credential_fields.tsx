/**
 * The owner's email and password fields, shared by the login and setup
 * forms (a new password must be at least 10 characters long).
 *
 * @module
 */
import type { VNode } from "preact";
import { TextField } from "../../components/form.tsx";

/** Props of {@linkcode CredentialFields}. */
export interface CredentialFieldsProps {
  /** The email. */
  email: string;
  /** Sets the email. */
  setEmail: (email: string) => void;
  /** The password. */
  password: string;
  /** Sets the password. */
  setPassword: (password: string) => void;
  /** A new password (setup): browsers suggest one, and it has a minimum length. */
  isNew?: boolean;
}

/** The two fields. */
export function CredentialFields(props: CredentialFieldsProps): VNode {
  return (
    <>
      <TextField
        id="email"
        label="Email"
        type="email"
        autoComplete="username"
        required
        value={props.email}
        onValue={props.setEmail}
      />
      <TextField
        id="password"
        label="Password"
        type="password"
        autoComplete={props.isNew ? "new-password" : "current-password"}
        minLength={props.isNew ? 10 : undefined}
        required
        hint={props.isNew ? "At least 10 characters." : undefined}
        value={props.password}
        onValue={props.setPassword}
      />
    </>
  );
}
