/**
 * Structured input fields that also accept their JSON text. JSON bodies and
 * MCP tool calls pass objects as they are; CLI flags and query strings can
 * only carry strings, so a string is parsed as JSON first. The JSON Schema
 * (OpenAPI, MCP) shows only the structured form. No input may hold a
 * `__proto__` key ({@linkcode protoKeyPath}).
 *
 * @module
 */
import { z } from "zod";

/** `schema`, or a string holding its JSON text (parsed before validation). */
export function jsonInput<T extends z.ZodType>(schema: T): z.ZodPreprocess<T> {
  return z.preprocess((value, ctx) => {
    if (typeof value !== "string") return value;
    try {
      const parsed: unknown = JSON.parse(value);
      if (protoKeyPath(parsed) !== undefined) {
        ctx.addIssue({ code: "custom", message: 'the key "__proto__" is not allowed' });
        return z.NEVER;
      }
      return parsed;
    } catch {
      ctx.addIssue({
        code: "custom",
        message: "expected JSON (an object or array), got text that is not valid JSON",
      });
      return z.NEVER;
    }
  }, schema);
}

/**
 * Where `value` holds an own `__proto__` key (`"files"`, `"filter.a"`; `""`
 * at the top), or `undefined` when it holds none. `JSON.parse` makes such a
 * key an ordinary property, but copying it into a new object (as zod does
 * for records) sets that object's prototype instead, so the key would be
 * lost without a word. Only plain objects and arrays are searched, without
 * recursion (input may be nested deeper than the stack).
 */
export function protoKeyPath(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    const proto = Object.getPrototypeOf(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], path ? `${path}.${i}` : String(i)]);
    } else if (proto === Object.prototype || proto === null) {
      if (Object.hasOwn(v, "__proto__")) return path;
      for (const [k, child] of Object.entries(v)) stack.push([child, path ? `${path}.${k}` : k]);
    }
  }
  return undefined;
}
