/**
 * The logo check: plain drawings pass; scripts, event handlers, embedded
 * content, outside references, entities and oversized files are refused
 * with a reason naming what and where.
 */
import assert from "node:assert/strict";
import { LOGO_MAX_BYTES, logoProblem, logoSizeProblem } from "../../apps/logo.ts";

const enc = (text: string) => new TextEncoder().encode(text);

/** A plain logo: shapes, a gradient referenced by #id, inline style. */
const PLAIN_LOGO = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 512 512" width="512" height="512">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#f80"/><stop offset="1" stop-color="#c30"/></linearGradient></defs>
  <rect width="512" height="512" rx="96" fill="url(#g)" style="opacity: .9"/>
  <use xlink:href="#g"/>
  <circle cx="256" cy="256" r="120" fill="#fff"/>
</svg>
`;

Deno.test("logoProblem: a plain drawing passes", () => {
  assert.equal(logoProblem(enc(PLAIN_LOGO)), undefined);
});

Deno.test("logoProblem: anything that could run, load or embed is refused, naming it", () => {
  const cases: [string, RegExp][] = [
    ["<svg><script>alert(1)</script></svg>", /a <script> element \(line 1\)/],
    ['<svg>\n<SCRIPT href="x.js"/></svg>', /a <script> element \(line 2\)/],
    ['<svg onload="alert(1)"></svg>', /an event handler attribute/],
    ['<svg><rect\nonclick = "x()"/></svg>', /an event handler attribute/],
    ['<svg><image href="https://evil.example/x.png"/></svg>', /a link to something outside/],
    ['<svg><use xlink:href="other.svg#a"/></svg>', /a link to something outside/],
    ['<svg><a href="javascript:alert(1)"><rect/></a></svg>', /a javascript: URL/],
    ["<svg><foreignObject><div/></foreignObject></svg>", /a <foreignObject> element/],
    ['<svg><rect fill="url(https://evil.example/p)"/></svg>', /a url\(…\) outside the file/],
    ["<svg><style>@import 'https://evil.example/s.css';</style></svg>", /a CSS @import/],
    ['<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', /a DOCTYPE or entity/],
    ['<?xml-stylesheet href="s.css"?><svg/>', /a style sheet processing instruction/],
    ["<svg><iframe/></svg>", /embedded content/],
    ['<svg><set attributeName="href" to="#x"/></svg>', /an animated link/],
  ];
  for (const [svg, reason] of cases) {
    const problem = logoProblem(enc(svg));
    assert.ok(problem, `accepted: ${svg}`);
    assert.match(problem, reason, svg);
    assert.match(problem, /^logo\.svg holds .* plain drawings/, svg);
  }
});

Deno.test("logoProblem: not an SVG, not UTF-8, or larger than 64 KiB", () => {
  assert.match(logoProblem(enc("<html></html>"))!, /has no <svg> element/);
  assert.match(logoProblem(new Uint8Array([0x3c, 0xff, 0xfe]))!, /is not UTF-8 text/);
  const big = enc(`<svg>${" ".repeat(LOGO_MAX_BYTES)}</svg>`);
  assert.match(logoProblem(big)!, /at most 64 KiB \(65,536 bytes\)/);
  assert.equal(logoSizeProblem(LOGO_MAX_BYTES), undefined);
  assert.match(logoSizeProblem(LOGO_MAX_BYTES + 1)!, /is 65,537 bytes/);
});
