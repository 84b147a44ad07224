/**
 * Numeric input fields, bounded once for every transport. A JSON body or an
 * MCP call passes real numbers, which must be finite and within the field's
 * bounds (no coercion: `"5"`, `true` or `null` are not numbers). A query
 * string can only carry text, so fields of operations that take their input
 * from the query string ({@linkcode queryInt}) also accept the plain decimal
 * text of a number (`"25"`, not `""`, `"0x19"`, `"1e3"` or `" 25"`). The
 * JSON Schema (OpenAPI, MCP) shows the number with its bounds.
 *
 * @module
 */
import { z } from "zod";

/** The largest count, offset or version number any operation takes. */
export const MAX_COUNT = 1_000_000_000;

const DECIMAL = /^-?[0-9]{1,16}(?:\.[0-9]{1,16})?$/;

/** A whole number from `min` to `max`. */
export function int(min: number, max: number): z.ZodNumber {
  return z.number().int().min(min).max(max);
}

/**
 * A whole number from `min` to `max`, for operations whose input comes from
 * the query string: its decimal text is accepted too.
 */
export function queryInt(min: number, max: number): z.ZodPreprocess<z.ZodNumber> {
  return z.preprocess(
    (value) => typeof value === "string" && DECIMAL.test(value) ? Number(value) : value,
    int(min, max),
  );
}
