/**
 * Reads an operation's zod input schema for the CLI: which fields exist,
 * their kinds (to parse flag values) and descriptions (for help text).
 *
 * @module
 */
import type { z } from "zod";
import type { AnyOperation } from "../ops/operation.ts";

/** What the CLI needs to know about one input field. */
export interface FieldInfo {
  /** The field name, also the flag name. */
  name: string;
  /** How to parse the value. */
  kind: "string" | "number" | "boolean" | "array" | "upload" | "other";
  /** True when the field may be left out. */
  optional: boolean;
  /** True when the field takes `null` (given as `none` on the command line). */
  nullable: boolean;
  /** Help text. */
  description: string;
}

function unwrap(
  schema: z.ZodType,
): { inner: z.ZodType; optional: boolean; nullable: boolean; description?: string } {
  let s = schema;
  let optional = false;
  let nullable = false;
  let description = s.description;
  while (["optional", "default", "nullable"].includes(s.def.type)) {
    if (s.def.type === "nullable") nullable = true;
    else optional = true;
    s = (s.def as unknown as { innerType: z.ZodType }).innerType;
    description ??= s.description;
  }
  return { inner: s, optional, nullable, description };
}

/** The input fields of an operation. */
export function inputFields(op: AnyOperation): FieldInfo[] {
  const shape = (op.input as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([name, schema]) => {
    const { inner, optional, nullable, description } = unwrap(schema);
    // A query-string boolean is a pipe from text to a boolean.
    const out = (inner.def as { out?: z.ZodType }).out;
    const t = inner.def.type === "pipe" && out?.def.type === "boolean" ? "boolean" : inner.def.type;
    const kind: FieldInfo["kind"] = name === op.http.upload?.field
      ? "upload"
      : t === "string" || t === "enum" || t === "literal"
      ? "string"
      : t === "number" || t === "int"
      ? "number"
      : t === "boolean"
      ? "boolean"
      : t === "array"
      ? "array"
      : "other";
    return { name, kind, optional, nullable, description: description ?? "" };
  });
}
