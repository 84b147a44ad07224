/**
 * Generates `docs/fazt.d.ts`, the types app authors check their code
 * against, from the capability registry: each capability's argument tuple
 * and result go through `z.toJSONSchema` and the JSON Schema → TypeScript
 * printer (`kernel/core/json_schema_ts.ts`), its summary and its arguments'
 * descriptions become doc comments, and schemas with an `id` become named
 * types in the `Fazt` namespace. The handler's signature types are written
 * here, next to what the sandbox does with a handler (`runtime/child/main.ts`).
 *
 * Run with `deno task fazt-dts`. The file is committed;
 * `tests/kernel/capabilities/fazt_dts_test.ts` fails while it differs from
 * a fresh generation.
 *
 * @module
 */
import { z } from "zod";
import { docComment, type JsonSchema, schemaToTs } from "../core/json_schema_ts.ts";
import { formatTs } from "../core/ts_format.ts";
import type { AnyCapability, CapabilityGroup } from "./capability.ts";
import { CAPABILITY_GROUPS } from "./registry.ts";

type Json = { readonly [key: string]: unknown };

/** Where the generated file goes. */
export const FAZT_DTS: URL = new URL("../../docs/fazt.d.ts", import.meta.url);

/**
 * Named types written by hand rather than printed from their (open)
 * schemas: what each stands for, and its declaration in `Fazt`, if any.
 */
const BUILT_IN: Record<string, { type: string; declaration?: string }> = {
  Bytes: { type: "Uint8Array" },
  JsonValue: {
    type: "Fazt.JsonValue",
    declaration: `  /**
   * A JSON value: objects, arrays, strings, finite numbers, booleans and
   * null. Passed in, anything goes at compile time (your own interfaces
   * included) and fazt checks it when it stores it, refusing what JSON
   * cannot hold (NaN, dates, Maps, bytes…) with a message that names the
   * place; read back, narrow or cast it (\`value as Note\`).
   */
  type JsonValue = unknown;
`,
  },
  DocField: {
    type: "Fazt.DocField",
    declaration: `  /**
   * A field of a document: any JSON value, typed loosely so that documents
   * are written and read as your own interfaces (\`doc as Note\`).
   */
  // deno-lint-ignore no-explicit-any
  type DocField = any;
`,
  },
};

const DEFS = "#/$defs/";

function isJson(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Collects the named types (`$defs`) of every schema, refusing two different ones of one name. */
class Types {
  readonly #defs = new Map<string, string>();

  /** `schema` as TypeScript, at nesting `depth`; its `$defs` are collected. */
  print(schema: JsonSchema, depth: number): string {
    if (isJson(schema) && isJson(schema.$defs)) {
      for (const [name, def] of Object.entries(schema.$defs)) {
        if (name in BUILT_IN) continue;
        const text = this.#print(def as JsonSchema, 1);
        const doc = isJson(def) ? def.description : undefined;
        const entry = `${docComment(doc, "  ")}  type ${name} = ${text};\n`;
        const known = this.#defs.get(name);
        if (known !== undefined && known !== entry) {
          throw new Error(`fazt_dts: two different schemas have the id "${name}"`);
        }
        this.#defs.set(name, entry);
      }
    }
    return this.#print(schema, depth);
  }

  #print(schema: JsonSchema, depth: number): string {
    return schemaToTs(schema, {
      binary: "Uint8Array",
      ref: (ref) => {
        if (!ref.startsWith(DEFS)) throw new Error(`fazt_dts: unsupported $ref ${ref}`);
        const name = ref.slice(DEFS.length);
        return BUILT_IN[name]?.type ?? `Fazt.${name}`;
      },
    }, depth);
  }

  /** The collected types and the built-in ones, sorted by name. */
  declarations(): string {
    const all = [...this.#defs.entries()];
    for (const [name, { declaration }] of Object.entries(BUILT_IN)) {
      if (declaration) all.push([name, declaration]);
    }
    return all.sort(([a], [b]) => a.localeCompare(b)).map(([, d]) => d).join("\n");
  }
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
}

/** One capability as a method of its group. */
function method(capability: AnyCapability, types: Types): string {
  const name = capability.name.slice(capability.name.indexOf(".") + 1);
  const args = jsonSchema(capability.args, "input");
  const items = Array.isArray(args.prefixItems) ? args.prefixItems as Json[] : [];
  // JSON Schema leaves `minItems` out when it is 0.
  const required = typeof args.minItems === "number" ? args.minItems : 0;
  const params: string[] = [];
  const docs: string[] = [];
  items.forEach((item, i) => {
    const param = typeof item.title === "string" ? item.title : `arg${i + 1}`;
    const type = types.print({ ...item, $defs: args.$defs } as JsonSchema, 2);
    params.push(`${param}${i < required ? "" : "?"}: ${type}`);
    if (typeof item.description === "string") docs.push(`@param ${param} ${item.description}`);
  });
  const result = capability.result.def.type === "void"
    ? "void"
    : types.print(jsonSchema(capability.result, "output") as JsonSchema, 2);
  const doc = docComment([capability.summary, ...docs].join("\n"), "    ");
  return `${doc}    ${name}(${params.join(", ")}): Promise<${result}>;\n`;
}

/** One group as a property of `fazt`. */
function group(g: CapabilityGroup, types: Types): string {
  const methods = g.capabilities.map((c) => method(c, types)).join("");
  return `${docComment(g.summary, "  ")}  readonly ${g.name}: {\n${methods}  };\n`;
}

/** The text of `docs/fazt.d.ts`. */
export async function generateFaztDts(): Promise<string> {
  const types = new Types();
  const groups = CAPABILITY_GROUPS.map((g) => group(g, types)).join("");
  const text =
    `// Generated by kernel/capabilities/fazt_dts.ts (\`deno task fazt-dts\`); do not edit.
// From the capability registry (kernel/capabilities/registry.ts).

/**
 * The types of fazt's serverless runtime, for app authors: the global
 * \`fazt\` and the handler \`api/main.js\` (or \`.ts\`) exports. Copy this file
 * next to your code (or point at it) and reference it from your entry file:
 * \`/// <reference path="./fazt.d.ts" />\`; then type the handler:
 *
 * \`\`\`ts
 * export default (async (req, ctx) => {
 *   const visits = await ctx.fazt.kv.increment("visits");
 *   return { visits };
 * }) satisfies Fazt.Handler;
 * \`\`\`
 *
 * See docs/RUNTIME.md for what the sandbox offers besides \`fazt\`.
 */

/** The types \`fazt\` and handlers use. */
declare namespace Fazt {
${types.declarations()}
  /** The app a handler serves. */
  interface App {
    /** Its stable ID (\`app_…\`). */
    readonly id: string;
    /** Its current name (the host name's first label). */
    readonly name: string;
  }

  /** What a handler gets besides the request. */
  interface Context {
    /** The request's ID, also on the app's log lines for it. */
    requestId: string;
    /** The app. */
    app: App;
    /** The same object as the global \`fazt\`. */
    fazt: typeof fazt;
  }

  /**
   * What a handler answers with: a \`Response\` (streaming bodies work), a
   * string (\`text/plain\`), bytes (\`application/octet-stream\`), nothing
   * (204), or any other value (sent as its \`JSON.stringify\` text).
   */
  type Answer =
    | Response
    | string
    | Uint8Array
    | number
    | boolean
    | object
    | null
    | undefined
    | void;

  /** An app's handler: \`export default async (req, ctx) => …\`. */
  type Handler = (req: Request, ctx: Context) => Answer | Promise<Answer>;

  /** An app's handler as an object: \`export default { fetch(req, ctx) { … } }\`. */
  interface Module {
    /** Answers one request. */
    fetch: Handler;
  }
}

/** fazt's capabilities, in every handler (also as \`ctx.fazt\`). Every call goes to the kernel. */
declare const fazt: {
  /** The app this code belongs to. */
  readonly app: Fazt.App;
${groups}};
`;
  return await formatTs(text, "fazt_dts");
}

if (import.meta.main) {
  await Deno.writeTextFile(FAZT_DTS, await generateFaztDts());
  console.log(`wrote ${decodeURIComponent(FAZT_DTS.pathname)}`);
}
