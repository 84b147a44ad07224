/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard (the Shell) at `/_fazt`: the owner's cockpit, a client of
 * the public REST API only. This entry signs the owner in, lays out the
 * navigation and routes between the pages on the client.
 *
 * @module
 */
import { render, type VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, onUnauthorized, type Whoami } from "./api.ts";
import { BASE, navigate, useLocation } from "./router.ts";
import {
  AgentIcon,
  AppsIcon,
  ErrorNote,
  KeyIcon,
  Link,
  Loading,
  Logo,
  LogoutIcon,
  SystemIcon,
  toast,
  Toasts,
} from "./ui.tsx";
import { Login, Setup } from "./pages/auth.tsx";
import { AppsPage } from "./pages/apps.tsx";
import { AppPage } from "./pages/app.tsx";
import { TokensPage } from "./pages/tokens.tsx";
import { SystemPage } from "./pages/system.tsx";
import { AgentsPage } from "./pages/agents.tsx";

type Route =
  | { page: "home" }
  | { page: "login" }
  | { page: "setup" }
  | { page: "apps" }
  | { page: "app"; name: string; tab: string }
  | { page: "tokens" }
  | { page: "system" }
  | { page: "agents" }
  | { page: "missing" };

function parse(pathname: string): Route {
  const rest = pathname.slice(BASE.length).replace(/\/+$/, "");
  if (rest === "") return { page: "home" };
  const parts = rest.slice(1).split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  switch (parts[0]) {
    case "login":
    case "setup":
    case "tokens":
    case "system":
    case "agents":
      return parts.length === 1 ? { page: parts[0] } : { page: "missing" };
    case "apps":
      if (parts.length === 1) return { page: "apps" };
      if (parts.length <= 3) return { page: "app", name: parts[1], tab: parts[2] ?? "" };
  }
  return { page: "missing" };
}

const TITLES: Record<Route["page"], string> = {
  home: "Apps",
  login: "Log in",
  setup: "Set up",
  apps: "Apps",
  app: "App",
  tokens: "Tokens",
  system: "System",
  agents: "Agents",
  missing: "Not found",
};

const NAV: [string, string, () => VNode][] = [
  ["apps", "Apps", AppsIcon],
  ["tokens", "Tokens", KeyIcon],
  ["system", "System", SystemIcon],
  ["agents", "Agents", AgentIcon],
];

function Shell(
  { me, route, onLogout }: { me: Whoami; route: Route; onLogout: () => void },
): VNode {
  const section = route.page === "app" ? "apps" : route.page;
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
            {NAV.map(([page, label, Icon]) => (
              <li key={page}>
                <Link
                  href={`/_fazt/${page}`}
                  aria-current={section === page ? "page" : undefined}
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
        {route.page === "apps" && <AppsPage />}
        {route.page === "app" && <AppPage key={route.name} name={route.name} tab={route.tab} />}
        {route.page === "tokens" && <TokensPage />}
        {route.page === "system" && <SystemPage />}
        {route.page === "agents" && <AgentsPage />}
        {route.page === "missing" && (
          <div class="page-header">
            <div class="page-title">
              <h1 tabIndex={-1}>Page not found</h1>
              <p class="page-sub">
                Nothing in the dashboard lives here.{" "}
                <Link href="/_fazt/apps">Go to your apps</Link>.
              </p>
            </div>
          </div>
        )}
      </main>
    </div>
  );
}

function App(): VNode {
  const loc = useLocation();
  const [me, setMe] = useState<Whoami>();
  const [bootError, setBootError] = useState<unknown>();
  const route = parse(loc.pathname);

  const refresh = async () => {
    const w = await api<Whoami>("GET", "/auth/whoami");
    setMe(w);
    return w;
  };

  useEffect(() => {
    refresh().catch(setBootError);
    onUnauthorized(() => {
      setMe((m) => m && { ...m, kind: "anonymous", owner: null });
    });
  }, []);

  const signedIn = me !== undefined && me.kind !== "anonymous";
  let redirect: string | undefined;
  if (me) {
    if (signedIn) {
      if (route.page === "home" || route.page === "login" || route.page === "setup") {
        const next = new URLSearchParams(loc.search).get("next");
        redirect = route.page === "login" && next?.startsWith(`${BASE}/`) ? next : `${BASE}/apps`;
      }
    } else if (route.page !== "login" && route.page !== "setup") {
      const here = loc.pathname + loc.search;
      redirect = me.setupNeeded
        ? `${BASE}/setup`
        : route.page === "home"
        ? `${BASE}/login`
        : `${BASE}/login?next=${encodeURIComponent(here)}`;
    }
  }

  useEffect(() => {
    if (redirect) navigate(redirect, true);
  }, [redirect]);

  useEffect(() => {
    const name = route.page === "app" ? route.name : TITLES[route.page];
    document.title = `${name} · fazt`;
  }, [loc.pathname]);

  // Move focus to the new page's heading after client-side navigation.
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
  }, [loc.pathname]);

  const afterSignIn = async () => {
    await refresh();
    const next = new URLSearchParams(location.search).get("next");
    navigate(next?.startsWith(`${BASE}/`) ? next : `${BASE}/apps`, true);
  };

  const logout = async () => {
    try {
      await api("POST", "/auth/logout");
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
      return;
    }
    setMe((m) => m && { ...m, kind: "anonymous", owner: null });
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
  } else if (!signedIn && route.page === "setup") {
    body = (
      <Setup
        token={new URLSearchParams(loc.search).get("token") ?? ""}
        setupNeeded={me.setupNeeded}
        onDone={afterSignIn}
      />
    );
  } else if (!signedIn) {
    body = <Login onDone={afterSignIn} />;
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

render(<App />, document.getElementById("app")!);
