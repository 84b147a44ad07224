/**
 * Formatting for people: sizes, durations, relative times, numbers.
 *
 * Byte counts come from the kernel's own formatter (copied into
 * `src/gen/format.ts`): binary units, so the dashboard, the CLI and the
 * kernel's messages show the same number for the same size.
 *
 * @module
 */

import { formatBytes, MIB } from "../gen/format.ts";

export { formatBytes, MIB };

/** `1234` → `1,234`. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Seconds → `3 d 4 h`, `12 min`, `40 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** An ISO time → `just now`, `5 min ago`, `3 h ago`, `2 days ago`, or a date. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = (now - t) / 1000;
  if (s < 0) return in_(-s, t);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 86400 * 30) {
    const d = Math.round(s / 86400);
    return d === 1 ? "yesterday" : `${d} days ago`;
  }
  return date(iso);
}

function in_(s: number, t: number): string {
  if (s < 3600) return `in ${Math.max(1, Math.round(s / 60))} min`;
  if (s < 86400) return `in ${Math.round(s / 3600)} h`;
  if (s < 86400 * 60) return `in ${Math.round(s / 86400)} days`;
  return date(new Date(t).toISOString());
}

/** An ISO time → `Mar 4, 2026`. */
export function date(iso: string): string {
  return new Date(iso).toLocaleDateString("en-US", {
    year: "numeric",
    month: "short",
    day: "numeric",
  });
}

/** An ISO time → full local date and time, for tooltips. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString("en-US", {
    dateStyle: "medium",
    timeStyle: "medium",
  });
}

/** An ISO time → `14:03:27` (for log lines). */
export function clock(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A URL without its scheme, for display. */
export function shortUrl(url: string): string {
  return url.replace(/^https?:\/\//, "").replace(/\/$/, "");
}

/** `0.873` → `87%`. */
export function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
