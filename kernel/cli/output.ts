/**
 * Human-readable CLI output: tables for lists, `key  value` lines for
 * objects. `--json` bypasses this and prints the operation's output as is.
 *
 * @module
 */

function cell(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Renders rows as an aligned table with the given columns. */
export function formatTable(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
): string {
  if (rows.length === 0) return "(none)";
  const data = [
    columns.map((c) => c.toUpperCase()),
    ...rows.map((r) => columns.map((c) => cell(r[c]))),
  ];
  const widths = columns.map((_, i) => Math.max(...data.map((row) => row[i].length)));
  return data.map((row) =>
    row.map((v, i) => i === row.length - 1 ? v : v.padEnd(widths[i])).join("  ").trimEnd()
  )
    .join("\n");
}

/** Renders an object as aligned `key  value` lines, nested objects indented. */
export function formatObject(obj: Record<string, unknown>, indent = ""): string {
  const keys = Object.keys(obj);
  const width = Math.max(0, ...keys.map((k) => k.length));
  const lines: string[] = [];
  for (const k of keys) {
    const v = obj[k];
    if (Array.isArray(v) && v.length > 0 && typeof v[0] === "object") {
      lines.push(`${indent}${k}:`);
      lines.push(
        formatTable(v as Record<string, unknown>[], Object.keys(v[0] as object)).split("\n").map((
          l,
        ) => `${indent}  ${l}`).join("\n"),
      );
    } else if (v && typeof v === "object" && !Array.isArray(v)) {
      lines.push(`${indent}${k}:`);
      lines.push(formatObject(v as Record<string, unknown>, indent + "  "));
    } else {
      lines.push(
        `${indent}${k.padEnd(width)}  ${Array.isArray(v) ? v.join(", ") || "-" : cell(v)}`,
      );
    }
  }
  return lines.join("\n");
}

/** Renders any operation output for people. */
export function formatOutput(output: unknown, columns?: readonly string[]): string {
  if (Array.isArray(output)) {
    const cols = columns ?? (output.length > 0 ? Object.keys(output[0] as object) : []);
    return formatTable(output as Record<string, unknown>[], cols);
  }
  if (output && typeof output === "object") return formatObject(output as Record<string, unknown>);
  return cell(output);
}
