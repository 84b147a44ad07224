/**
 * The session cookie must never reach an app: apps run code and serve
 * untrusted pages on `<name>.<domain>`. This drives a real RFC 6265 cookie
 * jar (tough-cookie) with the Set-Cookie header fazt sends at login.
 */
import assert from "node:assert/strict";
import { CookieJar } from "tough-cookie";
import { withKernel } from "../../../_helpers/kernel.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "correct horse battery";

Deno.test("the session cookie is sent back to the primary host's /_fazt only, never to app hosts", async () => {
  await withKernel(async (t) => {
    const token = await t.kernel.services.owners.issueSetupToken(60_000);
    const res = await t.kernel.handler(
      new Request("http://localhost:4698/_fazt/api/auth/setup", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://localhost:4698" },
        body: JSON.stringify({ token, email: EMAIL, password: PASSWORD }),
      }),
    );
    assert.equal(res.status, 201, await res.clone().text());
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("fazt_session="));
    assert.ok(setCookie, "setup sets the session cookie");
    await res.body?.cancel();

    const jar = new CookieJar();
    await jar.setCookie(setCookie, "http://localhost:4698/_fazt/api/auth/setup");
    const sent = (url: string) => jar.getCookieString(url);

    assert.match(await sent("http://localhost:4698/_fazt/api/apps"), /^fazt_session=/);
    assert.match(await sent("http://localhost:4698/_fazt/"), /^fazt_session=/);
    for (
      const url of [
        "http://blog.localhost:4698/",
        "http://blog.localhost:4698/_fazt/api/apps",
        "http://evil.localhost:4698/api/steal",
        "http://localhost:4698/",
        "http://localhost:4698/api/x",
        "https://blog.localhost/_fazt/",
      ]
    ) {
      assert.equal(await sent(url), "", `the cookie would be sent to ${url}`);
    }
  });
});
