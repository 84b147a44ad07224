/**
 * Any JSON value the system page does not know by name, shown as nested
 * name/value lists with a readable label for each key and a guess at each
 * number's unit from its key (`…Bytes` → bytes, `…Ms` → milliseconds,
 * `…Seconds` → a duration, `…Rate` → a percentage).
 *
 * @module
 */
import type { VNode } from "preact";
import { count, duration, formatBytes, percent } from "../../lib/format.ts";
import { Detail, DetailsList } from "../../components/details_list.tsx";

/** `cacheHits` or `cache_hits` → `Cache hits`. */
export function label(key: string): string {
  const s = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A value as text, its unit guessed from its key. */
export function guessValue(key: string, v: unknown): string {
  if (typeof v === "number") {
    if (/bytes|rss|heap|budget|size/i.test(key)) return formatBytes(v);
    if (/ms$/i.test(key)) return `${count(Math.round(v))} ms`;
    if (/seconds$/i.test(key)) return duration(v);
    if (/rate|ratio/i.test(key)) return percent(v);
    return count(v);
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === null) return "–";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** `value` (named `name`): objects as nested lists, anything else as text. */
export function GenericValue({ value, name }: { value: unknown; name: string }): VNode {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return (
      <DetailsList>
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <Detail key={k} name={label(k)}>
            {v && typeof v === "object" && !Array.isArray(v)
              ? <GenericValue value={v} name={k} />
              : guessValue(k, v)}
          </Detail>
        ))}
      </DetailsList>
    );
  }
  return <span>{guessValue(name, value)}</span>;
}
