/**
 * Result checks compiled from a capability's declared zod result, for the
 * hot path: zod's own `parse` copies every object it checks (a `find` of
 * 1,000 documents would be copied once more on each call), where a compiled
 * check only reads. Containers (objects, arrays, records, tuples, unions,
 * optional and nullable) are walked here; every leaf (strings, numbers with
 * their bounds, literals, bytes) is checked by its own zod schema, which
 * copies nothing. An object schema without a catchall is closed: a key it
 * does not name fails the check, so a result reaches app code exactly as
 * declared (and as `fazt.d.ts` says). Schemas of any other kind fall back to
 * zod's `safeParse`.
 *
 * @module
 */
import type { z } from "zod";

/** Tells whether a value has the shape of the schema it was compiled from. */
export type ResultCheck = (value: unknown) => boolean;

/** The parts of zod's definitions the compiler reads. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  checks?: unknown[];
}

const LEAVES = new Set([
  "string",
  "number",
  "boolean",
  "null",
  "undefined",
  "void",
  "literal",
  "enum",
  "custom",
]);

function defOf(schema: z.ZodType): Def {
  return schema.def as unknown as Def;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks of plain leaves (no refinements), without a call into zod. */
const PLAIN_LEAVES: Record<string, ResultCheck> = {
  string: (value) => typeof value === "string",
  number: (value) => typeof value === "number" && Number.isFinite(value),
  boolean: (value) => typeof value === "boolean",
  null: (value) => value === null,
};

/** A check that passes everything. */
const ANYTHING: ResultCheck = () => true;

/** Compiles `schema` into a {@linkcode ResultCheck}. */
export function compileResultCheck(schema: z.ZodType): ResultCheck {
  const def = defOf(schema);
  const plain = (def.checks ?? []).length === 0 ? PLAIN_LEAVES[def.type] : undefined;
  if (plain) return plain;
  if (LEAVES.has(def.type)) return (value) => schema.safeParse(value).success;
  switch (def.type) {
    case "unknown":
    case "any":
      return ANYTHING;
    case "optional": {
      const inner = compileResultCheck(def.innerType!);
      return (value) => value === undefined || inner(value);
    }
    case "nullable": {
      const inner = compileResultCheck(def.innerType!);
      return (value) => value === null || inner(value);
    }
    case "union": {
      const options = def.options!.map(compileResultCheck);
      return (value) => options.some((check) => check(value));
    }
    case "array": {
      const element = compileResultCheck(def.element!);
      return (value) => Array.isArray(value) && value.every((item) => element(item));
    }
    case "tuple": {
      const items = def.items!.map(compileResultCheck);
      const rest = def.rest ? compileResultCheck(def.rest) : null;
      return (value) => {
        if (!Array.isArray(value) || (!rest && value.length > items.length)) return false;
        for (let i = 0; i < items.length; i++) if (!items[i](value[i])) return false;
        for (let i = items.length; i < value.length; i++) if (!rest!(value[i])) return false;
        return true;
      };
    }
    case "record": {
      const values = compileResultCheck(def.valueType!);
      return (value) => isObject(value) && Object.values(value).every((item) => values(item));
    }
    case "object":
      return objectCheck(def);
    default:
      return (value) => schema.safeParse(value).success;
  }
}

function objectCheck(def: Def): ResultCheck {
  const fields = Object.entries(def.shape!).map(([key, schema]) =>
    [key, compileResultCheck(schema)] as const
  );
  const named = new Set(fields.map(([key]) => key));
  const catchall = def.catchall && defOf(def.catchall).type !== "never"
    ? compileResultCheck(def.catchall)
    : null;
  return (value) => {
    if (!isObject(value)) return false;
    for (const [key, check] of fields) {
      if (!check(Object.hasOwn(value, key) ? value[key] : undefined)) return false;
    }
    if (catchall === ANYTHING) return true;
    for (const key in value) {
      if (!Object.hasOwn(value, key) || named.has(key)) continue;
      if (!catchall || !catchall(value[key])) return false;
    }
    return true;
  };
}

/**
 * Whether values of `schema` can hold bytes (a leaf that accepts a
 * `Uint8Array`): only such results are walked to tag bytes for the bridge.
 */
export function canHoldBytes(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === "custom") return schema.safeParse(new Uint8Array()).success;
  const children = [
    ...Object.values(def.shape ?? {}),
    def.catchall,
    def.element,
    def.valueType,
    ...(def.options ?? []),
    def.innerType,
    ...(def.items ?? []),
    def.rest,
  ];
  return children.some((child) => child != null && canHoldBytes(child));
}
