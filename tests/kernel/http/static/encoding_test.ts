/**
 * Specification of `negotiateEncoding()` (Accept-Encoding with q-values).
 *
 * @module
 */
import { type Encoding, negotiateEncoding } from "../../../../kernel/http/static/encoding.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

const BOTH: readonly Encoding[] = ["br", "gzip"];
const GZIP_FIRST: readonly Encoding[] = ["gzip", "br"];
const GZIP: readonly Encoding[] = ["gzip"];
const BR: readonly Encoding[] = ["br"];
const NONE: readonly Encoding[] = [];

const cases: ReadonlyArray<
  readonly [
    name: string,
    header: string | null,
    available: readonly Encoding[],
    expected: Encoding | null,
  ]
> = [
  // Absent or empty.
  ["sends identity without a header", null, BOTH, null],
  ["sends identity for an empty header", "", BOTH, null],
  ["sends identity when no variant is available", "gzip, deflate, br, zstd", NONE, null],

  // Browser strings (fast path).
  ["picks br for Chrome's header", "gzip, deflate, br, zstd", BOTH, "br"],
  ["picks br for Firefox's header", "gzip, deflate, br", BOTH, "br"],
  ["picks gzip for Chrome's header when only gzip exists", "gzip, deflate, br, zstd", GZIP, "gzip"],
  ["picks br for Chrome's header when only br exists", "gzip, deflate, br, zstd", BR, "br"],
  ["picks gzip for a gzip-only client", "gzip, deflate", BOTH, "gzip"],
  ["sends identity to a gzip-only client when only br exists", "gzip, deflate", BR, null],
  ["picks br regardless of the order of available variants", "gzip, deflate, br", GZIP_FIRST, "br"],

  // Equal q-values.
  ["prefers br over gzip on equal q", "gzip;q=0.8, br;q=0.8", BOTH, "br"],
  ["prefers br over gzip on equal q whatever the variant order", "gzip, br", GZIP_FIRST, "br"],

  // q-values.
  ["follows a higher q for gzip", "br;q=0.5, gzip", BOTH, "gzip"],
  ["follows a higher q for br", "gzip;q=0.5, br;q=0.9", BOTH, "br"],
  ["excludes br with q=0", "br;q=0, gzip", BOTH, "gzip"],
  ["excludes gzip with q=0", "gzip;q=0", GZIP, null],
  ["excludes a coding with q=0.000", "br;q=0.000, gzip;q=0.001", BOTH, "gzip"],
  ["accepts q=1.000", "br;q=1.000", BOTH, "br"],
  ["accepts an upper-case Q", "gzip;Q=0.5, br;Q=0.4", BOTH, "gzip"],
  ["accepts whitespace around parameters", "br ; q=0.2 , gzip ; q = 0.3", BOTH, "gzip"],
  ["ignores unknown parameters", "br;level=5;q=0.1, gzip;foo=bar", BOTH, "gzip"],
  ["ignores a member with a q above 1", "br;q=1.5, gzip;q=0.5", BOTH, "gzip"],
  ["ignores a member with a malformed q", "br;q=abc, gzip;q=0.5", BOTH, "gzip"],
  ["ignores a member with more than three decimals", "br;q=0.5000, gzip;q=0.1", BOTH, "gzip"],
  ["ignores a member with a negative q", "br;q=-1, gzip;q=0.1", BOTH, "gzip"],
  ["ignores junk after a member", "br junk, gzip", BOTH, "gzip"],

  // Names.
  ["matches coding names case-insensitively", "GZIP, BR", BOTH, "br"],
  ["treats x-gzip as gzip", "x-gzip", BOTH, "gzip"],
  ["does not treat deflate as gzip", "deflate", BOTH, null],
  ["does not treat zstd as br", "zstd", BOTH, null],
  ["does not match a coding name by prefix", "gzipx, brotli", BOTH, null],

  // Wildcard.
  ["accepts any coding with *", "*", BOTH, "br"],
  ["accepts gzip with * when only gzip exists", "*", GZIP, "gzip"],
  ["lets an explicit q override *", "*;q=0.5, br;q=0.1", BOTH, "gzip"],
  ["lets * exclude unlisted codings", "*;q=0, gzip", BOTH, "gzip"],
  ["sends identity when * excludes everything", "*;q=0", BOTH, null],
  ["lets an explicit br beat * for gzip", "br, *;q=0.1", BOTH, "br"],

  // identity.
  ["prefers a listed identity with a higher q", "gzip;q=0.5, identity", BOTH, null],
  ["prefers compression over identity on equal q", "identity, gzip", BOTH, "gzip"],
  ["prefers compression when identity is excluded", "identity;q=0, br;q=0.1", BOTH, "br"],
  ["sends identity when only identity is listed", "identity", BOTH, null],
  ["sends identity when identity and all codings are excluded", "identity;q=0, *;q=0", BOTH, null],
];

for (const [name, header, available, expected] of cases) {
  Deno.test(
    `negotiateEncoding() ${name} (${JSON.stringify(header)}, [${available.join(", ")}])`,
    () => {
      assertEquals(negotiateEncoding(header, available), expected);
    },
  );
}

Deno.test("negotiateEncoding() fast path agrees with the full parser", () => {
  // Adding harmless whitespace defeats the exact-string fast path.
  for (const header of ["gzip, deflate, br, zstd", "gzip, deflate, br", "gzip, deflate", "gzip"]) {
    for (const available of [BOTH, GZIP, BR, NONE]) {
      assertEquals(
        negotiateEncoding(header + " ", available),
        negotiateEncoding(header, available),
      );
    }
  }
});
