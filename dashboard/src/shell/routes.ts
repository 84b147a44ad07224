/**
 * What a dashboard path shows: the sign-in pages, a section, one app (and
 * which of its tabs), or nothing; and the browser tab's title for it.
 *
 * @module
 */
import { BASE } from "../lib/router.ts";
import { type Section, SECTIONS } from "./sections.tsx";

/** A parsed dashboard path. */
export type Route =
  | { page: "home" }
  | { page: "login" }
  | { page: "setup" }
  | { page: "section"; section: Section }
  | { page: "app"; name: string; tab: string }
  | { page: "missing" };

/** The route of a path under `/_fazt`. */
export function parseRoute(pathname: string): Route {
  const rest = pathname.slice(BASE.length).replace(/\/+$/, "");
  if (rest === "") return { page: "home" };
  const parts = rest.slice(1).split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === "login" || parts[0] === "setup") {
    return parts.length === 1 ? { page: parts[0] } : { page: "missing" };
  }
  if (parts[0] === "apps" && parts.length >= 2 && parts.length <= 3) {
    return { page: "app", name: parts[1], tab: parts[2] ?? "" };
  }
  const section = SECTIONS.find((s) => s.slug === parts[0]);
  return section && parts.length === 1 ? { page: "section", section } : { page: "missing" };
}

/** The name in the browser tab's title for a route. */
export function routeTitle(route: Route): string {
  switch (route.page) {
    case "home":
      return "Apps";
    case "login":
      return "Log in";
    case "setup":
      return "Set up";
    case "section":
      return route.section.label;
    case "app":
      return route.name;
    case "missing":
      return "Not found";
  }
}
