/**
 * Prints a JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) as a
 * TypeScript type: the subset zod's `toJSONSchema` and fazt's OpenAPI
 * document use — objects with `properties`, `required` and
 * `additionalProperties`, records, arrays and tuples, `enum` and `const`,
 * `anyOf`/`oneOf` unions, `allOf` intersections, `type` lists, OpenAPI
 * 3.0's `nullable`, and `$ref`s — with each property's `description` as a
 * doc comment. Constraints that types cannot say (lengths, ranges,
 * patterns) are left out; anything else prints as `unknown`, never as
 * something narrower than the schema allows.
 *
 * It imports nothing, so any generator can use it: the dashboard's API
 * client (`gen_api.ts`) and the types for app authors
 * (`kernel/capabilities/fazt_dts.ts`).
 *
 * @module
 */

/** A JSON Schema: an object, or `true` (anything) / `false` (nothing). */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** How {@linkcode schemaToTs} prints what JSON Schema leaves open. */
export interface PrintOptions {
  /**
   * The TypeScript type a `$ref` stands for (e.g. `#/components/schemas/Error`
   * → `Schemas["Error"]`). Without it a `$ref` is an error.
   */
  ref?: (ref: string) => string;
  /** The type of `{ "type": "string", "format": "binary" }` (default `string`). */
  binary?: string;
  /** Spaces per nesting level (default 2). */
  indent?: number;
}

type Schema = { readonly [keyword: string]: unknown };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A property name as TypeScript writes it: bare when it can be, quoted otherwise. */
export function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** `line` broken at spaces into lines of at most `width` characters (longer words stay whole). */
function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  out.push(current);
  return out;
}

/**
 * A doc comment for `text`, each line starting with `pad` and wrapped to
 * `width` characters in all, or nothing when there is no text.
 */
export function docComment(text: unknown, pad: string, width = 100): string {
  if (typeof text !== "string" || text.trim() === "") return "";
  const escaped = text.trim().replaceAll("*/", "*\\/");
  if (!escaped.includes("\n") && pad.length + escaped.length + 7 <= width) {
    return `${pad}/** ${escaped} */\n`;
  }
  const room = Math.max(20, width - pad.length - 3);
  const lines = escaped.split("\n").flatMap((l) => (l.trim() === "" ? [""] : wrap(l.trim(), room)));
  return `${pad}/**\n${lines.map((l) => `${pad} *${l ? ` ${l}` : ""}`).join("\n")}\n${pad} */\n`;
}

/** A JSON value as a TypeScript literal type. */
function literal(value: unknown): string {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `readonly [${value.map(literal).join(", ")}]`;
  if (isSchema(value)) {
    const fields = Object.entries(value).map(([k, v]) => `${propertyName(k)}: ${literal(v)}`);
    return fields.length === 0 ? "Record<string, never>" : `{ ${fields.join("; ")} }`;
  }
  return "unknown";
}

/** `members` joined by `sep`, without repeats; `unknown` absorbs a union, `never` vanishes. */
function join(members: string[], sep: " | " | " & "): string {
  const unique = [...new Set(members)];
  if (sep === " | ") {
    if (unique.includes("unknown")) return "unknown";
    const rest = unique.filter((m) => m !== "never");
    if (rest.length === 0) return "never";
    // `&` binds tighter than `|`: union members never need parentheses.
    return rest.join(sep);
  }
  const rest = unique.filter((m) => m !== "unknown");
  if (rest.length === 0) return "unknown";
  if (rest.length === 1) return rest[0];
  return rest.map((m) => (isCompound(m) ? `(${m})` : m)).join(sep);
}

/** True when a printed type must be parenthesised inside `T[]` or `A & B`. */
function isCompound(type: string): boolean {
  let depth = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (c === '"') {
      // Skip a string literal, escapes included.
      for (i++; i < type.length && type[i] !== '"'; i++) if (type[i] === "\\") i++;
    } else if (c === "{" || c === "(" || c === "[" || c === "<") depth++;
    else if (c === "}" || c === ")" || c === "]" || c === ">") depth--;
    else if (depth === 0 && (c === "|" || c === "&")) return true;
  }
  return false;
}

class Printer {
  readonly #ref: (ref: string) => string;
  readonly #binary: string;
  readonly #unit: string;

  constructor(options: PrintOptions) {
    this.#ref = options.ref ?? ((r) => {
      throw new Error(`json_schema_ts: no type is given for the $ref ${r}`);
    });
    this.#binary = options.binary ?? "string";
    this.#unit = " ".repeat(options.indent ?? 2);
  }

  print(schema: JsonSchema | undefined, depth: number): string {
    if (schema === undefined || schema === true) return "unknown";
    if (schema === false) return "never";
    const parts: string[] = [];
    if (typeof schema.$ref === "string") parts.push(this.#ref(schema.$ref));
    if ("const" in schema) parts.push(literal(schema.const));
    else if (Array.isArray(schema.enum)) parts.push(join(schema.enum.map(literal), " | "));
    else {
      const typed = this.#typed(schema, depth);
      if (typed !== undefined) parts.push(typed);
    }
    for (const key of ["anyOf", "oneOf"]) {
      const list = schema[key];
      if (Array.isArray(list)) {
        parts.push(join(list.map((s) => this.print(s as JsonSchema, depth)), " | "));
      }
    }
    if (Array.isArray(schema.allOf)) {
      parts.push(join(schema.allOf.map((s) => this.print(s as JsonSchema, depth)), " & "));
    }
    const type = parts.length === 0 ? "unknown" : join(parts, " & ");
    return schema.nullable === true ? join([type, "null"], " | ") : type;
  }

  /** The type that `type` (or, without it, `properties` / `items`) gives, if any. */
  #typed(schema: Schema, depth: number): string | undefined {
    const types = Array.isArray(schema.type)
      ? schema.type
      : typeof schema.type === "string"
      ? [schema.type]
      : isSchema(schema.properties) || "additionalProperties" in schema
      ? ["object"]
      : "items" in schema || "prefixItems" in schema
      ? ["array"]
      : [];
    if (types.length === 0) return undefined;
    return join(types.map((t) => this.#ofType(String(t), schema, depth)), " | ");
  }

  #ofType(type: string, schema: Schema, depth: number): string {
    switch (type) {
      case "string":
        return schema.format === "binary" ? this.#binary : "string";
      case "number":
      case "integer":
        return "number";
      case "boolean":
        return "boolean";
      case "null":
        return "null";
      case "array":
        return this.#array(schema, depth);
      case "object":
        return this.#object(schema, depth);
      default:
        return "unknown";
    }
  }

  #array(schema: Schema, depth: number): string {
    if (Array.isArray(schema.prefixItems)) {
      const items = schema.prefixItems.map((s) => this.print(s as JsonSchema, depth));
      const rest = schema.items === false
        ? []
        : [`...${this.#arrayOf(this.print(schema.items as JsonSchema | undefined, depth))}`];
      return `[${[...items, ...rest].join(", ")}]`;
    }
    return this.#arrayOf(this.print(schema.items as JsonSchema | undefined, depth));
  }

  #arrayOf(item: string): string {
    return isCompound(item) ? `(${item})[]` : `${item}[]`;
  }

  #object(schema: Schema, depth: number): string {
    const properties = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    const extra = schema.additionalProperties;
    // Open objects: `additionalProperties` true, a schema, or (without properties) absent.
    const open = extra === undefined ? properties.length === 0 : extra !== false;
    const record = open ? `Record<string, ${this.print(extra as JsonSchema, depth)}>` : undefined;
    if (properties.length === 0) return record ?? "Record<string, never>";
    const pad = this.#unit.repeat(depth + 1);
    const lines = properties.map(([name, value]) => {
      const doc = isSchema(value) ? docComment(value.description, pad) : "";
      const optional = required.has(name) ? "" : "?";
      const type = this.print(value as JsonSchema, depth + 1);
      return `${doc}${pad}${propertyName(name)}${optional}: ${type};\n`;
    });
    const body = `{\n${lines.join("")}${this.#unit.repeat(depth)}}`;
    return record === undefined ? body : `${body} & ${record}`;
  }
}

/**
 * The TypeScript type of `schema`. Nested objects are printed over several
 * lines, indented for nesting level `depth` (0 for a top-level type).
 *
 * @example
 * ```ts
 * schemaToTs({ type: "object", properties: { id: { type: "string" } }, required: ["id"] });
 * // "{\n  id: string;\n}"
 * ```
 */
export function schemaToTs(
  schema: JsonSchema,
  options: PrintOptions = {},
  depth = 0,
): string {
  return new Printer(options).print(schema, depth);
}
