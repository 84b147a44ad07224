/**
 * The dashboard's icons and the fazt mark: inline SVG (no requests to
 * anywhere), hidden from screen readers because each sits beside a text.
 *
 * @module
 */
import type { VNode } from "preact";

function Icon({ d, size = 18 }: { d: string; size?: number }): VNode {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={d} />
    </svg>
  );
}

/** The fazt mark. */
export function Logo(): VNode {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" class="logo-bg" />
      <path d="M18.5 5 9 18h6l-1.5 9L23 14h-6z" class="logo-bolt" />
    </svg>
  );
}

/** Apps. */
export const AppsIcon = (): VNode => 
<Icon d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z" />;
/** A globe: domain names. */
export const GlobeIcon = (): VNode => (
  <Icon d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM3 12h18M12 3c2.4 2.5 3.6 5.5 3.6 9s-1.2 6.5-3.6 9c-2.4-2.5-3.6-5.5-3.6-9s1.2-6.5 3.6-9z" />
);
/** Keys. */
export const KeyIcon = (): VNode => (
  <Icon d="M21 2l-2 2m-7.6 7.6a5.5 5.5 0 1 1-7.78 7.78 5.5 5.5 0 0 1 7.78-7.78zm0 0L15.5 7.5m0 0 3 3L22 7l-3-3m-3.5 3.5L19 4" />
);
/** A gauge. */
export const SystemIcon = (): VNode => <Icon d="M12 14l4-4M3.5 18a9.5 9.5 0 1 1 17 0zM12 14h.01" />;
/** Agents. */
export const AgentIcon = (): VNode => (
  <Icon d="M12 3v3M6 8h12a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2zM9 13h.01M15 13h.01M9.5 16.5h5" />
);
/** A person: the owner's account. */
export const UserIcon = (): VNode => (
  <Icon d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0" />
);
/** A box with an arrow: backups. */
export const BackupIcon = (): VNode => <Icon d="M4 7h16v13H4zM3 4h18v3H3zM12 10v7M9 14l3 3 3-3" />;
/** Opens elsewhere. */
export const ExternalIcon = (): VNode => (
  <Icon size={14} d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />
);
/** Upload. */
export const UploadIcon = (): VNode => (
  <Icon size={28} d="M12 16V4M7 9l5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
);
/** Copy. */
export const CopyIcon = (): VNode => <Icon size={16} d="M9 9h10v11H9zM5 15H4V4h11v1" />;
/** Log out. */
export const LogoutIcon = (): VNode => (
  <Icon size={16} d="M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4M10 17l5-5-5-5M15 12H4" />
);
