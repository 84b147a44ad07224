import assert from "node:assert/strict";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  canonicalDomain,
  checkCustomDomain,
  isCustomDomain,
} from "../../../../kernel/services/routing/custom_domain.ts";

const PRIMARY = "example.com";

Deno.test("checkCustomDomain accepts full names outside the primary domain, in canonical form", () => {
  const cases: [string, string][] = [
    ["shop.example.org", "shop.example.org"],
    ["Shop.Example.ORG", "shop.example.org"],
    ["shop.example.org.", "shop.example.org"],
    ["example.org", "example.org"],
    ["a.b", "a.b"],
    ["my-shop.co.uk", "my-shop.co.uk"],
    ["1password.example.net", "1password.example.net"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["XN--BCHER-KVA.example", "xn--bcher-kva.example"],
    ["ab--cd.example.org", "ab--cd.example.org"],
    // A parent of the primary domain and a look-alike are not under it.
    ["com.example.org", "com.example.org"],
    ["notexample.com", "notexample.com"],
    ["example.com.evil.org", "example.com.evil.org"],
    [`${"a".repeat(63)}.example.org`, `${"a".repeat(63)}.example.org`],
    [`${"a.".repeat(125)}abc`, `${"a.".repeat(125)}abc`], // 253 characters, the most
    [`${"a.".repeat(125)}abc.`, `${"a.".repeat(125)}abc`],
  ];
  for (const [raw, stored] of cases) {
    assert.equal(checkCustomDomain(raw, PRIMARY), stored, raw);
  }
  assert.equal(`${"a.".repeat(125)}abc`.length, 253);
});

Deno.test("checkCustomDomain refuses every other name with invalid_input naming the rule", () => {
  const cases: [string, RegExp][] = [
    ["", /give a domain name/],
    ["   ", /give a domain name/],
    ["shop", /at least one dot.*fazt route add shop <app>/],
    ["bücher.example", /ASCII \(punycode\) form: "xn--bcher-kva\.example"/],
    ["shop.exämple.org", /punycode/],
    ["xn--zz.example", /not valid punycode/],
    ["xn--cafe-yvc.com", /not valid punycode/], // decodes to a name that is not NFC
    ["shop..example.org", /empty label/],
    [".shop.example.org", /empty label/],
    ["shop.example.org..", /empty label/],
    [`${"a".repeat(64)}.example.org`, /64 characters long; each part between dots has at most 63/],
    [`${"a.".repeat(127)}io`, /256 characters long; a domain name has at most 253/],
    ["-shop.example.org", /"-shop" starts or ends with a hyphen/],
    ["shop-.example.org", /"shop-" starts or ends with a hyphen/],
    ["shop_1.example.org", /"shop_1" holds characters other than letters, digits and hyphens/],
    ["shop example.org", /holds characters other than/],
    ["shop.example.org:8080", /holds characters other than/],
    ["https://shop.example.org", /holds characters other than/],
    ["*.example.org", /holds characters other than/],
    ["203.0.113.5", /IP address/],
    ["0x7f.0.0.1", /IP address/],
    ["1.0x7f", /IP address/],
    ["[::1]", /at least one dot/],
    ["[::1].example", /holds characters other than/],
    ["localhost", /at least one dot/],
    ["app.localhost", /localhost names always point at the visitor's own machine/],
    ["example.com", /the primary domain.*fazt route add @ <app>/],
    ["EXAMPLE.COM.", /the primary domain/],
    ["admin.example.com", /"admin" under the primary domain is kept for fazt itself/],
    ["www.example.com", /"www" under the primary domain is kept for fazt itself/],
    ["blog.example.com", /under the primary domain.*fazt route add blog <app>/],
    ["a.b.example.com", /under the primary domain example\.com, whose subdomains/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(
      () => checkCustomDomain(raw, PRIMARY),
      (err) => {
        assert.ok(err instanceof FaztError, raw);
        assert.equal(err.code, "invalid_input", raw);
        assert.match(err.message, /cannot be a custom domain/, raw);
        assert.match(err.message, message, raw);
        return true;
      },
      raw,
    );
  }
});

Deno.test("custom domains are told from aliases and @ by their dot, and stored canonically", () => {
  assert.equal(isCustomDomain("shop.example.org"), true);
  assert.equal(isCustomDomain("blog"), false);
  assert.equal(isCustomDomain("@"), false);
  assert.equal(canonicalDomain("Shop.Example.Org."), "shop.example.org");
});
