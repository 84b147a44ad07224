/**
 * Strict JSON for app data: values must round-trip through JSON unchanged,
 * so anything `JSON.stringify` would silently alter (NaN, `Date`, `Map`,
 * typed arrays, functions, cycles) is refused with a message that names the
 * offending place. Object properties that are `undefined` are dropped, as
 * JSON does.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import { utf8Length } from "../../core/text.ts";

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The deepest nesting a stored value may have. */
export const MAX_JSON_DEPTH = 100;

/** Whether `value` is a plain object (its prototype is `Object.prototype` or `null`). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function kindOf(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
      ?.constructor?.name;
    return name ? `a ${name}` : "an object";
  }
  if (typeof value === "number") return String(value);
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}

/**
 * Returns why `value` is not strict JSON (a path like `value.items[2]` and
 * what is there), or `null` when it is.
 */
export function jsonProblem(value: unknown, root = "value"): string | null {
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: string, depth: number): string | null => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return null;
    if (typeof v === "number") {
      return Number.isFinite(v) ? null : `${path} is ${v}, which JSON cannot hold`;
    }
    if (depth > MAX_JSON_DEPTH) return `${path} is nested more than ${MAX_JSON_DEPTH} levels deep`;
    if (Array.isArray(v)) {
      if (ancestors.has(v)) return `${path} refers back to itself (a cycle)`;
      ancestors.add(v);
      for (let i = 0; i < v.length; i++) {
        const problem = walk(v[i], `${path}[${i}]`, depth + 1);
        if (problem) return problem;
      }
      ancestors.delete(v);
      return null;
    }
    if (isPlainObject(v)) {
      if (ancestors.has(v)) return `${path} refers back to itself (a cycle)`;
      ancestors.add(v);
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined) continue;
        const child = /^[A-Za-z_$][\w$]*$/.test(key)
          ? `${path}.${key}`
          : `${path}[${JSON.stringify(key)}]`;
        const problem = walk(item, child, depth + 1);
        if (problem) return problem;
      }
      ancestors.delete(v);
      return null;
    }
    return `${path} is ${kindOf(v)}, which is not JSON`;
  };
  return walk(value, root, 0);
}

/**
 * Validates `value` as strict JSON and returns its text, refusing it with
 * `invalid_input` when it is not JSON and `payload_too_large` when its text
 * is longer than `maxBytes`. `what` names the value in messages ("the kv
 * value for \"x\"").
 */
export function encodeJson(value: unknown, what: string, maxBytes: number): string {
  const problem = jsonProblem(value);
  if (problem) {
    throw new FaztError(
      "invalid_input",
      `${capitalize(what)} is not plain JSON: ${problem}. Store only objects, arrays, strings, ` +
        "finite numbers, booleans and null (convert dates with toISOString()).",
    );
  }
  const text = JSON.stringify(value);
  const size = utf8Length(text);
  if (size > maxBytes) {
    throw new FaztError(
      "payload_too_large",
      `${capitalize(what)} is ${size} bytes as JSON; the limit is ${maxBytes} bytes. ` +
        "Split it up or store large data as a blob.",
      { details: { size, limit: maxBytes } },
    );
  }
  return text;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
