/**
 * Generates the dashboard's view of the REST API from the operation
 * registry, so that the SPA imports nothing from the kernel:
 *
 * - `src/gen/api.ts`: for every operation its input and output types
 *   (printed from the JSON Schemas of the OpenAPI document the kernel
 *   builds from the registry), the route table that says where each input
 *   field goes in an HTTP request, and the kernel's constants the dashboard
 *   shows (the token scopes);
 * - `src/gen/ignore.ts`: the `.faztignore` rules (`apps/ignore.ts`, which
 *   imports nothing), so that a folder zipped in the browser leaves out
 *   exactly what `fazt app add` leaves out;
 * - `src/gen/format.ts`: the byte formatter (`kernel/core/format.ts`), so
 *   the dashboard shows sizes exactly as the CLI does.
 *
 * Run with `deno task dashboard:api` (and by `deno task dashboard` before it
 * bundles). The files are committed; `tests/dashboard/codegen/gen_api_test.ts`
 * fails while they differ from a fresh generation.
 *
 * @module
 */
import { OPERATIONS } from "../../kernel/ops/registry.ts";
import { buildOpenApi } from "../../kernel/http/rest/openapi.ts";
import { SCOPES } from "../../kernel/services/auth/scopes.ts";
import {
  docComment,
  type JsonSchema,
  propertyName,
  schemaToTs,
} from "../../kernel/core/json_schema_ts.ts";
import { formatTs } from "../../kernel/core/ts_format.ts";

type Json = { [key: string]: unknown };

const ROOT = new URL("../../", import.meta.url);
/** Kernel modules the dashboard uses as they are, copied into `src/gen/` (they import nothing). */
const COPIES = {
  "ignore.ts": {
    source: "apps/ignore.ts",
    why: "the browser zips a folder by the same rules as `fazt app add`",
  },
  "format.ts": {
    source: "kernel/core/format.ts",
    why: "the dashboard shows byte counts exactly as the CLI and the kernel's messages do",
  },
} as const;

/** Where the generated files go by default. */
export const GEN_DIR: URL = new URL("../src/gen/", import.meta.url);

/** The generated files, by name inside the `gen/` folder. */
export type GeneratedFiles = Record<"api.ts" | keyof typeof COPIES, string>;

const SCHEMA_REF = "#/components/schemas/";

function isJson(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function print(schema: unknown, depth: number): string {
  return schemaToTs(schema as JsonSchema, {
    binary: "Blob",
    ref: (ref) => {
      if (!ref.startsWith(SCHEMA_REF)) throw new Error(`gen_api: unsupported $ref ${ref}`);
      return `Schemas[${JSON.stringify(ref.slice(SCHEMA_REF.length))}]`;
    },
  }, depth);
}

/** What an operation of the document says about its input and output. */
interface OperationShape {
  name: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  scope: string | undefined;
  input: Json;
  output: unknown;
  route: Json;
  stream: boolean;
  upload: string | undefined;
  /** The answer is a file (a binary body), not JSON. */
  download: boolean;
}

/**
 * One operation of the OpenAPI document as an input schema (path, query
 * and body fields together, as the operation takes them) and an output
 * schema, and its route: where each input field goes.
 */
function shapeOf(
  name: string,
  method: string,
  path: string,
  op: Json,
  uploadField: string | undefined,
): OperationShape {
  const properties: Json = {};
  const required: string[] = [];
  const query: string[] = [];
  const jsonQuery: string[] = [];
  const body: string[] = [];
  const add = (field: string, schema: unknown, isRequired: boolean, description?: unknown) => {
    const s = isJson(schema) ? { ...schema } : {};
    if (typeof description === "string" && s.description === undefined) s.description = description;
    properties[field] = s;
    if (isRequired) required.push(field);
  };
  for (const p of Array.isArray(op.parameters) ? op.parameters.filter(isJson) : []) {
    const field = String(p.name);
    const content = isJson(p.content) ? p.content["application/json"] : undefined;
    if (p.in === "query") query.push(field);
    if (isJson(content)) jsonQuery.push(field);
    add(field, isJson(content) ? content.schema : p.schema, p.required === true, p.description);
  }
  const bodyContent = isJson(op.requestBody) && isJson(op.requestBody.content)
    ? op.requestBody.content
    : undefined;
  let uploadTypes: string[] | undefined;
  if (uploadField !== undefined) {
    uploadTypes = Object.keys(bodyContent ?? {});
    const bodyDoc = isJson(op.requestBody) ? op.requestBody.description : undefined;
    add(uploadField, { type: "string", format: "binary" }, true, bodyDoc);
  } else if (bodyContent && isJson(bodyContent["application/json"])) {
    const schema = bodyContent["application/json"].schema;
    if (isJson(schema) && isJson(schema.properties)) {
      const bodyRequired = new Set(Array.isArray(schema.required) ? schema.required : []);
      for (const [field, s] of Object.entries(schema.properties)) {
        body.push(field);
        add(field, s, bodyRequired.has(field));
      }
    }
  }
  const responses = isJson(op.responses) ? op.responses : {};
  const success = Object.entries(responses).find(([status]) => /^2\d\d$/.test(status))?.[1];
  const content = isJson(success) && isJson(success.content) ? success.content : {};
  const sse = content["text/event-stream"];
  const stream = isJson(sse);
  const download = Object.values(content).some((c) =>
    isJson(c) && isJson(c.schema) && c.schema.format === "binary"
  );
  const jsonOut = content["application/json"];
  const output = stream ? sse["x-fazt-event-data"] : isJson(jsonOut) ? jsonOut.schema : undefined;

  const route: Json = { method, path };
  if (query.length > 0 && body.length > 0) {
    throw new Error(`gen_api: ${name} takes fields both in the query string and in the body`);
  }
  if (query.length > 0) route.rest = "query";
  if (body.length > 0) route.rest = "body";
  if (jsonQuery.length > 0) route.json = jsonQuery;
  if (uploadField !== undefined) route.upload = { field: uploadField, types: uploadTypes };
  if (stream) route.stream = true;

  const input: Json = { type: "object", properties, additionalProperties: false };
  if (required.length > 0) input.required = required;
  return {
    name,
    method,
    path,
    summary: String(op.summary ?? ""),
    description: String(op.description ?? ""),
    scope: typeof op["x-fazt-scope"] === "string" ? op["x-fazt-scope"] : undefined,
    input,
    output,
    route,
    stream,
    upload: uploadField,
    download,
  };
}

/** The operations of the registry, as the OpenAPI document describes them, in registry order. */
function shapes(doc: Json): OperationShape[] {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  return OPERATIONS.map((op) => {
    const described = paths[op.http.path]?.[op.http.method.toLowerCase()];
    if (!isJson(described)) throw new Error(`gen_api: ${op.name} is not in the OpenAPI document`);
    return shapeOf(op.name, op.http.method, op.http.path, described, op.http.upload?.field);
  });
}

/** A TypeScript expression for plain data (a route: objects, lists, strings and `true`). */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (!isJson(value)) return JSON.stringify(value);
  const fields = Object.entries(value).map(([k, v]) => `${propertyName(k)}: ${literal(v)}`);
  return `{ ${fields.join(", ")} }`;
}

const HEADER = [
  "// Generated by dashboard/codegen/gen_api.ts (`deno task dashboard:api`); do not edit.",
  "// From the operation registry (kernel/ops/registry.ts) through its OpenAPI document.",
  "",
];

function apiModule(ops: OperationShape[], components: Json): string {
  const out: string[] = [...HEADER];
  out.push(
    "/**",
    " * The REST API as the dashboard sees it, generated from fazt's operation",
    " * registry: every operation's input and output types, where each input",
    " * field goes in an HTTP request (`ROUTES`), and the kernel's constants the",
    " * dashboard shows. `src/api.ts` calls operations through this table.",
    " *",
    " * @module",
    " */",
    "",
    "/** Every scope a token can carry (`admin` implies every other). */",
    `export const SCOPES = ${JSON.stringify(SCOPES)} as const;`,
    "",
    "/** A scope a token can carry. */",
    "export type Scope = typeof SCOPES[number];",
    "",
    "/** The API's shared schemas (`components/schemas` of its OpenAPI document). */",
    "export interface Schemas {",
  );
  for (const [name, schema] of Object.entries(components)) {
    out.push(
      docComment(isJson(schema) ? schema.description : undefined, "  ") +
        `  ${propertyName(name)}: ${print(schema, 1)};`,
    );
  }
  out.push(
    "}",
    "",
    "/**",
    " * Every operation by name: its `input` (path, query and body fields",
    " * together) and its `output` (for a stream, each event).",
    " */",
  );
  out.push("export interface Operations {");
  for (const [i, op] of ops.entries()) {
    if (i > 0) out.push("");
    const where = `\`${op.method} ${op.path}\`` +
      (op.scope ? `, needs \`${op.scope}\`` : ", public") +
      (op.stream ? ", answers server-sent events" : "");
    out.push(
      docComment(`${op.summary}: ${where}.\n\n${op.description}`, "  ") +
        `  ${JSON.stringify(op.name)}: {`,
    );
    out.push(`    input: ${print(op.input, 2)};`);
    out.push(`    output: ${print(op.output, 2)};`);
    out.push("  };");
  }
  const names = (pick: (op: OperationShape) => boolean) => {
    const list = ops.filter(pick).map((op) => JSON.stringify(op.name));
    return list.length > 0 ? list.join(" | ") : "never";
  };
  out.push(
    "}",
    "",
    "/** An operation's name. */",
    "export type OpName = keyof Operations;",
    "",
    "/** What operation `N` takes. */",
    'export type Input<N extends OpName> = Operations[N]["input"];',
    "",
    "/** What operation `N` answers (for a stream, each event). */",
    'export type Output<N extends OpName> = Operations[N]["output"];',
    "",
    "/** The operations that answer with a stream of server-sent events. */",
    `export type StreamOp = ${names((op) => op.stream)};`,
    "",
    "/** The operations that take a raw upload as the request body. */",
    `export type UploadOp = ${names((op) => op.upload !== undefined)};`,
    "",
    "/** The operations that answer with a file to save (a binary body). */",
    `export type DownloadOp = ${names((op) => op.download)};`,
    "",
    "/** Where an operation's input goes in an HTTP request to `/_fazt/api`. */",
    "export interface OperationRoute {",
    "  /** The HTTP method. */",
    '  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";',
    "  /** The path under `/_fazt/api`; each `{field}` is that input field, URL-encoded. */",
    "  path: string;",
    "  /**",
    "   * Where the other fields go: the query string (a list repeats the key) or",
    "   * a JSON object as the body. Absent when there are no other fields.",
    "   */",
    '  rest?: "query" | "body";',
    "  /** Query fields sent as their JSON text (objects such as a filter). */",
    "  json?: readonly string[];",
    "  /** The field sent as the raw request body, and the content types it may have. */",
    "  upload?: { field: string; types: readonly string[] };",
    "  /** The answer is a stream of server-sent events, each one output. */",
    "  stream?: true;",
    "}",
    "",
    "/** Every operation's route, by name. */",
    "export const ROUTES: { readonly [N in OpName]: OperationRoute } = {",
  );
  for (const op of ops) out.push(`  ${JSON.stringify(op.name)}: ${literal(op.route)},`);
  out.push("};", "");
  return out.join("\n");
}

async function copiedModule(name: keyof typeof COPIES): Promise<string> {
  const { source, why } = COPIES[name];
  const text = await Deno.readTextFile(new URL(source, ROOT));
  if (/^\s*(import|export .* from)\b/m.test(text)) {
    throw new Error(`gen_api: ${source} imports something; the dashboard can no longer copy it`);
  }
  return [
    "// Generated by dashboard/codegen/gen_api.ts (`deno task dashboard:api`); do not edit.",
    `// A copy of ${source}: ${why}.`,
    "",
    text,
  ].join("\n");
}

/** The generated files' text. */
export async function generateApi(): Promise<GeneratedFiles> {
  const doc = buildOpenApi(OPERATIONS, { version: "generated" });
  const components = isJson(doc.components) && isJson(doc.components.schemas)
    ? doc.components.schemas
    : {};
  return {
    "api.ts": await formatTs(apiModule(shapes(doc), components), "gen_api"),
    "ignore.ts": await formatTs(await copiedModule("ignore.ts"), "gen_api"),
    "format.ts": await formatTs(await copiedModule("format.ts"), "gen_api"),
  };
}

/** Writes the generated files into `dir` (default `dashboard/src/gen/`); returns their paths. */
export async function writeApi(dir: URL = GEN_DIR): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, text] of Object.entries(await generateApi())) {
    const url = new URL(name, dir);
    await Deno.writeTextFile(url, text);
    paths.push(decodeURIComponent(url.pathname));
  }
  return paths;
}

if (import.meta.main) {
  const dir = Deno.args[0] === undefined
    ? GEN_DIR
    : new URL(`${Deno.args[0].replace(/\/*$/, "/")}`, `file://${Deno.cwd()}/`);
  for (const path of await writeApi(dir)) console.log(`wrote ${path}`);
}
