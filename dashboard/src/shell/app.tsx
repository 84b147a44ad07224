/**
 * The dashboard's root: who is signed in (`auth.whoami`), where that sends
 * the browser (setup, login with `?next=`, or the apps), the browser tab's
 * title, focus on the new page's heading after client-side navigation, and
 * the toasts.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call, onUnauthorized, type Output } from "../api.ts";
import { BASE, navigate, useLocation } from "../lib/router.ts";
import { ErrorNote } from "../components/error_note.tsx";
import { Loading } from "../components/loading.tsx";
import { toast, Toasts } from "../components/toasts.tsx";
import { LoginPage } from "../pages/auth/login_page.tsx";
import { SetupPage } from "../pages/auth/setup_page.tsx";
import { parseRoute, type Route, routeTitle } from "./routes.ts";
import { Shell } from "./shell.tsx";

type Whoami = Output<"auth.whoami">;

/** Where a visitor must go first, if anywhere, from `route`. */
function redirectFor(
  me: Whoami,
  route: Route,
  pathname: string,
  search: string,
): string | undefined {
  const signedIn = me.kind !== "anonymous";
  if (signedIn) {
    if (route.page === "home" || route.page === "login" || route.page === "setup") {
      const next = new URLSearchParams(search).get("next");
      return route.page === "login" && next?.startsWith(`${BASE}/`) ? next : `${BASE}/apps`;
    }
    return undefined;
  }
  if (route.page === "login" || route.page === "setup") return undefined;
  if (me.setupNeeded) return `${BASE}/setup`;
  return route.page === "home"
    ? `${BASE}/login`
    : `${BASE}/login?next=${encodeURIComponent(pathname + search)}`;
}

/** Moves focus to the new page's heading after client-side navigation (not on first load). */
function useFocusOnNavigation(pathname: string): void {
  const [first, setFirst] = useState(true);
  useEffect(() => {
    if (first) {
      setFirst(false);
      return;
    }
    const t = setTimeout(() => {
      const h = document.querySelector<HTMLElement>("main h1");
      if (h && !document.querySelector("dialog[open]")) h.focus({ preventScroll: false });
    }, 50);
    return () => clearTimeout(t);
  }, [pathname]);
}

/** The whole dashboard. */
export function App(): VNode {
  const loc = useLocation();
  const [me, setMe] = useState<Whoami>();
  const [bootError, setBootError] = useState<unknown>();
  const route = parseRoute(loc.pathname);
  const signedOut = () => setMe((m) => m && { ...m, kind: "anonymous", owner: null });

  const refresh = async () => setMe(await call("auth.whoami"));

  useEffect(() => {
    refresh().catch(setBootError);
    onUnauthorized(signedOut);
  }, []);

  const redirect = me && redirectFor(me, route, loc.pathname, loc.search);
  useEffect(() => {
    if (redirect) navigate(redirect, true);
  }, [redirect]);

  useEffect(() => {
    document.title = `${routeTitle(route)} · fazt`;
  }, [loc.pathname]);

  useFocusOnNavigation(loc.pathname);

  const afterSignIn = async () => {
    await refresh();
    const next = new URLSearchParams(location.search).get("next");
    navigate(next?.startsWith(`${BASE}/`) ? next : `${BASE}/apps`, true);
  };

  const logout = async () => {
    try {
      await call("auth.logout");
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
      return;
    }
    signedOut();
    navigate(`${BASE}/login`);
  };

  let body: VNode;
  if (bootError) {
    body = (
      <main id="main" class="auth">
        <div class="auth-card">
          <h1>fazt is not answering</h1>
          <ErrorNote error={bootError} title="Could not load the dashboard" />
          <button type="button" class="btn btn-primary" onClick={() => location.reload()}>
            Try again
          </button>
        </div>
      </main>
    );
  } else if (!me || redirect) {
    body = (
      <main id="main" class="auth">
        <Loading />
      </main>
    );
  } else if (me.kind === "anonymous" && route.page === "setup") {
    body = (
      <SetupPage
        token={new URLSearchParams(loc.search).get("token") ?? ""}
        setupNeeded={me.setupNeeded}
        onDone={afterSignIn}
      />
    );
  } else if (me.kind === "anonymous") {
    body = <LoginPage onDone={afterSignIn} />;
  } else {
    body = <Shell me={me} route={route} onLogout={logout} />;
  }
  return (
    <>
      {body}
      <Toasts />
    </>
  );
}
