/**
 * Structured input fields that also accept their JSON text. JSON bodies and
 * MCP tool calls pass objects as they are; CLI flags and query strings can
 * only carry strings, so a string is parsed as JSON first. The JSON Schema
 * (OpenAPI, MCP) shows only the structured form.
 *
 * @module
 */
import { z } from "zod";

/** `schema`, or a string holding its JSON text (parsed before validation). */
export function jsonInput<T extends z.ZodType>(schema: T): z.ZodPreprocess<T> {
  return z.preprocess((value, ctx) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: "expected JSON (an object or array), got text that is not valid JSON",
      });
      return z.NEVER;
    }
  }, schema);
}
