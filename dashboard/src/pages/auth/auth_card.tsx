/**
 * The card the sign-in pages (setup and login) are laid out in: the fazt
 * mark, a heading, a line under it and the form.
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";
import { Logo } from "../../components/icons.tsx";

/** A centred card, as the page's `main`. */
export function AuthCard(
  { title, sub, children }: { title: string; sub: ComponentChildren; children: ComponentChildren },
): VNode {
  return (
    <main id="main" class="auth">
      <div class="auth-card">
        <div class="auth-brand">
          <Logo />
          <span>fazt</span>
        </div>
        <h1 tabIndex={-1}>{title}</h1>
        <p class="muted">{sub}</p>
        {children}
      </div>
    </main>
  );
}
