/**
 * Apps cannot set cookies named like fazt's, or with a `Domain` that would
 * reach other apps or the admin host: such `Set-Cookie` headers are removed
 * from the app's response and the app's log says why.
 */
import assert from "node:assert/strict";
import { dropRefusedCookies, refusedCookie } from "../../../kernel/http/app_cookies.ts";
import { withKernel } from "../../_helpers/kernel.ts";

Deno.test("refusedCookie: fazt's names and foreign Domains are refused, the app's own cookies pass", () => {
  const host = "blog.example.com";
  const cases: [string, boolean][] = [
    ["theme=dark; Path=/; HttpOnly", false],
    ["__Host-sid=1; Path=/; Secure", false],
    [`sid=1; Domain=${host}`, false],
    [`sid=1; Domain=.${host}; Path=/`, false],
    ["fazt_session=x; Path=/_fazt", true],
    ["FAZT_SESSION=x", true],
    ["__Host-fazt_session=x; Path=/; Secure", true],
    ["__Secure-fazt=x; Secure", true],
    ["faztanything=x", true],
    ["sid=1; Domain=example.com", true],
    ["sid=1; domain=.example.com; Path=/_fazt", true],
    ["sid=1; Path=/; DOMAIN=admin.example.com", true],
    ["sid=1; Domain=com", true],
  ];
  for (const [cookie, refused] of cases) {
    assert.equal(refusedCookie(cookie, host) !== null, refused, cookie);
  }
});

Deno.test("dropRefusedCookies keeps the allowed cookies in order and leaves other headers alone", () => {
  const headers = new Headers([
    ["content-type", "text/plain"],
    ["set-cookie", "a=1"],
    ["set-cookie", "fazt_session=evil; Path=/_fazt"],
    ["set-cookie", "b=2; Domain=example.com"],
    ["set-cookie", "c=3"],
  ]);
  const notes = dropRefusedCookies(headers, "blog.example.com");
  assert.equal(notes.length, 2);
  assert.deepEqual(headers.getSetCookie(), ["a=1", "c=3"]);
  assert.equal(headers.get("content-type"), "text/plain");
  const untouched = new Headers([["set-cookie", "a=1"]]);
  assert.deepEqual(dropRefusedCookies(untouched, "blog.example.com"), []);
  assert.deepEqual(untouched.getSetCookie(), ["a=1"]);
});

Deno.test("an app's /api response loses the cookies it may not set, and its log says so", async () => {
  await withKernel(async (t) => {
    const deployed = await t.deploy("shop", {
      "api/main.js": `export default () => {
  const headers = new Headers();
  headers.append("set-cookie", "cart=1; Path=/");
  headers.append("set-cookie", "fazt_session=forged; Path=/_fazt");
  headers.append("set-cookie", "track=1; Domain=localhost; Path=/");
  return new Response("ok", { headers });
};
`,
    });
    assert.equal(deployed.status, 200);
    const res = await t.get("shop.localhost", "/api/x");
    assert.equal(await res.text(), "ok");
    assert.deepEqual(res.headers.getSetCookie(), ["cart=1; Path=/"]);
    await t.kernel.flush();
    const logs = await t.api("GET", "/apps/shop/logs");
    const text = (await logs.json() as { message: string }[]).map((l) => l.message).join("\n");
    assert.match(text, /removed a Set-Cookie.*"fazt_session" is reserved/);
    assert.match(text, /removed a Set-Cookie.*Domain=localhost would reach other hosts/);
  }, { apiTimeoutMs: 5_000 });
});
