/**
 * The signed-in sections of the dashboard, in navigation order: each one's
 * URL segment (`/_fazt/<slug>`), its label and icon in the navigation, and
 * its page. A new section is one entry here (and its path in `serve.ts`).
 *
 * @module
 */
import type { VNode } from "preact";
import {
  AgentIcon,
  AppsIcon,
  BackupIcon,
  GlobeIcon,
  KeyIcon,
  SystemIcon,
  UserIcon,
} from "../components/icons.tsx";
import { AppsPage } from "../pages/apps/page.tsx";
import { DomainsPage } from "../pages/domains/page.tsx";
import { TokensPage } from "../pages/tokens/page.tsx";
import { SystemPage } from "../pages/system/page.tsx";
import { AgentsPage } from "../pages/agents/page.tsx";
import { BackupsPage } from "../pages/backups/page.tsx";
import { AccountPage } from "../pages/account/page.tsx";

/** A section of the navigation. */
export interface Section {
  /** The URL segment after `/_fazt/`. */
  slug: string;
  /** The navigation's label, also the page's title. */
  label: string;
  /** The navigation's icon. */
  Icon: () => VNode;
  /** The page. */
  Page: () => VNode;
}

/** Every section, in navigation order. */
export const SECTIONS: readonly Section[] = [
  { slug: "apps", label: "Apps", Icon: AppsIcon, Page: AppsPage },
  { slug: "domains", label: "Domains", Icon: GlobeIcon, Page: DomainsPage },
  { slug: "tokens", label: "Tokens", Icon: KeyIcon, Page: TokensPage },
  { slug: "system", label: "System", Icon: SystemIcon, Page: SystemPage },
  { slug: "backups", label: "Backups", Icon: BackupIcon, Page: BackupsPage },
  { slug: "agents", label: "Agents", Icon: AgentIcon, Page: AgentsPage },
  { slug: "account", label: "Account", Icon: UserIcon, Page: AccountPage },
];
