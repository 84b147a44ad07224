/**
 * Every operation is an MCP tool, except the few excluded on purpose:
 * adding an operation without its tool (or excluding one silently) makes
 * this file fail.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { OPERATIONS } from "../../../../kernel/ops/registry.ts";
import { defineOperation } from "../../../../kernel/ops/operation.ts";
import {
  buildTools,
  MCP_EXCLUDED_OPERATIONS,
  toolName,
} from "../../../../kernel/http/mcp/mcp_tools.ts";

/**
 * The operations with no tool, on purpose: the session-cookie operations
 * (meaningless over MCP, which uses API tokens) and the endless log stream
 * (a tool call returns one result; logs_query covers it).
 */
const EXPECTED_EXCLUSIONS = ["auth.setup", "auth.login", "auth.logout", "logs.tail"];

Deno.test("MCP: the exclusions are exactly the documented ones, each with a reason", () => {
  assert.deepEqual(Object.keys(MCP_EXCLUDED_OPERATIONS).sort(), [...EXPECTED_EXCLUSIONS].sort());
  const names = new Set(OPERATIONS.map((op) => op.name));
  for (const [name, reason] of Object.entries(MCP_EXCLUDED_OPERATIONS)) {
    assert.ok(names.has(name), `${name} is excluded but is no operation`);
    assert.ok(reason.length > 20, `${name} needs a reason`);
  }
});

Deno.test("MCP: every operation not excluded has its tool", () => {
  const tools = new Map(buildTools(OPERATIONS).map((t) => [t.tool.name, t]));
  const missing = OPERATIONS.filter((op) =>
    !(op.name in MCP_EXCLUDED_OPERATIONS) && tools.get(toolName(op.name))?.op !== op
  ).map((op) => op.name);
  assert.deepEqual(missing, [], `operations without an MCP tool: ${missing.join(", ")}`);
  assert.equal(tools.size, OPERATIONS.length - EXPECTED_EXCLUSIONS.length, "tool names collide");
  for (const name of EXPECTED_EXCLUSIONS) assert.ok(!tools.has(toolName(name)), name);
});

Deno.test("MCP: tools mirror their operation (name, text, hints) and their schemas compile", () => {
  const ajv = new AjvJsonSchemaValidator();
  for (const { op, tool, wrapsArray } of buildTools(OPERATIONS)) {
    assert.equal(tool.name, op.name.replaceAll(".", "_"));
    assert.match(tool.name, /^[a-z_]+$/);
    assert.equal(tool.title, op.summary);
    assert.ok(tool.description?.startsWith(op.description), tool.name);
    assert.equal(tool.annotations?.readOnlyHint, op.hints.readOnly === true, tool.name);
    if (op.hints.destructive) assert.equal(tool.annotations?.destructiveHint, true, tool.name);
    if (op.hints.idempotent) assert.equal(tool.annotations?.idempotentHint, true, tool.name);
    assert.equal(tool.inputSchema.type, "object", tool.name);
    assert.equal(tool.outputSchema?.type, "object", tool.name);
    assert.equal(wrapsArray, op.output instanceof z.ZodArray, tool.name);
    assert.ok(!("$schema" in tool.inputSchema), "no $schema: clients assume 2020-12");
    ajv.getValidator(tool.inputSchema);
    ajv.getValidator(tool.outputSchema!);
  }
});

Deno.test("MCP: a streaming or session operation must be excluded explicitly", () => {
  const streaming = defineOperation({
    name: "test.stream",
    summary: "A stream",
    description: "Streams.",
    input: z.strictObject({}),
    output: z.object({}),
    access: "logs:read",
    hints: { readOnly: true },
    http: { method: "GET", path: "/test", stream: true },
    cli: { words: ["test", "stream"] },
    handler: () => Promise.resolve({}),
  });
  assert.throws(() => buildTools([streaming]), /MCP_EXCLUDED_OPERATIONS/);
});
