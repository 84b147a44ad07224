/**
 * The parts of the MCP SDK the codec uses, in one module so that the codec
 * can load them on the first MCP request: importing the SDK costs a few
 * hundred milliseconds, which `fazt serve` boots and in-process CLI
 * commands should not pay.
 *
 * @module
 */
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";

export { Server } from "@modelcontextprotocol/sdk/server";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
export { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
export {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

/**
 * One JSON Schema validator for every per-request server (the SDK would
 * build a new Ajv instance for each; fazt never asks clients for input).
 */
export const jsonSchemaValidator: AjvJsonSchemaValidator = new AjvJsonSchemaValidator();
