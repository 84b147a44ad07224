/**
 * MCP tools generated from the operation registry: one tool per operation
 * (except the few in {@linkcode MCP_EXCLUDED_OPERATIONS}), named after it
 * with `.` → `_`, described by its summary and description, typed by its
 * zod input and output (as JSON Schema), annotated from its hints. A call
 * runs through the shared executor with the caller's principal, so
 * validation, scopes and app limits are exactly those of REST and the CLI.
 *
 * @module
 */
import { z } from "zod";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AnyOperation, OperationContext } from "../../ops/operation.ts";
import { execute } from "../../ops/executor.ts";
import { Upload } from "../../ops/upload.ts";
import { Download } from "../../ops/download.ts";
import { concatBytes } from "../../core/bytes.ts";
import { hasScope, type Principal } from "../../services/auth/scopes.ts";
import { FaztError, toFaztError } from "../../core/errors.ts";

/**
 * Operations with no tool, and why. Everything else in the registry is a
 * tool (`tests/kernel/http/mcp/coverage_test.ts` holds this list to account).
 */
export const MCP_EXCLUDED_OPERATIONS: Readonly<Record<string, string>> = Object.freeze({
  "auth.setup":
    "creates the owner account from the one-time setup link and answers with a browser session cookie, which MCP has no use for",
  "auth.login": "exchanges a password for a browser session cookie; MCP clients use API tokens",
  "auth.logout": "ends a browser session (cookie); MCP clients use API tokens",
  "logs.tail":
    "a live stream that never ends, while a tool call returns one result: logs_query and the fazt://apps/{app}/logs resource return the recent entries",
});

/** The tool name of an operation: `apps.list` → `apps_list`. */
export function toolName(operationName: string): string {
  return operationName.replaceAll(".", "_");
}

/** One tool and how to run it. */
export interface McpTool {
  /** The operation behind it. */
  op: AnyOperation;
  /** The descriptor sent in `tools/list`. */
  tool: Tool;
  /** The output is an array, sent as `{ items: [...] }` (structured content is an object). */
  wrapsArray: boolean;
  /** For upload operations: the input field bound to the upload, sent as `<field>_base64`. */
  uploadField?: string;
}

type Json = Record<string, unknown>;

/** A JSON Schema (2020-12, without `$schema`) for a zod schema. */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as Json;
  return rest;
}

function inputSchemaOf(op: AnyOperation): Json {
  const schema = jsonSchemaOf(op.input, "input");
  const field = op.http.upload?.field;
  if (!field) return schema;
  const properties = { ...(schema.properties as Json | undefined) };
  delete properties[field];
  properties[`${field}_base64`] = {
    type: "string",
    contentEncoding: "base64",
    description: `The ${field} (${op.http.upload!.contentTypes[0]}) as base64.`,
  };
  const required = ((schema.required as string[] | undefined) ?? []).filter((r) => r !== field);
  return { ...schema, properties, required: [...required, `${field}_base64`] };
}

/** The largest download an MCP tool returns (as base64); REST and the CLI stream any size. */
export const MCP_DOWNLOAD_MAX_BYTES = 16 * 1024 * 1024;

const DOWNLOAD_OUTPUT: Json = {
  type: "object",
  properties: {
    filename: { type: "string" },
    contentType: { type: "string" },
    size: { type: "integer" },
    content_base64: { type: "string", contentEncoding: "base64" },
  },
  required: ["filename", "contentType", "size", "content_base64"],
  additionalProperties: false,
};

function outputSchemaOf(op: AnyOperation): { schema: Json; wrapsArray: boolean } {
  if (op.http.download) return { schema: DOWNLOAD_OUTPUT, wrapsArray: false };
  const schema = jsonSchemaOf(op.output, "output");
  if (schema.type === "object") return { schema, wrapsArray: false };
  const { $defs, ...items } = schema;
  return {
    schema: {
      type: "object",
      properties: { items },
      required: ["items"],
      additionalProperties: false,
      ...($defs === undefined ? {} : { $defs }),
    },
    wrapsArray: true,
  };
}

/** Builds the tool of every operation not excluded. */
export function buildTools(operations: readonly AnyOperation[]): McpTool[] {
  const tools: McpTool[] = [];
  for (const op of operations) {
    if (op.name in MCP_EXCLUDED_OPERATIONS) continue;
    if (op.http.stream || op.http.session) {
      throw new Error(
        `MCP: ${op.name} streams or sets a session cookie; give it a tool-friendly form or list it in MCP_EXCLUDED_OPERATIONS with a reason.`,
      );
    }
    const { schema: outputSchema, wrapsArray } = outputSchemaOf(op);
    const readOnly = op.hints.readOnly === true;
    const scope = op.access === "public" ? "any token" : `the "${op.access}" scope`;
    tools.push({
      op,
      wrapsArray,
      uploadField: op.http.upload?.field,
      tool: {
        name: toolName(op.name),
        title: op.summary,
        description: `${op.description} (Needs ${scope}.)`,
        inputSchema: inputSchemaOf(op) as Tool["inputSchema"],
        outputSchema: outputSchema as Tool["outputSchema"],
        annotations: {
          title: op.summary,
          readOnlyHint: readOnly,
          destructiveHint: !readOnly && op.hints.destructive === true,
          idempotentHint: readOnly || op.hints.idempotent === true,
          openWorldHint: false,
        },
      },
    });
  }
  return tools;
}

/**
 * True when `principal` may use `op` at all: it holds the scope, and a
 * token limited to some apps reaches only operations about one app (or
 * that narrow their results). Tools failing this are neither listed nor
 * callable (the executor refuses them too).
 */
export function mayUse(principal: Principal, op: AnyOperation): boolean {
  if (op.access === "public") return principal.kind !== "anonymous";
  if (!hasScope(principal, op.access)) return false;
  if (principal.apps && !principal.scopes.has("admin")) {
    return op.filtersByApp === true || op.appField !== undefined;
  }
  return true;
}

function decodeArguments(t: McpTool, args: Json): Json {
  const field = t.uploadField;
  if (!field) return args;
  const { [`${field}_base64`]: encoded, ...rest } = args;
  if (typeof encoded !== "string" || encoded === "") {
    throw new FaztError(
      "invalid_input",
      `Invalid input for ${t.tool.name}: "${field}_base64" is required (the ${field}'s bytes as base64).`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(encoded.replace(/\s+/g, ""));
  } catch {
    throw new FaztError(
      "invalid_input",
      `Invalid input for ${t.tool.name}: "${field}_base64" is not valid base64.`,
    );
  }
  return { ...rest, [field]: Upload.fromBytes(bytes) };
}

/** A download read into memory as base64, refused past {@linkcode MCP_DOWNLOAD_MAX_BYTES}. */
async function downloadContent(download: Download): Promise<Json> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of download.stream) {
    size += chunk.length;
    if (size > MCP_DOWNLOAD_MAX_BYTES) {
      await download.stream.cancel().catch(() => {});
      throw new FaztError(
        "payload_too_large",
        `${download.filename} is larger than the ${MCP_DOWNLOAD_MAX_BYTES} bytes an MCP tool returns. Download it over REST or with the CLI instead.`,
        { details: { limit: MCP_DOWNLOAD_MAX_BYTES } },
      );
    }
    parts.push(chunk);
  }
  return {
    filename: download.filename,
    contentType: download.contentType,
    size,
    content_base64: concatBytes(parts, size).toBase64(),
  };
}

/** A failed call as a tool result: `isError`, with the code and message. */
export function errorResult(err: unknown, requestId: string): CallToolResult {
  const e = toFaztError(err);
  if (e.code === "internal") console.error(`[${requestId}] internal error:`, e.cause ?? e);
  const details = Object.keys(e.details).length > 0
    ? `\nDetails: ${JSON.stringify(e.details)}`
    : "";
  return {
    isError: true,
    content: [{ type: "text", text: `Error (${e.code}): ${e.message}${details}` }],
  };
}

/** Runs a tool for a caller: the operation through the executor, the result as MCP content. */
export async function callTool(
  t: McpTool,
  args: Json | undefined,
  ctx: OperationContext,
): Promise<CallToolResult> {
  try {
    const output = await execute(t.op, decodeArguments(t, args ?? {}), ctx);
    const structured = output instanceof Download
      ? await downloadContent(output)
      : (t.wrapsArray ? { items: output } : output) as Json;
    return {
      content: [{ type: "text", text: JSON.stringify(structured) }],
      structuredContent: structured,
    };
  } catch (err) {
    return errorResult(err, ctx.requestId);
  }
}
