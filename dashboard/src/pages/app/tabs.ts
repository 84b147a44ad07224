/**
 * The app page's tabs, written once: each one's URL segment
 * (`/_fazt/apps/<name>/<slug>`, empty for the overview), its label and its
 * panel. A new tab is one entry here and one `*_tab.tsx` file.
 *
 * @module
 */
import type { VNode } from "preact";
import type { TabProps } from "./tab.ts";
import { OverviewTab } from "./overview_tab.tsx";
import { FilesTab } from "./files_tab.tsx";
import { LogsTab } from "./logs_tab.tsx";
import { DataTab } from "./data_tab.tsx";
import { SecretsTab } from "./secrets_tab.tsx";
import { RoutesTab } from "./routes_tab.tsx";
import { SettingsTab } from "./settings_tab.tsx";

/** A tab of the app page. */
export interface Tab {
  /** The URL segment after the app's name ("" for the overview). */
  slug: string;
  /** The label. */
  label: string;
  /** The panel. */
  Panel: (props: TabProps) => VNode;
}

/** Every tab, in order. */
export const TABS: readonly Tab[] = [
  { slug: "", label: "Overview", Panel: OverviewTab },
  { slug: "files", label: "Files", Panel: FilesTab },
  { slug: "logs", label: "Logs", Panel: LogsTab },
  { slug: "data", label: "Data", Panel: DataTab },
  { slug: "secrets", label: "Secrets", Panel: SecretsTab },
  { slug: "routes", label: "Routes", Panel: RoutesTab },
  { slug: "settings", label: "Settings", Panel: SettingsTab },
];
