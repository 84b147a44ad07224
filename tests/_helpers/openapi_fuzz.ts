/**
 * A property-based fuzzer driven by the served OpenAPI document: for every
 * operation it sends input the document accepts and input it refuses to a
 * real server over real HTTP, and checks three properties of every answer:
 *
 * 1. no answer is a server error (status ≥ 500);
 * 2. every answer matches its own declared response schema (checked with
 *    Ajv; errors are the one error shape, with a code whose status is the
 *    answer's status), and server-sent events match their event schema;
 * 3. input the document refuses is refused (a 4xx), never accepted.
 *
 * Input comes from fast-check arbitraries built from the document's schemas
 * (`schema_arbitrary.ts`), mixed with values that hit real things: a world
 * of seeded apps (files, versions, an API that wrote documents and SQL
 * rows), kv keys, a secret, an alias, a custom domain and a throwaway token, restored before
 * each operation's turn so destructive operations always have a target.
 * The fuzzer never revokes its own tokens and never routes `@` (which would
 * take the admin host away from it).
 *
 * Runs with a fixed seed in the test suite (`tests/e2e/openapi_fuzz_test.ts`)
 * and longer through `deno task fuzz [--seed N] [--runs N] [--op NAME]`.
 *
 * @module
 */
import fc from "fast-check";
import { zipSync } from "fflate";
import { ERROR_CODES } from "../../kernel/core/errors.ts";
import { type Schema, SchemaTools } from "./schema_arbitrary.ts";
import { hostFetch, startServer, type TestServer } from "./server.ts";

/** Options for {@linkcode fuzzOpenApi}. */
export interface FuzzOptions {
  /** The fast-check seed: the same seed sends the same requests. */
  seed: number;
  /** Requests per operation of each kind (valid, invalid). */
  runs: number;
  /** Only these operations (by operationId); all when absent. */
  only?: string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One broken property. */
export interface Violation {
  /** The operationId. */
  op: string;
  /** Whether the input was valid or invalid by the document. */
  kind: "valid" | "invalid";
  /** The request, as a line (`PUT /apps/x/… {body}`). */
  request: string;
  /** The answer's status. */
  status: number;
  /** What is wrong. */
  problem: string;
  /** The start of the answer's body. */
  body: string;
}

/** What a run did and found. */
export interface FuzzReport {
  /** The seed used. */
  seed: number;
  /** Requests sent. */
  requests: number;
  /** Per operation: requests of each kind and the statuses seen. */
  perOp: Record<string, { valid: number; invalid: number; statuses: Record<string, number> }>;
  /** Every broken property, in order. */
  violations: Violation[];
}

type Json = Record<string, unknown>;

interface Param {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: Schema;
  /** Sent as JSON text. */
  json: boolean;
}

interface OpSpec {
  id: string;
  method: string;
  path: string;
  params: Param[];
  /** The JSON body's schema, if the operation takes one. */
  body?: Schema;
  bodyRequired: boolean;
  /** The content types of a raw upload body. */
  upload?: string[];
  responses: Json;
  stream: boolean;
}

/** A request to send, with the values it was built from. */
interface Draft {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  /** A JSON body value, a raw body, or none. */
  body?: { json: unknown } | { raw: string | Uint8Array; type: string };
}

/** The seeded things requests can hit. */
interface World {
  alpha: { id: string; name: string };
  beta: { id: string; name: string };
  victim: string;
  cursor: string;
  protectedTokens: Set<string>;
}

const enc = new TextEncoder();

/** Percent-encodes every byte but unreserved letters, digits, `-`, `_` and `~` (dots too). */
function encodeSegment(value: string): string {
  let out = "";
  for (const b of enc.encode(value)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function operations(doc: Json): OpSpec[] {
  const ops: OpSpec[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, raw] of Object.entries(item)) {
      const op = raw as Json;
      const params = ((op.parameters ?? []) as Json[]).map((p): Param => {
        const content = p.content as Record<string, Json> | undefined;
        return {
          name: p.name as string,
          in: p.in as "path" | "query",
          required: p.required === true,
          schema: (content ? content["application/json"].schema : p.schema) as Schema,
          json: content !== undefined,
        };
      });
      const content = (op.requestBody as Json | undefined)?.content as
        | Record<string, Json>
        | undefined;
      const json = content?.["application/json"]?.schema as Schema | undefined;
      const responses = op.responses as Json;
      const ok = Object.entries(responses).find(([s]) => s.startsWith("2"))?.[1] as Json;
      ops.push({
        id: op.operationId as string,
        method: method.toUpperCase(),
        path,
        params,
        body: json,
        bodyRequired: (op.requestBody as Json | undefined)?.required === true,
        upload: content && !json ? Object.keys(content) : undefined,
        responses,
        stream: "text/event-stream" in ((ok?.content ?? {}) as Json),
      });
    }
  }
  return ops;
}

/** A small zip of safe names, for uploads. */
const zipArb = fc.dictionary(
  fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8})?\.(html|txt|css)$/),
  fc.string({ maxLength: 40 }),
  { minKeys: 1, maxKeys: 3, noNullPrototype: true },
).map((files) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, enc.encode(v)])))
);

const appName = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/);
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/);

/** Values that reach the seeded world, by field name (and operation where it matters). */
function hints(world: World, opId: string): Record<string, fc.Arbitrary<unknown>> {
  const apps = [world.alpha.name, world.alpha.id, world.beta.name, world.beta.id];
  return {
    app: fc.oneof(
      fc.constantFrom(...apps),
      fc.constantFrom("ghost", "ALPHA", "app_aaaaaaaaaaaaaaaa"),
    ),
    apps: fc.array(fc.constantFrom(...apps, "ghost"), { minLength: 1, maxLength: 2 }),
    key: fc.constantFrom("k1", "user:1", "missing", "user:"),
    collection: fc.constantFrom("things", "empty"),
    name: opId.startsWith("secrets.")
      ? fc.constantFrom("API_KEY", "NOPE", "lower")
      : opId.startsWith("apps.")
      ? appName
      : fc.string({ minLength: 1, maxLength: 20 }),
    host: opId === "routes.add" ? label : fc.constantFrom("blog", "nope", "@"),
    domain: opId === "domains.add"
      ? fc.oneof(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.(org|net|example)$/),
        fc.constantFrom("b\u00fccher.example", "blog.localhost", "10.0.0.1", "xn--zz.example"),
      )
      : fc.constantFrom("shop.example.org", "nope.example.org", "blog"),
    id: fc.constantFrom(world.victim, "tok_missing"),
    path: fc.constantFrom(
      "index.html",
      "about.html",
      "caf\u00e9.html",
      "cafe\u0301.html",
      "docs/index.html",
      "/index.html",
      "nope.txt",
    ),
    version: fc.constantFrom(1, 2, 3),
    cursor: fc.constantFrom(world.cursor, "!!", "AAAA"),
    prefix: fc.constantFrom("user:", "k", ""),
    files: fc.dictionary(
      fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8})?\.(html|txt|js)$/),
      fc.oneof(
        fc.record({ text: fc.string({ maxLength: 60 }) }),
        fc.record({ base64: fc.constantFrom("AAEC", "aGk=", "!!") }),
      ),
      { minKeys: 1, maxKeys: 4, noNullPrototype: true },
    ),
    sql: fc.constantFrom(
      "SELECT 1",
      "SELECT * FROM t",
      "SELECT * FROM sqlite_master",
      "PRAGMA table_info(t)",
      "SELECT ?",
      "SELECT :a",
      "WITH x AS (SELECT 1 AS n) SELECT * FROM x",
      "VALUES (1, 'two', NULL)",
      "SELECT randomblob(8)",
      "EXPLAIN SELECT 1",
      "DELETE FROM t",
      "DROP TABLE t",
      "SELECT 9223372036854775807 + 0",
    ),
    filter: fc.constantFrom(
      {},
      { n: 1 },
      { n: { $gt: 1 } },
      { tag: { $in: ["a", "b"] } },
      { $or: [{ n: 1 }, { n: 2 }] },
      { n: { $bogus: 1 } },
      { "a.b": { $contains: "x" } },
    ),
  };
}

/** Draws a valid or an invalid request for an operation. */
function drafts(
  tools: SchemaTools,
  op: OpSpec,
  kind: "valid" | "invalid",
): fc.Arbitrary<Draft> | undefined {
  const pathParams = op.params.filter((p) => p.in === "path");
  const queryParams = op.params.filter((p) => p.in === "query");
  const validPath = fc.record(
    Object.fromEntries(pathParams.map((p) => [p.name, tools.valid(p.schema, p.name, 0, true)])),
  );
  const validQuery = fc.record(
    Object.fromEntries(queryParams.map((p) => [p.name, tools.valid(p.schema, p.name, 0, true)])),
    { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) },
  );
  const validBody: fc.Arbitrary<Draft["body"]> = op.upload
    ? fc.tuple(zipArb, fc.constantFrom(...op.upload)).map(([raw, type]) => ({ raw, type }))
    : op.body
    ? (() => {
      const json = tools.valid(op.body).map((v) => ({ json: v }));
      return op.bodyRequired ? json : fc.oneof(json, fc.constant(undefined));
    })()
    : fc.constant(undefined);
  const valid = fc.record({ path: validPath, query: validQuery, body: validBody }) as fc.Arbitrary<
    Draft
  >;
  if (kind === "valid") return valid;

  const breakers: fc.Arbitrary<Draft>[] = [];
  for (const p of [...pathParams, ...queryParams]) {
    const bad = tools.invalid(p.schema, p.json ? "json" : "query", 0, true);
    if (!bad) continue;
    const where = p.in === "path" ? "path" : "query";
    breakers.push(
      fc.tuple(valid, bad).map(([d, b]) => ({ ...d, [where]: { ...d[where], [p.name]: b } })),
    );
  }
  if (op.body) {
    const bad = tools.invalid(op.body, "json");
    if (bad) breakers.push(fc.tuple(valid, bad).map(([d, b]) => ({ ...d, body: { json: b } })));
    breakers.push(
      fc.tuple(
        valid,
        fc.constantFrom<{ raw: string | Uint8Array; type: string }>(
          { raw: " ", type: "application/json" },
          { raw: "\r\n\t", type: "application/json" },
          { raw: "{", type: "application/json" },
          { raw: "[]", type: "application/json" },
          { raw: "null", type: "application/json" },
          { raw: '"text"', type: "application/json" },
          { raw: "{} {}", type: "application/json" },
          { raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), type: "application/json" },
          { raw: '{"a":1}', type: "text/plain" },
          { raw: "a=1", type: "application/x-www-form-urlencoded" },
        ),
      ).map(([d, raw]) => ({ ...d, body: raw })),
    );
  }
  if (op.upload) {
    breakers.push(
      fc.tuple(valid, zipArb, fc.constantFrom("text/plain", "application/json", "")).map((
        [d, raw, type],
      ) => ({ ...d, body: { raw, type } })),
    );
  }
  return breakers.length === 0 ? undefined : fc.oneof(...breakers);
}

/** The request line and init for a draft. */
function build(
  op: OpSpec,
  d: Draft,
  base: string,
): { url: string; line: string; init: RequestInit } {
  let path = op.path;
  for (const [k, v] of Object.entries(d.path)) {
    path = path.replace(`{${k}}`, encodeSegment(String(v)));
  }
  const search = new URLSearchParams();
  for (const p of op.params.filter((x) => x.in === "query")) {
    if (!(p.name in d.query)) continue;
    const v = d.query[p.name];
    if (p.json) search.append(p.name, JSON.stringify(v));
    else if (Array.isArray(v)) { for (const x of v) search.append(p.name, String(x)); }
    else search.append(p.name, String(v));
  }
  const qs = search.toString();
  const target = `/_fazt/api${path}${qs ? `?${qs}` : ""}`;
  const headers: Record<string, string> = {};
  let body: BodyInit | undefined;
  let shown = "";
  if (d.body && "json" in d.body) {
    body = JSON.stringify(d.body.json);
    headers["content-type"] = "application/json";
    shown = body;
  } else if (d.body) {
    body = typeof d.body.raw === "string" ? d.body.raw : d.body.raw as Uint8Array<ArrayBuffer>;
    if (d.body.type) headers["content-type"] = d.body.type;
    shown = typeof d.body.raw === "string"
      ? `${JSON.stringify(d.body.raw)} as ${d.body.type || "no type"}`
      : `${d.body.raw.length} bytes as ${d.body.type || "no type"}`;
  }
  const line = `${op.method} ${target}${shown ? ` ${shown.slice(0, 300)}` : ""}`;
  return { url: `${base}${target}`, line, init: { method: op.method, headers, body } };
}

/** Reads server-sent events for a short while, then lets go. */
async function readEvents(res: Response, ms: number): Promise<{ events: string[]; rest: string }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const until = Date.now() + ms;
  try {
    while (Date.now() < until) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<"timeout">((r) =>
        timer = setTimeout(() => r("timeout"), until - Date.now())
      );
      const next = await Promise.race([reader.read(), tick]);
      clearTimeout(timer);
      if (next === "timeout" || next.done) break;
      text += dec.decode(next.value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const blocks = text.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events = blocks.flatMap((b) =>
    b.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
  );
  return { events, rest };
}

/** Checks one answer against the three properties; returns what is wrong, if anything. */
async function judge(
  tools: SchemaTools,
  op: OpSpec,
  kind: "valid" | "invalid",
  res: Response,
): Promise<{ problem?: string; body: string }> {
  const status = res.status;
  const declared = (op.responses[String(status)] ?? op.responses.default) as Json | undefined;
  const type = res.headers.get("content-type") ?? "";
  if (op.stream && status === 200) {
    const { events } = await readEvents(res, 150);
    const schema = ((declared?.content as Json)["text/event-stream"] as Json)[
      "x-fazt-event-data"
    ] as Schema;
    for (const e of events) {
      let value: unknown;
      try {
        value = JSON.parse(e);
      } catch {
        return { problem: "an event is not JSON", body: e.slice(0, 300) };
      }
      if (!tools.accepts(schema, value)) {
        return { problem: "an event breaks its declared schema", body: e.slice(0, 300) };
      }
    }
    if (kind === "invalid") return { problem: "invalid input was accepted (a stream)", body: "" };
    return { body: `${events.length} events` };
  }
  const text = await res.text();
  const body = text.slice(0, 400);
  if (status >= 500) return { problem: `server error ${status}`, body };
  if (kind === "invalid" && status < 400) return { problem: "invalid input was accepted", body };
  if (!declared) return { problem: `status ${status} is not declared`, body };
  const binary = Object.entries((declared.content ?? {}) as Record<string, Json>).find(([, c]) =>
    (c.schema as Json | undefined)?.format === "binary"
  );
  if (binary && status < 300) {
    return type === binary[0]
      ? { body: `${text.length} characters of ${type}` }
      : { problem: `content type "${type}" is not the declared "${binary[0]}"`, body };
  }
  if (!type.startsWith("application/json")) {
    return { problem: `content type "${type}" is not JSON`, body };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "the body is not JSON", body };
  }
  const schema = ((declared.content as Json)["application/json"] as Json).schema as Schema;
  if (!tools.accepts(schema, value)) {
    return { problem: "the answer breaks its declared schema", body };
  }
  if (status >= 400) {
    const code = (value as { error: { code: keyof typeof ERROR_CODES } }).error.code;
    if (ERROR_CODES[code].status !== status) {
      return { problem: `error code ${code} is not status ${status}`, body };
    }
  }
  return { body };
}

/** Authorization header for a token. */
function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

async function call(
  server: TestServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}/_fazt/api${path}`, {
    method,
    headers: {
      ...bearer(token),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const ALPHA_FILES: Record<string, string> = {
  "index.html": "<h1>alpha</h1>",
  "about.html": "<p>about</p>",
  "caf\u00e9.html": "<p>caf\u00e9</p>",
  "docs/index.html": "<p>docs</p>",
  "api/main.js": `export default async () => {
  await fazt.docs.insert("things", [{ n: 1, tag: "a" }, { n: 2, tag: "b", a: { b: "xy" } }]);
  await fazt.sql.exec("CREATE TABLE IF NOT EXISTS t (a, b)");
  await fazt.sql.exec("INSERT INTO t VALUES (1, 'x')");
  return { seeded: true };
};`,
};

function zipOf(files: Record<string, string>): Uint8Array<ArrayBuffer> {
  return zipSync(
    Object.fromEntries(Object.entries(files).map(([k, v]) => [k, enc.encode(v)])),
  ) as Uint8Array<ArrayBuffer>;
}

async function deploy(
  server: TestServer,
  token: string,
  app: string,
  files: Record<string, string>,
) {
  // A fresh token per seeding deploy: deploys are rate-limited per token.
  const once = (await call(server, token, "POST", "/tokens", {
    name: "fuzz seeding deploy",
    scopes: ["apps:write"],
  })).json as { token: string };
  const res = await fetch(`${server.url}/_fazt/api/deploy?app=${encodeURIComponent(app)}`, {
    method: "POST",
    headers: { ...bearer(once.token), "content-type": "application/zip" },
    body: zipOf(files),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`seeding ${app}: ${res.status} ${JSON.stringify(json)}`);
  return json.app as { id: string; name: string };
}

/** A free app name starting with `base`. */
async function freeName(server: TestServer, token: string, base: string): Promise<string> {
  for (let i = 0;; i++) {
    const name = i === 0 ? base : `${base}-${i}`;
    if ((await call(server, token, "GET", `/apps/${name}`)).status === 404) return name;
  }
}

/** Makes sure every seeded thing exists (recreating what the fuzzer deleted or renamed away). */
async function ensureWorld(
  server: TestServer,
  seeder: string,
  world: World | undefined,
): Promise<World> {
  const app = async (
    current: { id: string; name: string } | undefined,
    base: string,
    withApi: boolean,
  ) => {
    const files = withApi ? ALPHA_FILES : { "index.html": `<h1>${base}</h1>` };
    if (current) {
      const got = await call(server, seeder, "GET", `/apps/${current.id}/files`);
      if (got.status === 200) {
        // The fuzzer may have deployed other files or rolled back: put the seeded ones back.
        const paths = new Set((got.json as { path: string }[]).map((f) => f.path));
        const name = ((await call(server, seeder, "GET", `/apps/${current.id}`)).json as {
          name: string;
        }).name;
        if (Object.keys(files).every((p) => paths.has(p))) return { id: current.id, name };
        return await deploy(server, seeder, current.id, files);
      }
    }
    const name = await freeName(server, seeder, base);
    await deploy(server, seeder, name, files);
    const made = await deploy(server, seeder, name, { ...files, "v2.txt": "two" });
    if (withApi) {
      const res = await hostFetch(server.port, `${name}.localhost`, "/api/seed");
      if (res.status !== 200) throw new Error(`seeding ${name}'s data: ${res.status}`);
    }
    return made;
  };
  const alpha = await app(world?.alpha, "alpha", true);
  const beta = await app(world?.beta, "beta", false);
  for (const key of ["k1", "user:1", "user:2"]) {
    await call(server, seeder, "PUT", `/apps/${alpha.id}/data/kv/${encodeURIComponent(key)}`, {
      value: { key },
      ...(key === "user:2" ? { ttl: 3600 } : {}),
    });
  }
  await call(server, seeder, "PUT", `/apps/${alpha.id}/secrets/API_KEY`, { value: "s3cret" });
  await call(server, seeder, "PUT", `/apps/${alpha.id}/egress-limit`, { limitMb: null });
  const routes = (await call(server, seeder, "GET", "/routes")).json as { host: string }[];
  // Routing `@` could take the primary host (and with it the API) away from the fuzzer.
  if (routes.some((r) => r.host === "@")) await call(server, seeder, "DELETE", "/routes/@");
  if (!routes.some((r) => r.host === "blog")) {
    await call(server, seeder, "POST", "/routes", { host: "blog", app: alpha.id });
  }
  const domains = (await call(server, seeder, "GET", "/domains")).json as { domain: string }[];
  if (!domains.some((d) => d.domain === "shop.example.org")) {
    await call(server, seeder, "POST", "/domains", { domain: "shop.example.org", app: alpha.id });
  }
  const tokens = (await call(server, seeder, "GET", "/tokens")).json as { id: string }[];
  let victim = world?.victim;
  if (!victim || !tokens.some((t) => t.id === victim)) {
    victim = ((await call(server, seeder, "POST", "/tokens", {
      name: "victim",
      scopes: ["apps:read"],
    })).json as { id: string }).id;
  }
  const page = (await call(server, seeder, "GET", `/apps/${alpha.id}/data/kv?limit=1`)).json as {
    cursor: string | null;
  };
  return {
    alpha,
    beta,
    victim,
    cursor: page.cursor ?? "AAAA",
    protectedTokens: world?.protectedTokens ?? new Set(),
  };
}

/** Requests the fuzzer must not send: they would cut its own access. */
function selfHarm(op: OpSpec, d: Draft, world: World): boolean {
  if (op.id === "tokens.revoke") return world.protectedTokens.has(String(d.path.id));
  if (op.id === "routes.add" && d.body && "json" in d.body) {
    const host = (d.body.json as { host?: unknown } | null)?.host;
    return typeof host === "string" && host.trim().toLowerCase() === "@";
  }
  return false;
}

/** Runs the fuzzer against a running server. */
export async function fuzzOpenApi(server: TestServer, options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => {});
  const docRes = await fetch(`${server.url}/_fazt/api/openapi.json`);
  const doc = await docRes.json() as Json;
  const ops = operations(doc).filter((o) => !options.only || options.only.includes(o.id));

  const own = (await call(server, server.token, "GET", "/auth/whoami")).json as { tokenId: string };
  const seederMade = await call(server, server.token, "POST", "/tokens", {
    name: "fuzz seeder",
    scopes: ["admin"],
  });
  const seeder = seederMade.json as { id: string; token: string };
  let world = await ensureWorld(server, seeder.token, undefined);
  world.protectedTokens = new Set([own.tokenId, seeder.id]);
  // An owner account, so that login and password resets reach real checks.
  const setupToken = /setup\?token=([\w-]+)/.exec(server.output())?.[1];
  if (setupToken) {
    await call(server, seeder.token, "POST", "/auth/setup", {
      token: setupToken,
      email: "owner@example.com",
      password: "correct horse battery staple",
    });
  }

  const report: FuzzReport = { seed: options.seed, requests: 0, perOp: {}, violations: [] };
  let opIndex = 0;
  for (const op of ops) {
    opIndex++;
    world = await ensureWorld(server, seeder.token, world);
    // A token per operation: each has its own deploy rate limit, and revoking is fenced off.
    const made = (await call(server, seeder.token, "POST", "/tokens", {
      name: `fuzz ${op.id}`,
      scopes: ["admin"],
    })).json as { id: string; token: string };
    world.protectedTokens.add(made.id);
    const tools = new SchemaTools({ document: doc, hints: hints(world, op.id) });
    const stats = report.perOp[op.id] = {
      valid: 0,
      invalid: 0,
      statuses: {} as Record<string, number>,
    };
    for (const kind of ["valid", "invalid"] as const) {
      const arb = drafts(tools, op, kind);
      if (!arb) continue;
      await fc.assert(
        fc.asyncProperty(arb, async (d) => {
          if (selfHarm(op, d, world)) return true;
          const { url, line, init } = build(op, d, server.url);
          init.headers = { ...bearer(made.token), ...init.headers as Record<string, string> };
          const started = Date.now();
          let res: Response;
          try {
            res = await fetch(url, init);
          } catch (err) {
            report.violations.push({
              op: op.id,
              kind,
              request: line,
              status: 0,
              problem: `no answer: ${err}`,
              body: "",
            });
            return true;
          }
          report.requests++;
          stats[kind]++;
          stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
          const verdict = await judge(tools, op, kind, res);
          if (verdict.problem) {
            report.violations.push({
              op: op.id,
              kind,
              request: line,
              status: res.status,
              problem: verdict.problem,
              body: verdict.body,
            });
          }
          const ms = Date.now() - started;
          if (ms > 2000) log(`  slow: ${ms} ms for ${line.slice(0, 120)}`);
          return true;
        }),
        // Each operation and kind gets its own stream of cases from the one seed.
        { seed: options.seed + opIndex * 2 + (kind === "valid" ? 0 : 1), numRuns: options.runs },
      );
    }
    log(
      `${op.id.padEnd(24)} valid ${String(stats.valid).padStart(4)}  invalid ${
        String(stats.invalid).padStart(4)
      }  ${JSON.stringify(stats.statuses)}`,
    );
  }
  return report;
}

/** A readable list of violations. */
export function describeViolations(violations: Violation[]): string {
  return violations.map((v) =>
    `[${v.op}] ${v.kind} input → ${v.status}: ${v.problem}\n    ${v.request}\n    ${v.body}`
  ).join("\n");
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

if (import.meta.main) {
  const args = Deno.args;
  const seed = Number(flag(args, "seed") ?? Deno.env.get("FUZZ_SEED") ?? Date.now() % 2 ** 31);
  const runs = Number(flag(args, "runs") ?? Deno.env.get("FUZZ_RUNS") ?? 100);
  const only = flag(args, "op")?.split(",");
  const server = await startServer();
  const started = Date.now();
  let failed = true;
  try {
    console.log(`fuzzing with seed ${seed}, ${runs} runs per operation and kind`);
    const report = await fuzzOpenApi(server, { seed, runs, only, log: console.log });
    console.log(
      `\n${report.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `${report.violations.length} violations (seed ${seed})`,
    );
    if (report.violations.length > 0) console.log(describeViolations(report.violations));
    const errors = server.output().split("\n").filter((l) => /internal error/.test(l));
    if (errors.length > 0) console.log(`\nserver log:\n${errors.join("\n")}`);
    failed = report.violations.length > 0;
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
  Deno.exit(failed ? 1 : 0);
}
