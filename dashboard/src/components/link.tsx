/**
 * Links inside the dashboard: they navigate on the client, without
 * reloading the page.
 *
 * @module
 */
import type { AnchorHTMLAttributes, VNode } from "preact";
import { onLinkClick } from "../lib/router.ts";

/** An in-app link. */
export function Link(
  props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string },
): VNode {
  return <a {...props} onClick={onLinkClick} />;
}
