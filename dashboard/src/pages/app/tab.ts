/**
 * What every tab of the app page gets: the app in full (`apps.get`) and a
 * way to load it again after a change.
 *
 * @module
 */
import type { Output } from "../../api.ts";

/** One app in full: details, versions, traffic of the last 24 hours. */
export type AppDetail = Output<"apps.get">;

/** Props of every tab. */
export interface TabProps {
  /** The app. */
  app: AppDetail;
  /** Loads the app again (after a deploy or rollback). */
  reload: () => Promise<void>;
}
