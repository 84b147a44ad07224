/**
 * The account page: the owner's login email and password, and the devices
 * they logged in from.
 *
 * @module
 */
import type { VNode } from "preact";
import { useOp } from "../../lib/use_op.ts";
import { ErrorNote } from "../../components/error_note.tsx";
import { Loading } from "../../components/loading.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { EmailCard } from "./email_card.tsx";
import { PasswordCard } from "./password_card.tsx";
import { DevicesCard } from "./devices_card.tsx";

/** The account page. */
export function AccountPage(): VNode {
  const me = useOp("auth.whoami", {});
  return (
    <>
      <PageHeader title="Account" sub="How you log in to this dashboard." />
      <div class="stack-lg">
        <ErrorNote error={me.error} title="Could not load the account" />
        {!me.data && !me.error && <Loading />}
        {me.data?.owner && <EmailCard email={me.data.owner.email} onChanged={me.reload} />}
        <PasswordCard />
        <DevicesCard />
      </div>
    </>
  );
}
