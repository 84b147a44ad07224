/**
 * Specification of `parseRange()` (RFC 9110 single byte ranges).
 *
 * @module
 */
import { type ByteRange, parseRange } from "../../../../kernel/http/static/range.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

type Expected = ByteRange | "unsatisfiable" | null;

const cases: ReadonlyArray<
  readonly [name: string, header: string | null, size: number, expected: Expected]
> = [
  // No header.
  ["returns null without a header", null, 100, null],

  // bytes=a-b
  ["reads bytes=0-0 as the first byte", "bytes=0-0", 100, { start: 0, end: 0 }],
  ["reads bytes=0-99 as the whole file", "bytes=0-99", 100, { start: 0, end: 99 }],
  ["reads bytes=10-19 as ten bytes", "bytes=10-19", 100, { start: 10, end: 19 }],
  ["clamps an end past the file to size-1", "bytes=50-1000", 100, { start: 50, end: 99 }],
  ["clamps a huge end to size-1", "bytes=0-99999999999999999999", 10, { start: 0, end: 9 }],
  ["reads the last byte by position", "bytes=99-99", 100, { start: 99, end: 99 }],
  ["treats a start at size as unsatisfiable", "bytes=100-200", 100, "unsatisfiable"],
  ["treats a start past size as unsatisfiable", "bytes=500-", 100, "unsatisfiable"],
  ["treats a huge start as unsatisfiable", "bytes=99999999999999999999-", 100, "unsatisfiable"],
  ["ignores a range whose end precedes its start", "bytes=20-10", 100, null],

  // bytes=a-
  ["reads bytes=0- as the whole file", "bytes=0-", 100, { start: 0, end: 99 }],
  ["reads bytes=40- as the rest of the file", "bytes=40-", 100, { start: 40, end: 99 }],

  // bytes=-n
  ["reads bytes=-10 as the last ten bytes", "bytes=-10", 100, { start: 90, end: 99 }],
  ["reads bytes=-100 as the whole file", "bytes=-100", 100, { start: 0, end: 99 }],
  ["reads a suffix longer than the file as the whole file", "bytes=-500", 100, {
    start: 0,
    end: 99,
  }],
  ["treats bytes=-0 as unsatisfiable", "bytes=-0", 100, "unsatisfiable"],

  // Empty file.
  ["treats bytes=0-0 on an empty file as unsatisfiable", "bytes=0-0", 0, "unsatisfiable"],
  ["treats bytes=0- on an empty file as unsatisfiable", "bytes=0-", 0, "unsatisfiable"],
  ["treats bytes=-5 on an empty file as unsatisfiable", "bytes=-5", 0, "unsatisfiable"],

  // Syntax tolerated.
  ["accepts the unit in any case", "Bytes=0-9", 100, { start: 0, end: 9 }],
  ["accepts an upper-case unit", "BYTES=0-9", 100, { start: 0, end: 9 }],
  ["accepts whitespace around the range", "bytes= 0-9 ", 100, { start: 0, end: 9 }],
  ["accepts leading whitespace before the unit", "  bytes=0-9", 100, { start: 0, end: 9 }],
  ["accepts empty list elements around one range", "bytes=,0-9,", 100, { start: 0, end: 9 }],
  ["accepts leading zeros", "bytes=007-010", 100, { start: 7, end: 10 }],

  // Ignored (null): malformed, other units, multiple ranges.
  ["ignores multiple ranges", "bytes=0-1,5-6", 100, null],
  ["ignores multiple ranges separated by whitespace", "bytes=0-1, -5", 100, null],
  ["ignores another unit", "items=0-1", 100, null],
  ["ignores a unit that only starts with bytes", "bytesx=0-1", 100, null],
  ["ignores a missing equals sign", "bytes 0-1", 100, null],
  ["ignores whitespace before the equals sign", "bytes =0-1", 100, null],
  ["ignores an empty range set", "bytes=", 100, null],
  ["ignores a range set of only commas", "bytes=,,", 100, null],
  ["ignores a bare dash", "bytes=-", 100, null],
  ["ignores a range without a dash", "bytes=5", 100, null],
  ["ignores letters in positions", "bytes=a-b", 100, null],
  ["ignores negative positions", "bytes=--5", 100, null],
  ["ignores a plus sign", "bytes=+1-5", 100, null],
  ["ignores decimals", "bytes=1.5-3", 100, null],
  ["ignores whitespace inside a range", "bytes=0 - 9", 100, null],
  ["ignores trailing junk", "bytes=0-9x", 100, null],
  ["ignores the empty string", "", 100, null],
  ["ignores a malformed header even on an empty file", "bytes=x", 0, null],
];

for (const [name, header, size, expected] of cases) {
  Deno.test(`parseRange() ${name} (${JSON.stringify(header)}, size ${size})`, () => {
    assertEquals(parseRange(header, size), expected);
  });
}
