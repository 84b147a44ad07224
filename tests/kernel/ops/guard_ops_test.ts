/**
 * The breaker operations over REST: an app's egress limit is set with a
 * number of MB and removed only by an explicit `null`; a missing field, an
 * empty or whitespace body, or a number out of bounds changes nothing.
 */
import assert from "node:assert/strict";
import { type TestKernel, withKernel } from "../../_helpers/kernel.ts";

const MB = 1024 * 1024;

async function limitOf(t: TestKernel): Promise<number | null> {
  const res = await t.api("GET", "/apps/demo/egress");
  assert.equal(res.status, 200);
  return ((await res.json()) as { limitBytes: number | null }).limitBytes;
}

Deno.test("apps.set_egress_limit: a number sets the limit and only null removes it", async () => {
  await withKernel(async (t) => {
    assert.equal((await t.deploy("demo", { "index.html": "hi" })).status, 200);
    const set = await t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: 5 } });
    assert.equal(set.status, 200);
    assert.equal(await limitOf(t), 5 * MB);

    const refused: [string, () => Promise<Response>, string][] = [
      ["no body", () => t.api("PUT", "/apps/demo/egress-limit"), "invalid_input"],
      [
        "an empty object",
        () => t.api("PUT", "/apps/demo/egress-limit", { body: {} }),
        "invalid_input",
      ],
      [
        "a body of whitespace",
        () =>
          t.api("PUT", "/apps/demo/egress-limit", {
            raw: { body: "  \n", type: "application/json" },
          }),
        "invalid_json",
      ],
      [
        "zero",
        () => t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: 0 } }),
        "invalid_input",
      ],
      [
        "a fraction",
        () => t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: 1.5 } }),
        "invalid_input",
      ],
      [
        "a huge number",
        () => t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: 1e300 } }),
        "invalid_input",
      ],
      [
        "a number as text",
        () => t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: "5" } }),
        "invalid_input",
      ],
      [
        "true",
        () => t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: true } }),
        "invalid_input",
      ],
    ];
    for (const [name, send, code] of refused) {
      const res = await send();
      assert.equal(res.status, 400, name);
      const body = await res.json();
      assert.equal(body.error.code, code, name);
      assert.equal(await limitOf(t), 5 * MB, `${name} left the limit alone`);
    }
    const missing = await (await t.api("PUT", "/apps/demo/egress-limit", { body: {} })).json();
    assert.match(missing.error.message, /limitMb.*null to remove/);

    const cleared = await t.api("PUT", "/apps/demo/egress-limit", { body: { limitMb: null } });
    assert.equal(cleared.status, 200);
    assert.equal(await limitOf(t), null);
  });
});
