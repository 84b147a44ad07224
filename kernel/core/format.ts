/**
 * Byte counts for people, one convention everywhere (CLI, error messages,
 * dashboard): binary units, because fazt's limits are binary (a 10 MiB
 * upload limit, a 128 MiB memory cap, egress limits in MiB). The dashboard
 * gets a copy of this file in `dashboard/src/gen/` (it may import nothing
 * from the kernel), so it must import nothing itself.
 *
 * @module
 */

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** One KiB: 1,024 bytes. */
export const KIB = 1024;

/**
 * One MiB: 1,048,576 bytes, the unit of every size setting given as a plain
 * number (`--max-upload 200`, `--limit 10`, an API's `limitMb`).
 */
export const MIB = 1024 * 1024;

/**
 * A byte count with binary units and at most one decimal: `512 B`,
 * `1.5 KiB`, `10 MiB`, `1.2 GiB`.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} B`;
  if (n < 0) return `-${formatBytes(-n)}`;
  if (Math.round(n) < 1024) return `${Math.round(n)} B`;
  let value = n / 1024;
  let unit = 0;
  // Compare the rounded value so 1,048,575 reads "1 MiB", not "1024 KiB".
  while (Number(value.toFixed(1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${UNITS[unit]}`;
}
