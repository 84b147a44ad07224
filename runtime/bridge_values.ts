/**
 * The values of capability calls and of their answers as they cross the
 * bridge: JSON, except that bytes (`Uint8Array`) travel as
 * `{"$bytes": "<base64>"}`, both ways and at any depth, so a capability
 * takes and returns bytes with no code of its own on either side. A plain
 * object that itself has a `$bytes` key is sent as
 * `{"$bytes": false, "$object": {…}}`, so no app data is ever mistaken for
 * bytes. A message says when its values hold either (`tagged`), so plain
 * JSON is never walked on arrival. Everything else is JSON's business, as
 * it always was (`undefined` in an array becomes `null`, a `Date` its ISO
 * text, a class instance its own fields).
 *
 * @module
 */

/** The key that marks bytes. */
const TAG = "$bytes";

/** The key of an escaped object (one that has a `$bytes` key of its own). */
const ESCAPED = "$object";

/**
 * Bytes nested deeper than this are left to JSON: no real value is this
 * deep, and a cyclic one then fails in `JSON.stringify`, which says so.
 */
const MAX_DEPTH = 256;

/** A value the bridge cannot decode (it comes from a process taken over). */
export class BridgeValueError extends Error {
  /** The error code the kernel answers with. */
  readonly code = "invalid_input";
  constructor(message: string) {
    super(message);
    this.name = "BridgeValueError";
  }
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` ready for `JSON.stringify` on the bridge: bytes tagged, objects
 * with a `$bytes` key escaped. Nothing is changed in place; parts without
 * bytes or such keys are returned as they are.
 */
export function encodeValue(value: unknown): unknown {
  return encode(value, 0);
}

function encode(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return value;
  if (value instanceof Uint8Array) return { [TAG]: value.toBase64() };
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item !== "object" || item === null) continue;
      const encoded = encode(item, depth + 1);
      if (encoded === item) continue;
      out ??= value.slice();
      out[i] = encoded;
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (typeof item !== "object" || item === null) continue;
    const encoded = encode(item, depth + 1);
    if (encoded === item) continue;
    // The spread copies an own "__proto__" key as data, so assigning it is safe.
    out ??= { ...value };
    out[key] = encoded;
  }
  const result = out ?? value;
  return Object.hasOwn(value, TAG) ? { [TAG]: false, [ESCAPED]: result } : result;
}

/**
 * A value from the bridge (fresh from `JSON.parse`, decoded in place):
 * tagged bytes become `Uint8Array`s, escaped objects the objects they
 * stand for. Throws {@linkcode BridgeValueError} for bytes that are not
 * base64.
 */
export function decodeValue(value: unknown): unknown {
  return decode(value, 0);
}

function decode(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "object" && item !== null) value[i] = decode(item, depth + 1);
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  if (Object.hasOwn(obj, TAG)) {
    const tag = obj[TAG];
    if (typeof tag === "string") return bytesOf(tag);
    if (tag === false && Object.hasOwn(obj, ESCAPED)) {
      const inner = obj[ESCAPED];
      return typeof inner === "object" && inner !== null && !Array.isArray(inner)
        ? decodeFields(inner as Record<string, unknown>, depth)
        : decode(inner, depth + 1);
    }
  }
  return decodeFields(obj, depth);
}

/** Decodes the fields of `obj` in place (not `obj` itself). */
function decodeFields(obj: Record<string, unknown>, depth: number): Record<string, unknown> {
  for (const key of Object.keys(obj)) {
    const item = obj[key];
    // An own "__proto__" key (from JSON.parse) is assigned as data.
    if (typeof item === "object" && item !== null) obj[key] = decode(item, depth + 1);
  }
  return obj;
}

function bytesOf(base64: string): Uint8Array {
  try {
    return Uint8Array.fromBase64(base64);
  } catch {
    throw new BridgeValueError("Bytes on the bridge must be base64.");
  }
}
