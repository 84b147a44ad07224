/**
 * The signed-in layout: the skip link, the side navigation with the
 * owner's email and Log out, and the page of the current route.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../api.ts";
import { Link } from "../components/link.tsx";
import { Logo, LogoutIcon } from "../components/icons.tsx";
import { AppPage } from "../pages/app/page.tsx";
import { NotFoundPage } from "../pages/not_found.tsx";
import type { Route } from "./routes.ts";
import { SECTIONS } from "./sections.tsx";

/** Props of {@linkcode Shell}. */
export interface ShellProps {
  /** The signed-in owner. */
  me: Output<"auth.whoami">;
  /** What to show. */
  route: Route;
  /** Logs out. */
  onLogout: () => void;
}

function Page({ route }: { route: Route }): VNode {
  if (route.page === "section") return <route.section.Page />;
  if (route.page === "app") return <AppPage key={route.name} name={route.name} tab={route.tab} />;
  return <NotFoundPage />;
}

/** The navigation and the current page. */
export function Shell({ me, route, onLogout }: ShellProps): VNode {
  const current = route.page === "app"
    ? "apps"
    : route.page === "section"
    ? route.section.slug
    : "";
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="side">
        <Link class="brand" href="/_fazt/apps">
          <Logo />
          <span>fazt</span>
        </Link>
        <nav class="nav" aria-label="Main">
          <ul role="list">
            {SECTIONS.map(({ slug, label, Icon }) => (
              <li key={slug}>
                <Link
                  href={`/_fazt/${slug}`}
                  aria-current={current === slug ? "page" : undefined}
                >
                  <Icon />
                  <span>{label}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account">
          <span class="who" title={me.owner?.email}>{me.owner?.email ?? "Signed in"}</span>
          <button type="button" class="btn btn-ghost btn-small" onClick={onLogout}>
            <LogoutIcon />
            <span>Log out</span>
          </button>
        </div>
      </header>
      <main id="main" class="main">
        <Page route={route} />
      </main>
    </div>
  );
}
