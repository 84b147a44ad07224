/**
 * An app's `logo.svg`, when it has one: an `<img>` of `apps.logo` (an
 * image never runs the scripts an SVG may hold; the server also refuses
 * such logos at deploy and sends them under a CSP that forbids scripts).
 * A logo that does not load leaves no broken image behind.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { downloadUrl } from "../api.ts";

/** Props of {@linkcode AppLogo}. */
export interface AppLogoProps {
  /** The app: its ID, name and whether its live version has a logo. */
  app: { id: string; name: string; hasLogo: boolean };
  /** Its size in CSS pixels (square). */
  size: number;
}

/** The logo of `app`, or nothing. */
export function AppLogo({ app, size }: AppLogoProps): VNode | null {
  const [failed, setFailed] = useState(false);
  if (!app.hasLogo || failed) return null;
  return (
    <img
      class="app-logo"
      src={downloadUrl("apps.logo", { app: app.id })}
      alt={`${app.name} logo`}
      width={size}
      height={size}
      onError={() => setFailed(true)}
    />
  );
}
