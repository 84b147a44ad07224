/**
 * The OpenAPI 3.1 document of the REST API, generated from the operation
 * registry: one operation per registry entry, with its parameters, request
 * body, responses and security taken from the operation's definition and
 * its zod schemas. Served at `/_fazt/api/openapi.json`.
 *
 * @module
 */
import { z } from "zod";
import type { AnyOperation } from "../../ops/operation.ts";
import { ERROR_CODES } from "../../core/errors.ts";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from "../session_cookie.ts";
import { DEVICE_COOKIE, SECURE_DEVICE_COOKIE } from "../device_cookie.ts";

type Json = Record<string, unknown>;

/** The path of the document itself, below `/_fazt/api`. */
export const OPENAPI_PATH = "/openapi.json";

const ERROR_REF = { $ref: "#/components/schemas/Error" };

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "The input is invalid (`invalid_input`, `invalid_json`, …).",
  401: "Credentials are missing or wrong (`unauthorized`).",
  403:
    "The caller may not do this (`forbidden`): a missing scope, an app outside the token's apps, or a cross-site request.",
  404: "Something named in the input does not exist (`not_found`).",
  413: "The request body is larger than allowed (`payload_too_large`).",
  415: "The request body has the wrong content type (`unsupported_media_type`).",
  429: "Too many requests (`rate_limited`); retry after `Retry-After` seconds.",
  500: "Something went wrong inside fazt (`internal`).",
};

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Converts zod schemas to JSON Schema (2020-12, which OpenAPI 3.1 uses),
 * hoisting any `$defs` into `components/schemas` so that references stay
 * valid once the schema is split into parameters and bodies.
 */
class SchemaConverter {
  readonly components: Record<string, unknown> = {};

  convert(schema: z.ZodType, io: "input" | "output", owner: string): Json {
    const raw: unknown = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io,
      unrepresentable: "any",
    });
    if (!isRecord(raw)) throw new Error(`OpenAPI: ${owner} did not convert to a JSON Schema.`);
    const { $schema: _dialect, $defs, ...rest } = raw;
    const renames = new Map<string, string>();
    if (isRecord($defs)) {
      for (const name of Object.keys($defs)) {
        const safe = name.replace(/[^a-zA-Z0-9._-]/g, "_");
        renames.set(name, name.startsWith("__") ? `${owner}.${io}${safe}` : safe);
      }
      for (const [name, def] of Object.entries($defs)) {
        const target = renames.get(name)!;
        const value = this.rewrite(def, renames, owner);
        const existing = this.components[target];
        if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(value)) {
          throw new Error(`OpenAPI: two different schemas are both named "${target}".`);
        }
        this.components[target] = value;
      }
    }
    const out = this.rewrite(rest, renames, owner);
    if (!isRecord(out)) throw new Error(`OpenAPI: ${owner} did not convert to a JSON Schema.`);
    return out;
  }

  private rewrite(value: unknown, renames: Map<string, string>, owner: string): unknown {
    if (Array.isArray(value)) return value.map((v) => this.rewrite(v, renames, owner));
    if (!isRecord(value)) return value;
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") {
        const name = v.startsWith("#/$defs/") ? renames.get(v.slice("#/$defs/".length)) : undefined;
        if (name === undefined) throw new Error(`OpenAPI: ${owner} has an unsupported $ref ${v}.`);
        out[k] = `#/components/schemas/${name}`;
      } else {
        out[k] = this.rewrite(v, renames, owner);
      }
    }
    return out;
  }
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
}

function propertiesOf(schema: Json): { properties: Record<string, Json>; required: Set<string> } {
  const properties: Record<string, Json> = {};
  if (isRecord(schema.properties)) {
    for (const [k, v] of Object.entries(schema.properties)) properties[k] = isRecord(v) ? v : {};
  }
  const required = new Set(
    Array.isArray(schema.required)
      ? schema.required.filter((r): r is string => typeof r === "string")
      : [],
  );
  return { properties, required };
}

/** True when a schema can only be satisfied by an object (not a plain value or a list of them). */
function isObjectSchema(schema: Json): boolean {
  return schema.type === "object" ||
    (Array.isArray(schema.anyOf) && schema.anyOf.some((s) => isRecord(s) && s.type === "object"));
}

/**
 * A parameter object; the field's description moves from the schema onto
 * the parameter. A query field holding an object (a filter, say) is sent as
 * its JSON text (`?filter={"a":1}`), which OpenAPI states with `content`;
 * a list of plain values repeats the key (`?scope=a&scope=b`).
 */
function parameter(name: string, where: "path" | "query", schema: Json, required: boolean): Json {
  const { description, ...rest } = schema;
  const param: Json = { name, in: where, required };
  if (typeof description === "string") param.description = description;
  if (where === "query" && isObjectSchema(rest)) {
    param.content = { "application/json": { schema: rest } };
    return param;
  }
  param.schema = rest;
  if (where === "query" && rest.type === "array") {
    param.style = "form";
    param.explode = true;
  }
  return param;
}

function errorResponse(status: number): Json {
  const res: Json = {
    description: ERROR_DESCRIPTIONS[status],
    content: { "application/json": { schema: ERROR_REF } },
  };
  if (status === 429) {
    res.headers = {
      "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } },
    };
  }
  return res;
}

function errorSchema(): Json {
  return {
    type: "object",
    description: "Every error answer: a stable code, a sentence saying what to do, and details.",
    properties: {
      error: {
        type: "object",
        properties: {
          code: { type: "string", enum: Object.keys(ERROR_CODES) },
          message: { type: "string" },
          details: { type: "object", additionalProperties: true },
        },
        required: ["code", "message", "details"],
        additionalProperties: false,
      },
    },
    required: ["error"],
    additionalProperties: false,
  };
}

function withoutSession(schema: Json): Json {
  if (!isRecord(schema.properties)) return schema;
  const { session: _session, ...properties } = schema.properties;
  const out: Json = { ...schema, properties };
  if (Array.isArray(schema.required)) out.required = schema.required.filter((r) => r !== "session");
  return out;
}

/** The output schema without the `device` field, which REST sends as the known-device cookie. */
function withoutDevice(schema: Json): Json {
  if (!isRecord(schema.properties)) return schema;
  const { device: _device, ...properties } = schema.properties;
  const out: Json = { ...schema, properties };
  if (Array.isArray(schema.required)) out.required = schema.required.filter((r) => r !== "device");
  return out;
}

function operationObject(op: AnyOperation, schemas: SchemaConverter): Json {
  const { http } = op;
  const input = schemas.convert(op.input, "input", op.name);
  const { properties, required } = propertiesOf(input);
  const inPath = pathParams(http.path);
  for (const name of inPath) {
    if (!(name in properties)) {
      throw new Error(`OpenAPI: ${op.name} has path parameter {${name}} but no such input field.`);
    }
  }
  const parameters: Json[] = inPath.map((name) => parameter(name, "path", properties[name], true));
  const rest = Object.keys(properties).filter((k) => !inPath.includes(k));
  const hasBody = http.method !== "GET" && http.method !== "DELETE";

  const result: Json = {
    operationId: op.name,
    summary: op.summary,
    description: op.description,
    tags: [op.name.split(".")[0]],
  };

  if (http.upload) {
    const field = http.upload.field;
    for (const k of rest) {
      if (k !== field) parameters.push(parameter(k, "query", properties[k], required.has(k)));
    }
    const description = properties[field]?.description;
    result.requestBody = {
      description: typeof description === "string" ? description : "The raw request body.",
      required: true,
      content: Object.fromEntries(
        http.upload.contentTypes.map((t) => [t, { schema: { type: "string", format: "binary" } }]),
      ),
    };
  } else if (!hasBody) {
    for (const k of rest) parameters.push(parameter(k, "query", properties[k], required.has(k)));
  } else {
    const bodyRequired = rest.filter((k) => required.has(k));
    const body: Json = {
      type: "object",
      properties: Object.fromEntries(rest.map((k) => [k, properties[k]])),
      additionalProperties: false,
    };
    if (bodyRequired.length > 0) body.required = bodyRequired;
    result.requestBody = {
      required: bodyRequired.length > 0,
      content: { "application/json": { schema: body } },
    };
  }
  if (parameters.length > 0) result.parameters = parameters;

  let output = schemas.convert(op.output, "output", op.name);
  const success: Json = { description: op.summary };
  if (http.stream) {
    success.description =
      `${op.summary}: a stream of server-sent events. Each event's \`data\` is one JSON value matching the schema in \`x-fazt-event-data\`; comment lines keep the connection alive.`;
    success.content = {
      "text/event-stream": {
        schema: { type: "string" },
        "x-fazt-event-data": output,
      },
    };
  } else if (http.download) {
    success.description = `${op.summary}: the file, as an attachment.`;
    success.content = {
      [http.download.contentType]: { schema: { type: "string", format: "binary" } },
    };
  } else {
    if (http.session === "set") {
      output = withoutSession(output);
      success.description =
        `${op.summary}. The session is not in the body: it is set as the \`${SESSION_COOKIE}\` cookie.`;
    }
    if (http.knownDevice) output = withoutDevice(output);
    success.content = { "application/json": { schema: output } };
  }
  if (http.session) {
    success.headers = {
      "Set-Cookie": {
        description: http.session === "set"
          ? `Sets the HttpOnly \`${SESSION_COOKIE}\` session cookie.`
          : `Clears the \`${SESSION_COOKIE}\` session cookie.`,
        schema: { type: "string" },
      },
    };
  }
  if (http.knownDevice) {
    const known =
      `Sets the HttpOnly \`${DEVICE_COOKIE}\` known-device cookie (\`${SECURE_DEVICE_COOKIE}\` over HTTPS), sent back only to \`POST /_fazt/api/auth/login\`: logins from a known device are not slowed by failures elsewhere.`;
    const headers = (success.headers ??= {}) as Json;
    const setCookie = headers["Set-Cookie"] as Json | undefined;
    headers["Set-Cookie"] = {
      description: setCookie ? `${setCookie.description} ${known}` : known,
      schema: { type: "string" },
    };
  }

  const statuses = [400];
  const isPublic = op.access === "public";
  if (!isPublic) statuses.push(401);
  // The cross-site request guard refuses state changes even on public operations.
  if (!isPublic || hasBody) statuses.push(403);
  statuses.push(404);
  if (hasBody) statuses.push(413, 415);
  statuses.push(429, 500);
  const responses: Json = { [String(http.status ?? 200)]: success };
  for (const s of statuses) responses[String(s)] = errorResponse(s);
  responses.default = {
    description: "Any other error, in the same shape.",
    content: { "application/json": { schema: ERROR_REF } },
  };
  result.responses = responses;

  if (isPublic) {
    result.security = [];
  } else {
    result.security = [{ bearerAuth: [] }, { cookieAuth: [] }];
    result["x-fazt-scope"] = op.access;
    if (op.appField) result["x-fazt-app-field"] = op.appField;
  }
  return result;
}

/**
 * Builds the OpenAPI 3.1 document describing `operations` as the REST codec
 * serves them (plus the document itself at `/openapi.json`).
 */
export function buildOpenApi(
  operations: readonly AnyOperation[],
  info: { version: string },
): Record<string, unknown> {
  const schemas = new SchemaConverter();
  const paths: Record<string, Json> = {};
  const tags: string[] = [];
  const seen = new Set<string>();
  for (const op of operations) {
    if (seen.has(op.name)) throw new Error(`OpenAPI: the operation ${op.name} is listed twice.`);
    seen.add(op.name);
    const item = paths[op.http.path] ??= {};
    const method = op.http.method.toLowerCase();
    if (item[method] !== undefined) {
      throw new Error(`OpenAPI: two operations answer ${op.http.method} ${op.http.path}.`);
    }
    item[method] = operationObject(op, schemas);
    const tag = op.name.split(".")[0];
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (paths[OPENAPI_PATH]?.get !== undefined) {
    throw new Error(`OpenAPI: an operation already answers GET ${OPENAPI_PATH}.`);
  }
  (paths[OPENAPI_PATH] ??= {}).get = {
    operationId: "openapi",
    summary: "This API description",
    description: "Returns this OpenAPI 3.1 document. Needs no credentials.",
    tags: ["system"],
    security: [],
    responses: {
      "200": {
        description: "The OpenAPI document.",
        content: { "application/json": { schema: { type: "object" } } },
      },
    },
  };
  if (!tags.includes("system")) tags.push("system");
  if ("Error" in schemas.components) throw new Error('OpenAPI: a schema is named "Error".');

  return {
    openapi: "3.1.0",
    info: {
      title: "fazt",
      version: info.version,
      description:
        'The REST API of fazt, a self-hosted app platform. Every operation is also a CLI command. Errors are always `{"error":{"code","message","details"}}`.',
    },
    servers: [{ url: "/_fazt/api" }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: errorSchema(), ...schemas.components },
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "An API token (`fazt_…`), sent as `Authorization: Bearer <token>`.",
        },
        cookieAuth: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description:
            `The browser session cookie set by \`auth.login\` and \`auth.setup\` on the admin host (\`${SECURE_SESSION_COOKIE}\` over HTTPS).`,
        },
      },
    },
  };
}
