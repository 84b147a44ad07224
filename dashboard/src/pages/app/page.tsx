/**
 * One app's page: the breadcrumb, the logo and name with its status and address,
 * the tabs (see `tabs.ts`) and the current tab's panel.
 *
 * @module
 */
import type { VNode } from "preact";
import { appPath } from "../../lib/router.ts";
import { useOp } from "../../lib/use_op.ts";
import { AppUrl } from "../../components/app_url.tsx";
import { AppLogo } from "../../components/app_logo.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { Link } from "../../components/link.tsx";
import { Loading } from "../../components/loading.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { StatusBadge } from "../../components/status_badge.tsx";
import { TABS } from "./tabs.ts";

/** The app page, showing tab `tab` (a URL segment) of app `name`. */
export function AppPage({ name, tab }: { name: string; tab: string }): VNode {
  const app = useOp("apps.get", { app: name });
  const current = TABS.find((t) => t.slug === tab);

  if (app.error && !app.data) {
    return (
      <>
        <PageHeader title={name} />
        <ErrorNote error={app.error} title="Could not load this app" />
        <p>
          <Link href="/_fazt/apps">Back to all apps</Link>
        </p>
      </>
    );
  }
  if (!app.data) return <Loading />;
  const a = app.data;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/_fazt/apps">Apps</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{a.name}</span>
      </nav>
      <PageHeader
        title={
          <span class="app-title">
            <AppLogo app={a} size={40} />
            {a.name}
          </span>
        }
        sub={
          <>
            <StatusBadge app={a} />
            <AppUrl url={a.url} />
          </>
        }
      >
        <a class="btn" href={a.url} target="_blank" rel="noopener noreferrer">
          Open app<span class="sr-only">(opens in a new tab)</span>
        </a>
      </PageHeader>
      {(a.title || a.description) && (
        <p class="muted app-desc">
          {a.title && <strong>{a.title}</strong>} {a.description}
        </p>
      )}
      <nav class="tabs" aria-label="App sections">
        {TABS.map((t) => (
          <Link
            key={t.slug}
            href={appPath(name, t.slug)}
            class="tab"
            aria-current={t === current ? "page" : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <div class="tab-panel">
        {current
          ? <current.Panel app={a} reload={app.reload} />
          : <ErrorNote error={new Error(`There is no “${tab}” section.`)} />}
      </div>
    </>
  );
}
