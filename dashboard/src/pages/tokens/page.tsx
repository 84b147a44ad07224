/**
 * The tokens page: create an API token (its secret is shown once), the
 * active tokens, and revoking one.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { useOp } from "../../lib/use_op.ts";
import { Confirm } from "../../components/confirm.tsx";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { KeyIcon } from "../../components/icons.tsx";
import { Loading } from "../../components/loading.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { toast } from "../../components/toasts.tsx";
import { CreateTokenForm } from "./create_token_form.tsx";
import { NewTokenNote } from "./new_token_note.tsx";
import { TokenTable } from "./token_table.tsx";

type Token = Output<"tokens.list">[number];

/** The tokens page. */
export function TokensPage(): VNode {
  const list = useOp("tokens.list", {});
  const apps = useOp("apps.list", {});
  const [created, setCreated] = useState<Output<"tokens.create">>();
  const [revoking, setRevoking] = useState<Token>();
  const appName = (id: string) => apps.data?.find((a) => a.id === id)?.name ?? id;

  return (
    <>
      <PageHeader
        title="Tokens"
        sub="API tokens let scripts, CI and agents use fazt's API and MCP server."
      />
      <div class="stack-lg">
        {created && <NewTokenNote token={created} onDone={() => setCreated(undefined)} />}
        <CreateTokenForm
          apps={apps.data}
          onCreated={async (token) => {
            setCreated(token);
            await list.reload();
          }}
        />
        <section class="card card-flush" aria-labelledby="tokens-title">
          <div class="card-head">
            <h2 id="tokens-title">Active tokens</h2>
          </div>
          <ErrorNote error={list.error} title="Could not load the tokens" />
          {!list.data && !list.error && <Loading />}
          {list.data && list.data.length === 0 && (
            <Empty title="No tokens" icon={<KeyIcon />}>
              Create one above for a script, CI or an AI agent.
            </Empty>
          )}
          {list.data && list.data.length > 0 && (
            <TokenTable tokens={list.data} appName={appName} onRevoke={setRevoking} />
          )}
        </section>
      </div>
      {revoking && (
        <Confirm
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          danger
          onConfirm={async () => {
            await call("tokens.revoke", { id: revoking.id });
            toast(`Token ${revoking.name} revoked.`);
            await list.reload();
          }}
          onClose={() => setRevoking(undefined)}
        >
          <p>Anything using it stops working from its next request.</p>
        </Confirm>
      )}
    </>
  );
}
