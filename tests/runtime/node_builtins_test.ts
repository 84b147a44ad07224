/** The constant list of Node built-ins is exactly what this Deno offers. */
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { NODE_BUILTINS } from "../../runtime/node_builtins.ts";

Deno.test("NODE_BUILTINS equals node:module's builtinModules (update it with Deno)", () => {
  assert.deepEqual([...NODE_BUILTINS].sort(), [...builtinModules].sort());
});
