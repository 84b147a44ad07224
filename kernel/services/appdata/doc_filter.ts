/**
 * Translates document filters and sorts into SQL over the `docs.body` JSON
 * column. The SQL text is built only from constants of this module and
 * validated field paths; every user value is a bound parameter. A field
 * path is written into the SQL as a quoted JSON path literal
 * (`json_extract(body, '$."a"."b"')`) so that SQLite can match it against
 * an index on that expression (see `doc_indexes.ts`; a bound path never
 * matches one). That is safe because a path is validated first
 * (identifiers joined by dots: no quote can occur in it), so
 * `json_extract` can never be steered outside the named field.
 *
 * Comparisons are type-strict: `{n: 1}` matches the number 1, never the
 * string "1" or `true`; `$gt`/`$gte`/`$lt`/`$lte` compare numbers with
 * numbers and strings with strings (by code point). `{f: null}` matches a
 * null or missing field; `$ne`/`$nin` also match documents without the field.
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import { describe } from "../../core/text.ts";
import { isPlainObject, jsonProblem } from "./json_value.ts";
import { FIELD_PATH_PATTERN, MAX_FIELD_PATH_LENGTH } from "../../../apps/doc_fields.ts";

export { FIELD_PATH_PATTERN, MAX_FIELD_PATH_LENGTH } from "../../../apps/doc_fields.ts";

/** A value bound to a SQL parameter. */
export type SqlParam = string | number | null;

/** A SQL fragment and the values of its `?` parameters, in order. */
export interface SqlFragment {
  /** SQL text made only of this module's constants and `?` placeholders. */
  sql: string;
  /** The bound values. */
  params: SqlParam[];
}

/** A filter: field conditions, `$and` / `$or`. */
export type DocFilter = Record<string, unknown>;

/** A sort: field → 1 (ascending) or -1 (descending), most significant first. */
export type DocSort = Record<string, 1 | -1>;

/** The most fields one sort may name. */
export const MAX_SORT_FIELDS = 8;

const COMPARISONS = {
  $gt: ">",
  $gte: ">=",
  $lt: "<",
  $lte: "<=",
} as const;

const OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains"];

/**
 * Validates a field path and returns its segments. Refused paths are
 * `invalid_input` that say what a path may contain.
 */
export function fieldSegments(path: unknown): string[] {
  if (
    typeof path !== "string" || path.length > MAX_FIELD_PATH_LENGTH ||
    !FIELD_PATH_PATTERN.test(path)
  ) {
    throw new FaztError(
      "invalid_input",
      `${describe(path)} is not a valid field path. Use names made of letters, digits, _ and $ ` +
        `(not starting with a digit), joined by dots for nested fields, like "address.city".`,
    );
  }
  return path.split(".");
}

/** The JSON path (`$."a"."b"`) of a validated field path. */
export function jsonPath(path: string): string {
  return "$" + fieldSegments(path).map((s) => `."${s}"`).join("");
}

/**
 * `json_extract(body, '$."a"."b"')` for a field path: the expression a
 * document index is built on (`doc_indexes.ts`) and every filter and sort
 * uses, written out so that the two match. The path is validated (it holds
 * no quote), so it is safe inside the SQL literal.
 */
export function fieldExpression(path: string): string {
  return `json_extract(body, '${jsonPath(path)}')`;
}

/** The type and value of something compared: a document field, or an array element. */
interface Operand {
  /** The SQLite JSON type name, or NULL when missing. */
  type: SqlFragment;
  /** The value as SQLite sees it. */
  value: SqlFragment;
}

function fieldOperand(path: string): Operand {
  return {
    type: { sql: `json_type(body, '${jsonPath(path)}')`, params: [] },
    value: { sql: fieldExpression(path), params: [] },
  };
}

const ELEMENT: Operand = {
  type: { sql: "e.type", params: [] },
  value: { sql: "e.value", params: [] },
};

/** `type IN (...)`, never NULL; the type names are constants of this module. */
function typeIn(op: Operand, types: readonly string[]): SqlFragment {
  return {
    sql: `(coalesce(${op.type.sql}, 'missing') IN (${types.map((t) => `'${t}'`).join(", ")}))`,
    params: [...op.type.params],
  };
}

function and(...parts: SqlFragment[]): SqlFragment {
  if (parts.length === 0) return { sql: "1", params: [] };
  return {
    sql: `(${parts.map((p) => p.sql).join(" AND ")})`,
    params: parts.flatMap((p) => p.params),
  };
}

function or(...parts: SqlFragment[]): SqlFragment {
  if (parts.length === 0) return { sql: "0", params: [] };
  return {
    sql: `(${parts.map((p) => p.sql).join(" OR ")})`,
    params: parts.flatMap((p) => p.params),
  };
}

function not(part: SqlFragment): SqlFragment {
  return { sql: `(NOT ${part.sql})`, params: part.params };
}

function compare(op: Operand, sqlOp: string, param: SqlParam, wrap = "?"): SqlFragment {
  return { sql: `${op.value.sql} ${sqlOp} ${wrap}`, params: [...op.value.params, param] };
}

/** Counts conditions so one filter cannot grow into an enormous statement. */
class Budget {
  #left: number;
  constructor(readonly max: number) {
    this.#left = max;
  }
  spend(): void {
    if (--this.#left < 0) {
      throw new FaztError(
        "invalid_input",
        `The filter has more than ${this.max} conditions. Simplify it or split the query.`,
      );
    }
  }
}

function checkValue(value: unknown, where: string): void {
  const problem = jsonProblem(value, where);
  if (problem) {
    throw new FaztError("invalid_input", `The filter value is not plain JSON: ${problem}.`);
  }
}

/** Exact equality, type included; never NULL. */
function equals(op: Operand, value: unknown, where: string): SqlFragment {
  checkValue(value, where);
  if (value === null) return typeIn(op, ["missing", "null"]);
  if (typeof value === "boolean") return typeIn(op, [value ? "true" : "false"]);
  if (typeof value === "number") {
    return and(typeIn(op, ["integer", "real"]), compare(op, "=", value));
  }
  if (typeof value === "string") return and(typeIn(op, ["text"]), compare(op, "=", value));
  return and(
    typeIn(op, [Array.isArray(value) ? "array" : "object"]),
    compare(op, "=", JSON.stringify(value), "json(?)"),
  );
}

function ordered(op: Operand, name: keyof typeof COMPARISONS, value: unknown, field: string) {
  if (typeof value === "number" && Number.isFinite(value)) {
    return and(typeIn(op, ["integer", "real"]), compare(op, COMPARISONS[name], value));
  }
  if (typeof value === "string") {
    return and(typeIn(op, ["text"]), compare(op, COMPARISONS[name], value));
  }
  throw new FaztError(
    "invalid_input",
    `${name} on "${field}" compares with a number or a string (got ${describe(value)}).`,
  );
}

function oneOf(op: Operand, values: unknown, name: string, field: string, budget: Budget) {
  if (!Array.isArray(values)) {
    throw new FaztError(
      "invalid_input",
      `${name} on "${field}" takes an array of values (got ${describe(values)}).`,
    );
  }
  return or(...values.map((v, i) => {
    budget.spend();
    return equals(op, v, `${field}.${name}[${i}]`);
  }));
}

function contains(op: Operand, value: unknown, field: string): SqlFragment {
  checkValue(value, `${field}.$contains`);
  const element = equals(ELEMENT, value, `${field}.$contains`);
  const inArray = and(typeIn(op, ["array"]), {
    sql: `EXISTS (SELECT 1 FROM json_each(${op.value.sql}) AS e WHERE ${element.sql})`,
    params: [...op.value.params, ...element.params],
  });
  if (typeof value !== "string") return inArray;
  const inString = and(typeIn(op, ["text"]), {
    sql: `instr(${op.value.sql}, ?) > 0`,
    params: [...op.value.params, value],
  });
  return or(inString, inArray);
}

function fieldCondition(field: string, condition: unknown, budget: Budget): SqlFragment {
  fieldSegments(field);
  const isOperators = isPlainObject(condition) &&
    Object.keys(condition).some((k) => k.startsWith("$"));
  if (!isOperators) {
    budget.spend();
    if (field === "_id" && typeof condition === "string") {
      return { sql: "id = ?", params: [condition] };
    }
    return equals(fieldOperand(field), condition, field);
  }
  const ops = condition as Record<string, unknown>;
  const parts: SqlFragment[] = [];
  for (const [name, value] of Object.entries(ops)) {
    if (!name.startsWith("$")) {
      throw new FaztError(
        "invalid_input",
        `The condition on "${field}" mixes operators with the field "${name}". ` +
          `Use only operators (${OPERATORS.join(", ")}), or only fields for an exact match.`,
      );
    }
    budget.spend();
    const op = fieldOperand(field);
    switch (name) {
      case "$eq":
        parts.push(
          field === "_id" && typeof value === "string"
            ? { sql: "id = ?", params: [value] }
            : equals(op, value, field),
        );
        break;
      case "$ne":
        parts.push(not(equals(op, value, field)));
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        parts.push(ordered(op, name, value, field));
        break;
      case "$in":
        parts.push(oneOf(op, value, name, field, budget));
        break;
      case "$nin":
        parts.push(not(oneOf(op, value, name, field, budget)));
        break;
      case "$contains":
        parts.push(contains(op, value, field));
        break;
      default:
        throw new FaztError(
          "invalid_input",
          `${JSON.stringify(name)} is not a filter operator. Use one of ${OPERATORS.join(", ")}.`,
        );
    }
  }
  return and(...parts);
}

function compile(filter: unknown, budget: Budget, where: string): SqlFragment {
  if (!isPlainObject(filter)) {
    throw new FaztError(
      "invalid_input",
      `${where} must be an object like {"status": "open"} (got ${describe(filter)}).`,
    );
  }
  const parts: SqlFragment[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) {
        throw new FaztError(
          "invalid_input",
          `${key} takes a non-empty array of filters (got ${describe(value)}).`,
        );
      }
      const subs = value.map((f, i) => compile(f, budget, `${key}[${i}]`));
      parts.push(key === "$and" ? and(...subs) : or(...subs));
    } else if (key.startsWith("$")) {
      throw new FaztError(
        "invalid_input",
        `${JSON.stringify(key)} is not allowed at the top of a filter. Use $and or $or, ` +
          `or put operators under a field: {"age": {"$gt": 18}}.`,
      );
    } else {
      parts.push(fieldCondition(key, value, budget));
    }
  }
  return and(...parts);
}

/**
 * Compiles a filter into a SQL condition over `body` (and `id`). An absent
 * filter matches every document. Refusals are `invalid_input`.
 */
export function compileFilter(filter: unknown, maxConditions: number): SqlFragment {
  if (filter === undefined) return { sql: "1", params: [] };
  return compile(filter, new Budget(maxConditions), "The filter");
}

/**
 * Compiles a sort into an `ORDER BY` list; documents that compare equal stay
 * in insertion order. Missing fields sort first ascending (SQLite orders
 * NULL < numbers < text).
 */
export function compileSort(sort: unknown): SqlFragment {
  if (sort === undefined) return { sql: "seq", params: [] };
  if (!isPlainObject(sort)) {
    throw new FaztError(
      "invalid_input",
      `The sort must be an object like {"createdAt": -1} (got ${describe(sort)}).`,
    );
  }
  const entries = Object.entries(sort);
  if (entries.length > MAX_SORT_FIELDS) {
    throw new FaztError("invalid_input", `A sort may name at most ${MAX_SORT_FIELDS} fields.`);
  }
  const parts: SqlFragment[] = entries.map(([field, direction]) => {
    if (direction !== 1 && direction !== -1) {
      throw new FaztError(
        "invalid_input",
        `Sort "${field}" by 1 (ascending) or -1 (descending) (got ${describe(direction)}).`,
      );
    }
    const dir = direction === 1 ? "ASC" : "DESC";
    if (field === "_id") return { sql: `id ${dir}`, params: [] };
    return { sql: `${fieldExpression(field)} ${dir}`, params: [] };
  });
  parts.push({ sql: "seq", params: [] });
  return { sql: parts.map((p) => p.sql).join(", "), params: parts.flatMap((p) => p.params) };
}
