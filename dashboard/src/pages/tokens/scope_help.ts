/**
 * What each token scope allows, in words, beside its checkbox. Typed by
 * the scope list the kernel exports (through `gen/api.ts`), so a new scope
 * fails the type check until it is explained here.
 *
 * @module
 */
import type { Scope } from "../../api.ts";

/** What each scope allows. */
export const SCOPE_HELP: Record<Scope, string> = {
  "apps:read": "List apps, versions, files, routes and secret names",
  "apps:write": "Deploy, rename, roll back, change routes",
  "apps:delete": "Delete apps",
  "data:read": "Read apps' kv, documents and SQL",
  "data:write": "Change apps' kv data",
  "secrets:write": "Set and remove secrets",
  "logs:read": "Read and follow logs",
  "system:read": "Server info and statistics",
  admin: "Everything, including tokens",
};
