/**
 * The page for a dashboard path that names nothing.
 *
 * @module
 */
import type { VNode } from "preact";
import { Link } from "../components/link.tsx";

/** "Page not found", with the way back to the apps. */
export function NotFoundPage(): VNode {
  return (
    <div class="page-header">
      <div class="page-title">
        <h1 tabIndex={-1}>Page not found</h1>
        <p class="page-sub">
          Nothing in the dashboard lives here. <Link href="/_fazt/apps">Go to your apps</Link>.
        </p>
      </div>
    </div>
  );
}
