/**
 * The agents page: connecting an AI agent through fazt's MCP server — the
 * exact `claude mcp add` command for this server, with a button that
 * creates a suitably scoped token, and the endpoint for other clients.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";
import { useAction } from "../../lib/use_action.ts";
import { CopyField } from "../../components/copy_field.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { Link } from "../../components/link.tsx";
import { PageHeader } from "../../components/page_header.tsx";
import { AGENT_SCOPES, claudeCommand } from "./claude_command.ts";

/** The agents page. */
export function AgentsPage(): VNode {
  const [token, setToken] = useState<Output<"tokens.create">>();
  const origin = location.origin;
  const endpoint = `${origin}/_fazt/mcp`;

  const create = useAction(async () => {
    const stamp = new Date().toISOString().slice(0, 10);
    setToken(await call("tokens.create", { name: `claude-code ${stamp}`, scopes: AGENT_SCOPES }));
  });

  return (
    <>
      <PageHeader
        title="Agents"
        sub="Let an AI agent deploy and inspect your apps through fazt's MCP server."
      />
      <div class="stack-lg">
        <section class="card" aria-labelledby="claude-title">
          <h2 id="claude-title">Claude Code</h2>
          <ol class="steps">
            <li>
              <p>
                Create a token for the agent. It may read and deploy apps, read logs and read data
                (<code>{AGENT_SCOPES.join(" ")}</code>), but not delete apps, change secrets or
                manage tokens.
              </p>
              <div class="row">
                <button
                  type="button"
                  class="btn btn-primary"
                  onClick={() => create.run()}
                  disabled={create.busy}
                >
                  {create.busy
                    ? "Creating…"
                    : token
                    ? "Create another token"
                    : "Create agent token"}
                </button>
                {token && (
                  <span class="muted small" role="status">Token “{token.name}” created.</span>
                )}
              </div>
              <ErrorNote error={create.error} title="Could not create the token" />
            </li>
            <li>
              <p>
                {token
                  ? "Run this in a terminal. It holds the token, shown only this once."
                  : "Then run this in a terminal:"}
              </p>
              <CopyField
                id="claude-command"
                label="Command"
                multiline
                value={claudeCommand(origin, token ? token.token : "<token>")}
              />
            </li>
          </ol>
        </section>
        <section class="card" aria-labelledby="other-title">
          <h2 id="other-title">Other MCP clients</h2>
          <p class="muted small">
            Any client that speaks MCP over Streamable HTTP can connect with a bearer token.
          </p>
          <CopyField id="mcp-endpoint" label="Endpoint" value={endpoint} />
          <p class="muted small">
            Send{" "}
            <code>Authorization: Bearer &lt;token&gt;</code>. Revoke agent tokens any time on the
            {" "}
            <Link href="/_fazt/tokens">Tokens</Link> page.
          </p>
        </section>
      </div>
    </>
  );
}
