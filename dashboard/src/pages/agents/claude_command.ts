/**
 * What connecting Claude Code to this server takes: the scopes its token
 * gets, and the `claude mcp add` command that holds the token.
 *
 * @module
 */
import type { Scope } from "../../api.ts";

/** The scopes an agent token gets: read and deploy apps, read logs and data. */
export const AGENT_SCOPES: Scope[] = ["apps:read", "apps:write", "logs:read", "data:read"];

/** The command that adds the server at `origin` to Claude Code with `token`. */
export function claudeCommand(origin: string, token: string): string {
  return `claude mcp add --transport http fazt ${origin}/_fazt/mcp --header "Authorization: Bearer ${token}"`;
}
