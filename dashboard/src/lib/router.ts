/**
 * Client-side routing over the History API: every dashboard page lives
 * under `/_fazt`, and the server answers each of those paths with the same
 * page.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";

/** Where the dashboard lives. */
export const BASE = "/_fazt";

/** The path of an app's page, or of one of its tabs. */
export function appPath(name: string, tab = ""): string {
  const base = `${BASE}/apps/${encodeURIComponent(name)}`;
  return tab ? `${base}/${tab}` : base;
}

const listeners = new Set<() => void>();

/** Goes to a dashboard path (`/_fazt/...`), adding a history entry unless `replace`. */
export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  for (const fn of listeners) fn();
}

addEventListener("popstate", () => {
  for (const fn of listeners) fn();
});

/** The current location, re-rendering on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const [loc, setLoc] = useState({ pathname: location.pathname, search: location.search });
  useEffect(() => {
    const fn = () => setLoc({ pathname: location.pathname, search: location.search });
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return loc;
}

/**
 * Handles a click on an in-app link: navigates without reloading unless a
 * modifier key asks for a new tab or window.
 */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
    return;
  }
  const a = (e.currentTarget ?? e.target) as HTMLAnchorElement;
  if (a.target && a.target !== "_self") return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
