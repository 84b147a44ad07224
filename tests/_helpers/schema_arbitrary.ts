/**
 * fast-check arbitraries from JSON Schemas (the 2020-12 subset fazt's
 * OpenAPI document uses): values a schema accepts, and values it refuses.
 * Every value is checked with Ajv against the schema it was made for, so a
 * generator that errs can only make fewer cases, never a wrong one: what
 * the fuzzer calls valid is valid by the document, and what it calls
 * invalid is invalid by the document.
 *
 * @module
 */
import fc from "fast-check";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** A JSON Schema object. */
export type Schema = Record<string, unknown>;

/** Where a value travels: typed JSON, or text in a query string (where type confusion is not expressible). */
export type Carrier = "json" | "query";

/** Options for the arbitraries. */
export interface SchemaArbOptions {
  /** The document the schemas' `$ref`s point into. */
  document: Record<string, unknown>;
  /** Extra values for fields of these names (kept only where the schema accepts them). */
  hints?: Record<string, fc.Arbitrary<unknown>>;
}

/** Compiled validators over one document. */
export class SchemaTools {
  readonly #ajv: { compile(s: Schema): (v: unknown) => boolean };
  readonly #validators = new WeakMap<Schema, (v: unknown) => boolean>();
  readonly #document: Record<string, unknown>;
  readonly hints: Record<string, fc.Arbitrary<unknown>>;

  constructor(options: SchemaArbOptions) {
    // deno-lint-ignore no-explicit-any -- Ajv's CommonJS default export types poorly under Deno
    const ajv = new (Ajv2020 as any)({ strict: false, validateFormats: true });
    // deno-lint-ignore no-explicit-any -- same
    (addFormats as any)(ajv);
    ajv.addSchema({ ...options.document, $id: "doc" });
    this.#ajv = ajv;
    this.#document = options.document;
    this.hints = options.hints ?? {};
  }

  /** Whether `value` satisfies `schema` (refs resolved in the document). */
  accepts(schema: Schema, value: unknown): boolean {
    let v = this.#validators.get(schema);
    if (!v) {
      v = this.#ajv.compile(rebase(schema) as Schema);
      this.#validators.set(schema, v);
    }
    return v(value);
  }

  /** The schema a `$ref` points at (or the schema itself). */
  deref(schema: Schema): Schema {
    let s = schema;
    while (typeof s.$ref === "string") {
      const path = s.$ref.replace(/^#\//, "").split("/");
      let at: unknown = this.#document;
      for (const p of path) at = (at as Record<string, unknown>)[p];
      s = at as Schema;
    }
    return s;
  }

  /**
   * Values `schema` accepts. `small` leaves out the very long strings that
   * probe missing limits (for values that travel in a URL, and object keys).
   */
  valid(schema: Schema, name?: string, depth = 0, small = false): fc.Arbitrary<unknown> {
    const generic = this.#validRaw(this.deref(schema), depth, small);
    const hint = name === undefined ? undefined : this.hints[name];
    const arb = hint
      ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: generic, weight: 1 })
      : generic;
    return arb.filter((v) => this.accepts(schema, v));
  }

  /**
   * Values `schema` refuses, or `undefined` when it refuses nothing (`{}`).
   * For the query carrier only violations that survive being sent as text
   * are made (a number where text is expected would arrive as valid text).
   */
  invalid(
    schema: Schema,
    carrier: Carrier,
    depth = 0,
    small = false,
  ): fc.Arbitrary<unknown> | undefined {
    const candidates = this.#invalidRaw(this.deref(schema), carrier, depth, small);
    if (candidates.length === 0) return undefined;
    return fc.oneof(...candidates).filter((v) => !this.accepts(schema, v));
  }

  #validRaw(s: Schema, depth: number, small: boolean): fc.Arbitrary<unknown> {
    if ("const" in s) return fc.constant(s.const);
    if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (alternatives) {
      return fc.oneof(...alternatives.map((a) => this.valid(a, undefined, depth, small)));
    }
    if (Array.isArray(s.type)) {
      return fc.oneof(...s.type.map((t) => this.#validRaw({ ...s, type: t }, depth, small)));
    }
    switch (s.type) {
      case "string":
        return validString(s, small);
      case "integer":
        return validNumber(s, true);
      case "number":
        return validNumber(s, false);
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array": {
        const items = isSchema(s.items)
          ? this.valid(s.items, undefined, depth + 1, small)
          : anyJson(depth);
        const min = typeof s.minItems === "number" ? s.minItems : 0;
        const max = Math.min(typeof s.maxItems === "number" ? s.maxItems : min + 4, min + 4);
        return fc.array(items, { minLength: min, maxLength: max });
      }
      case "object":
        return this.#validObject(s, depth, small);
      default:
        return anyJson(depth);
    }
  }

  #validObject(s: Schema, depth: number, small: boolean): fc.Arbitrary<unknown> {
    const properties = (isSchema(s.properties) ? s.properties : {}) as Record<string, Schema>;
    const required = Array.isArray(s.required) ? s.required as string[] : [];
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, p] of Object.entries(properties)) {
      model[k] = this.valid(p, k, depth + 1, small);
    }
    const fixed = fc.record(model, { requiredKeys: required });
    if (!isSchema(s.additionalProperties) || depth > 3) return fixed;
    const keys = isSchema(s.propertyNames)
      ? this.valid(s.propertyNames, undefined, depth + 1, true)
      : fc.string();
    const extra = fc.dictionary(
      keys.filter((k): k is string =>
        typeof k === "string" && k !== "__proto__" && !(k in properties)
      ),
      this.valid(s.additionalProperties, undefined, depth + 1, small),
      { maxKeys: 4, noNullPrototype: true },
    );
    return fc.tuple(fixed, extra).map(([a, b]) => ({ ...b, ...(a as object) }));
  }

  #invalidRaw(s: Schema, carrier: Carrier, depth: number, small: boolean): fc.Arbitrary<unknown>[] {
    const out: fc.Arbitrary<unknown>[] = [];
    const json = carrier === "json";
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (alternatives) {
      for (const a of alternatives) {
        out.push(...this.#invalidRaw(this.deref(a), carrier, depth, small));
      }
      if (json) out.push(fc.constantFrom<unknown>({}, [], "text", true));
      return out;
    }
    if (Array.isArray(s.enum) || "const" in s) {
      out.push(fc.constantFrom("not-one-of-them", "", "ZZZ"));
      if (json) out.push(fc.constantFrom<unknown>(12345, null, true));
      return out;
    }
    switch (s.type) {
      case "string": {
        if (typeof s.maxLength === "number") {
          out.push(fc.string({ minLength: s.maxLength + 1, maxLength: s.maxLength + 8 }));
        }
        if (typeof s.minLength === "number" && s.minLength > 0) {
          out.push(fc.string({ maxLength: s.minLength - 1 }));
        }
        if (s.format === "date-time") {
          out.push(
            fc.constantFrom("yesterday", "2024-13-45T99:00:00Z", "1700000000", "2024-01-01"),
          );
        }
        if (json) out.push(fc.constantFrom<unknown>(42, true, null, [], { a: 1 }));
        return out;
      }
      case "integer":
      case "number": {
        const int = s.type === "integer";
        const min = typeof s.minimum === "number"
          ? s.minimum
          : typeof s.exclusiveMinimum === "number"
          ? s.exclusiveMinimum
          : undefined;
        const max = typeof s.maximum === "number" ? s.maximum : undefined;
        if (min !== undefined) {
          out.push(fc.constantFrom(min - 1, min - 0.5, -1e300));
          if (typeof s.exclusiveMinimum === "number") out.push(fc.constant(s.exclusiveMinimum));
        }
        if (max !== undefined) out.push(fc.constantFrom(max + 1, max * 10 + 7, 1e300));
        if (int) out.push(fc.constantFrom(1.5, 2.25, 1e-7));
        if (json) out.push(fc.constantFrom<unknown>("7", "", true, null, [], {}));
        else out.push(fc.constantFrom("seven", "", "1,5"));
        return out;
      }
      case "boolean":
        if (json) out.push(fc.constantFrom<unknown>("true", 1, null));
        else out.push(fc.constantFrom("yes", "2"));
        return out;
      case "null":
        if (json) out.push(fc.constantFrom<unknown>(0, "", false));
        return out;
      case "array": {
        if (json) out.push(fc.constantFrom<unknown>("x", 1, null, {}));
        if (typeof s.minItems === "number" && s.minItems > 0) out.push(fc.constant([]));
        if (isSchema(s.items) && json && depth < 3) {
          const bad = this.invalid(s.items, "json", depth + 1, small);
          if (bad) out.push(fc.array(bad, { minLength: 1, maxLength: 3 }));
        }
        return out;
      }
      case "object":
        return this.#invalidObject(s, depth, small);
      default:
        return out;
    }
  }

  #invalidObject(s: Schema, depth: number, small: boolean): fc.Arbitrary<unknown>[] {
    const out: fc.Arbitrary<unknown>[] = [];
    // Objects in a query string travel as JSON text, so type confusion is expressible.
    out.push(fc.constantFrom<unknown>([], "text", 7, true, null));
    if (depth > 3) return out;
    const properties = (isSchema(s.properties) ? s.properties : {}) as Record<string, Schema>;
    const required = Array.isArray(s.required) ? s.required as string[] : [];
    const base = this.valid(s, undefined, depth, small) as fc.Arbitrary<Record<string, unknown>>;
    if (required.length > 0) {
      out.push(
        fc.tuple(base, fc.constantFrom(...required)).map(([v, k]) => {
          const copy = { ...v };
          delete copy[k];
          return copy;
        }),
      );
    }
    if (s.additionalProperties === false) {
      out.push(base.map((v) => ({ ...v, notAField: 1 })));
    } else if (isSchema(s.additionalProperties)) {
      const bad = this.invalid(s.additionalProperties, "json", depth + 1, small);
      if (bad) out.push(fc.tuple(base, bad).map(([v, b]) => ({ ...v, someKey: b })));
    }
    for (const [k, p] of Object.entries(properties)) {
      const bad = this.invalid(p, "json", depth + 1, small);
      if (bad) out.push(fc.tuple(base, bad).map(([v, b]) => ({ ...v, [k]: b })));
    }
    return out;
  }
}

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A schema whose `#/…` refs point into the document registered as `doc`. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (!isSchema(value)) return value;
  const out: Schema = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `doc${v}` : rebase(v);
  }
  return out;
}

/** Strings that have broken servers before: separators, encodings, Unicode forms, lone surrogates. */
const AWKWARD = [
  ".",
  "..",
  "/",
  "%",
  "%2e%2e",
  "a/b",
  "a b",
  "?x=1",
  "#frag",
  "\\",
  "@",
  "__proto__",
  "constructor",
  "null",
  "café",
  "cafe\u0301",
  "日本",
  "😀",
  "\u0000",
  "\t\r\n",
  "\ud800",
  "a\udc00b",
  "' OR 1=1 --",
  "<script>",
  "1e999",
  "-0",
];

function validString(s: Schema, small: boolean): fc.Arbitrary<unknown> {
  if (s.format === "date-time") {
    return fc.date({
      min: new Date("1970-01-01T00:00:00Z"),
      max: new Date("2100-01-01T00:00:00Z"),
      noInvalidDate: true,
    }).map((d) => d.toISOString());
  }
  const min = typeof s.minLength === "number" ? s.minLength : 0;
  const max = typeof s.maxLength === "number" ? s.maxLength : Infinity;
  const short = Math.min(max, min + 24);
  const arbs: fc.Arbitrary<string>[] = [
    fc.string({ minLength: min, maxLength: short }),
    fc.string({ minLength: min, maxLength: short, unit: "grapheme" }),
    fc.string({ minLength: min, maxLength: short, unit: "binary" }),
    fc.constantFrom(...AWKWARD).filter((a) => a.length >= min && a.length <= max),
  ];
  if (Number.isFinite(max) && max <= (small ? 2048 : 200_000)) {
    arbs.push(fc.constant("x".repeat(max)));
  }
  // No maximum: something larger than any sane limit, where a missing one shows.
  if (!Number.isFinite(max) && !small) arbs.push(fc.constant("y".repeat(300_000)));
  return fc.oneof(...arbs);
}

/** Numbers at the ends of what JSON can carry: where a missing bound shows. */
const EXTREMES = [
  1e300,
  Number.MAX_VALUE,
  2 ** 53,
  2 ** 63,
  1e21,
  -1e300,
  -Number.MAX_VALUE,
  -(2 ** 63),
  1e-300,
  Number.MIN_VALUE,
];

function validNumber(s: Schema, int: boolean): fc.Arbitrary<unknown> {
  const exclusiveMin = typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : undefined;
  const min = typeof s.minimum === "number" ? s.minimum : exclusiveMin ?? -1e9;
  const max = typeof s.maximum === "number" ? s.maximum : 1e9;
  // Only what the schema allows: an unbounded side gets the extremes (the filter drops the rest).
  const extremes = EXTREMES.filter((n) =>
    (typeof s.maximum === "number" ? n <= s.maximum : true) &&
    (typeof s.minimum === "number" ? n >= s.minimum : true) &&
    (exclusiveMin === undefined || n > exclusiveMin) && (!int || Number.isInteger(n))
  );
  const edges = [min, max, Math.min(max, min + 1), ...extremes].filter((n) => n !== exclusiveMin);
  if (int) {
    return fc.oneof(
      fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
      fc.constantFrom(...edges),
    );
  }
  return fc.oneof(
    fc.double({
      min,
      max,
      noNaN: true,
      noDefaultInfinity: true,
      minExcluded: exclusiveMin !== undefined,
    }),
    fc.constantFrom(...edges),
  );
}

function anyJson(depth: number): fc.Arbitrary<unknown> {
  return fc.jsonValue({ maxDepth: Math.max(0, 2 - depth) });
}
