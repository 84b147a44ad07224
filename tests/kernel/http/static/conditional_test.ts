/**
 * Specification of the conditional-request validators: `ifMatchAllows()`,
 * `unmodifiedSince()`, `ifNoneMatchHits()`, `notModifiedSince()`, `ifRangeAllows()`, `httpDate()` and `parseHttpDate()`.
 *
 * @module
 */
import {
  httpDate,
  ifMatchAllows,
  ifNoneMatchHits,
  ifRangeAllows,
  notModifiedSince,
  parseHttpDate,
  unmodifiedSince,
} from "../../../../kernel/http/static/conditional.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

const STRONG = '"abc123"';
const WEAK = 'W/"abc123"';

const ifNoneMatch: ReadonlyArray<
  readonly [name: string, header: string | null, etag: string, expected: boolean]
> = [
  ["misses without a header", null, STRONG, false],
  ["hits the identical strong tag", '"abc123"', STRONG, true],
  ["misses a different tag", '"xyz"', STRONG, false],
  ["hits a weak header tag against a strong etag", 'W/"abc123"', STRONG, true],
  ["hits a strong header tag against a weak etag", '"abc123"', WEAK, true],
  ["hits a weak header tag against a weak etag", 'W/"abc123"', WEAK, true],
  ["hits * for any etag", "*", STRONG, true],
  ["hits * surrounded by whitespace", " * ", WEAK, true],
  ["hits a tag later in a list", '"a", "b", "abc123"', STRONG, true],
  ["hits a tag in a list without spaces", '"a","abc123","b"', STRONG, true],
  ["hits a weak tag in a mixed list", '"a", W/"abc123"', STRONG, true],
  ["misses when no tag in the list matches", '"a", W/"b", "c"', STRONG, false],
  ["misses a tag that merely starts with the etag", '"abc1234"', STRONG, false],
  ["misses a tag that merely ends with the etag", '"0abc123"', STRONG, false],
  ["misses an unquoted tag", "abc123", STRONG, false],
  ["skips a malformed member and still hits a later one", 'abc, "abc123"', STRONG, true],
  ["compares tags case-sensitively", '"ABC123"', STRONG, false],
  ["handles commas inside a quoted tag", '"a,b", "abc123"', STRONG, true],
  ["matches a tag that contains a comma", '"x", "a,b"', '"a,b"', true],
  ["misses on an unterminated quote", '"abc123', STRONG, false],
  ["misses on the empty string", "", STRONG, false],
  ["does not treat lower-case w/ as a weak prefix", 'w/"abc123"', STRONG, false],
];

for (const [name, header, etag, expected] of ifNoneMatch) {
  Deno.test(`ifNoneMatchHits() ${name} (${JSON.stringify(header)} vs ${etag})`, () => {
    assertEquals(ifNoneMatchHits(header, etag), expected);
  });
}

// 2024-03-01T12:34:56.789Z
const MODIFIED = Date.UTC(2024, 2, 1, 12, 34, 56, 789);
const MODIFIED_DATE = "Fri, 01 Mar 2024 12:34:56 GMT";

const sinceCases: ReadonlyArray<
  readonly [name: string, header: string | null, lastModified: number, expected: boolean]
> = [
  ["is false without a header", null, MODIFIED, false],
  [
    "is true for the exact last-modified second (milliseconds dropped)",
    MODIFIED_DATE,
    MODIFIED,
    true,
  ],
  ["is true for a later date", "Sat, 02 Mar 2024 00:00:00 GMT", MODIFIED, true],
  ["is false for an earlier second", "Fri, 01 Mar 2024 12:34:55 GMT", MODIFIED, false],
  ["is false for an earlier year", "Wed, 01 Mar 2023 12:34:56 GMT", MODIFIED, false],
  ["accepts the obsolete RFC 850 format", "Friday, 01-Mar-24 12:34:56 GMT", MODIFIED, true],
  ["accepts the obsolete asctime format", "Fri Mar  1 12:34:56 2024", MODIFIED, true],
  ["is false for an invalid date", "not a date", MODIFIED, false],
  ["is false for a bare number that Date.parse would accept", "1", MODIFIED, false],
  ["is false for an ISO 8601 date", "2024-03-01T12:34:56Z", MODIFIED, false],
  ["is false for a date without GMT", "Fri, 01 Mar 2024 12:34:56 UTC", MODIFIED, false],
  ["is false for an impossible day", "Fri, 31 Feb 2024 12:34:56 GMT", MODIFIED, false],
  ["is false for an impossible hour", "Fri, 01 Mar 2024 24:00:00 GMT", MODIFIED, false],
  ["is false for the empty string", "", MODIFIED, false],
];

for (const [name, header, lastModified, expected] of sinceCases) {
  Deno.test(`notModifiedSince() ${name} (${JSON.stringify(header)})`, () => {
    assertEquals(notModifiedSince(header, lastModified), expected);
  });
}

const ifMatch: ReadonlyArray<
  readonly [name: string, header: string | null, etag: string, expected: boolean]
> = [
  ["allows without a header", null, STRONG, true],
  ["allows the identical strong tag", '"abc123"', STRONG, true],
  ["refuses a different tag", '"xyz"', STRONG, false],
  ["refuses a weak header tag (strong comparison)", 'W/"abc123"', STRONG, false],
  ["refuses anything for a weak etag but *", '"abc123"', WEAK, false],
  ["allows * for a current representation", "*", STRONG, true],
  ["allows * surrounded by whitespace", " * ", STRONG, true],
  ["allows a tag later in a list", '"a", W/"abc123", "abc123"', STRONG, true],
  ["allows a tag in a list without spaces", '"a","abc123"', STRONG, true],
  ["refuses when no tag in the list matches", '"a", W/"abc123", "c"', STRONG, false],
  ["refuses a tag that merely starts with the etag", '"abc1234"', STRONG, false],
  ["refuses an unquoted tag", "abc123", STRONG, false],
  ["refuses an unterminated tag", '"abc123', STRONG, false],
  ["refuses the empty string", "", STRONG, false],
];

for (const [name, header, etag, expected] of ifMatch) {
  Deno.test(`ifMatchAllows() ${name} (${JSON.stringify(header)})`, () => {
    assertEquals(ifMatchAllows(header, etag), expected);
  });
}

const unmodifiedCases: ReadonlyArray<
  readonly [name: string, header: string | null, expected: boolean]
> = [
  ["allows without a header", null, true],
  ["allows the exact last-modified second (milliseconds dropped)", MODIFIED_DATE, true],
  ["allows a later date", "Sat, 02 Mar 2024 00:00:00 GMT", true],
  ["refuses an earlier second", "Fri, 01 Mar 2024 12:34:55 GMT", false],
  ["accepts the obsolete RFC 850 format", "Friday, 01-Mar-24 12:34:55 GMT", false],
  ["ignores an invalid date", "not a date", true],
  ["ignores an ISO 8601 date", "2020-01-01T00:00:00Z", true],
];

for (const [name, header, expected] of unmodifiedCases) {
  Deno.test(`unmodifiedSince() ${name} (${JSON.stringify(header)})`, () => {
    assertEquals(unmodifiedSince(header, MODIFIED), expected);
  });
}

const ifRangeCases: ReadonlyArray<
  readonly [
    name: string,
    header: string | null,
    etag: string,
    lastModified: number,
    expected: boolean,
  ]
> = [
  ["allows the range without a header", null, STRONG, MODIFIED, true],
  ["allows the range for the identical strong tag", '"abc123"', STRONG, MODIFIED, true],
  [
    "allows the range for the tag with surrounding whitespace",
    ' "abc123" ',
    STRONG,
    MODIFIED,
    true,
  ],
  ["refuses a different strong tag", '"other"', STRONG, MODIFIED, false],
  ["refuses a weak header tag (strong comparison)", 'W/"abc123"', STRONG, MODIFIED, false],
  ["refuses any tag when our etag is weak", '"abc123"', WEAK, MODIFIED, false],
  ["refuses a weak tag against a weak etag", 'W/"abc123"', WEAK, MODIFIED, false],
  ["refuses a list of tags", '"abc123", "x"', STRONG, MODIFIED, false],
  ["refuses *", "*", STRONG, MODIFIED, false],
  ["allows the range for the exact last-modified date", MODIFIED_DATE, STRONG, MODIFIED, true],
  ["allows the range for the exact date with a weak etag", MODIFIED_DATE, WEAK, MODIFIED, true],
  [
    "refuses a later date (must be exact)",
    "Fri, 01 Mar 2024 12:34:57 GMT",
    STRONG,
    MODIFIED,
    false,
  ],
  ["refuses an earlier date", "Fri, 01 Mar 2024 12:34:55 GMT", STRONG, MODIFIED, false],
  ["refuses an invalid date", "yesterday", STRONG, MODIFIED, false],
  ["refuses the empty string", "", STRONG, MODIFIED, false],
];

for (const [name, header, etag, lastModified, expected] of ifRangeCases) {
  Deno.test(`ifRangeAllows() ${name} (${JSON.stringify(header)} vs ${etag})`, () => {
    assertEquals(ifRangeAllows(header, etag, lastModified), expected);
  });
}

const dates: readonly number[] = [
  0,
  MODIFIED,
  Date.UTC(1994, 10, 6, 8, 49, 37),
  Date.UTC(2000, 1, 29, 23, 59, 59, 999),
  Date.UTC(2038, 0, 19, 3, 14, 8),
  Date.UTC(9999, 11, 31, 23, 59, 59),
];

for (const ms of dates) {
  Deno.test(`httpDate() formats ${new Date(ms).toISOString()} like toUTCString()`, () => {
    assertEquals(httpDate(ms), new Date(ms).toUTCString());
    assertEquals(httpDate(ms), new Date(ms).toUTCString()); // cached path
  });
}

Deno.test("httpDate() produces the IMF-fixdate of RFC 9110", () => {
  assertEquals(httpDate(Date.UTC(1994, 10, 6, 8, 49, 37)), "Sun, 06 Nov 1994 08:49:37 GMT");
});

Deno.test("httpDate() does not return a stale cached value for a different second", () => {
  assertEquals(httpDate(1_000), "Thu, 01 Jan 1970 00:00:01 GMT");
  assertEquals(httpDate(1_999), "Thu, 01 Jan 1970 00:00:01 GMT");
  assertEquals(httpDate(2_000), "Thu, 01 Jan 1970 00:00:02 GMT");
});

Deno.test("httpDate() round-trips through parseHttpDate() at second precision", () => {
  for (const ms of dates) {
    assertEquals(parseHttpDate(httpDate(ms)), Math.floor(ms / 1000) * 1000);
  }
});

const parseCases: ReadonlyArray<readonly [header: string, expected: number | null]> = [
  ["Sun, 06 Nov 1994 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 37)],
  ["Sunday, 06-Nov-94 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 37)],
  ["Sun Nov  6 08:49:37 1994", Date.UTC(1994, 10, 6, 8, 49, 37)],
  ["Sun Nov 16 08:49:37 1994", Date.UTC(1994, 10, 16, 8, 49, 37)],
  ["Thursday, 01-Jan-26 00:00:00 GMT", Date.UTC(2026, 0, 1)],
  ["sun, 06 nov 1994 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 37)],
  ["Thu, 29 Feb 2024 00:00:00 GMT", Date.UTC(2024, 1, 29)],
  ["Sat, 01 Jan 0050 00:00:00 GMT", new Date(0).setUTCFullYear(50, 0, 1)],
  ["Thu, 29 Feb 2023 00:00:00 GMT", null],
  ["Sun, 06 Foo 1994 08:49:37 GMT", null],
  ["Xyz, 06 Nov 1994 08:49:37 GMT", null],
  ["Sun, 06 Nov 1994 08:49:37 gmt", null],
  ["Sun, 6 Nov 1994 08:49:37 GMT", null],
  ["Sun, 06 Nov 1994 08:60:37 GMT", null],
  ["Sun, 06 Nov 1994 08-49-37 GMT", null],
  ["Sunday, 06-Nov-1994 08:49:37 GMT", null],
  ["Sundae, 06-Nov-94 08:49:37 GMT", null],
  ["Sun Nov 6 08:49:37 1994", null],
  ["Sun, 06 Nov 1994 08:49:37 GMT ", null],
  ["1994-11-06", null],
];

for (const [header, expected] of parseCases) {
  Deno.test(`parseHttpDate() reads ${JSON.stringify(header)} as ${expected}`, () => {
    assertEquals(parseHttpDate(header), expected);
  });
}
