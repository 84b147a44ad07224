/**
 * A certificate's state as a badge: active (green), pending, failing or
 * expired (amber), or "HTTP only" while HTTPS is off; and the status
 * sentence (with the last error) under it.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";

/** A certificate state as the API names it. */
export type CertState = Output<"domains.list">[number]["state"];

const BADGES: Record<CertState, [string, string]> = {
  active: ["badge badge-ok", "Active"],
  pending: ["badge", "Pending"],
  failing: ["badge badge-warn", "Failing"],
  expired: ["badge badge-warn", "Expired"],
  off: ["badge", "HTTP only"],
};

/**
 * The badge, then the API's sentence about it in small print. While HTTPS
 * is off the sentence is the same for every name (the certificates card
 * says it once), so the badge carries it as its tooltip only.
 */
export function CertStatus({ state, status }: { state: CertState; status: string }): VNode {
  const [cls, label] = BADGES[state];
  return (
    <div>
      <span class={cls} title={status}>{label}</span>
      {state !== "off" && <div class="muted small">{status}</div>}
    </div>
  );
}
