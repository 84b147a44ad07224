/** An app version's code as the runtime loads it: code files only, its entry, a size cap, cached. */
import assert from "node:assert/strict";
import { createAppCodeReader } from "../../../../kernel/services/vfs/app_code.ts";
import { withKernel } from "../../../_helpers/kernel.ts";

Deno.test("the code reader returns the version's code files and entry, and refuses a version without one", async () => {
  await withKernel(async (t) => {
    const deployed = await t.deploy("coded", {
      "index.html": "<h1>page</h1>",
      "api/main.js": "export default () => 'hi';",
      "api/lib.ts": "export const x = 1;",
      "api/data.json": "{}",
      "logo.png": new Uint8Array([137, 80, 78, 71]),
    });
    assert.equal(deployed.status, 200);
    const staticOnly = await t.deploy("plain", { "index.html": "<p>no code</p>" });
    assert.equal(staticOnly.status, 200);
    const read = createAppCodeReader(t.kernel.db.read);
    const version = (name: string) =>
      (t.kernel.db.read.prepare(
        "SELECT live_version_id AS v FROM apps WHERE name = ?",
      ).get(name) as { v: number }).v;
    const code = read(version("coded"));
    assert.equal(code.entry, "api/main.js");
    assert.deepEqual(Object.keys(code.files).sort(), [
      "api/data.json",
      "api/lib.ts",
      "api/main.js",
    ]);
    assert.equal(read(version("coded")), code, "cached per version");
    assert.throws(() => read(version("plain")), /no api\/main\.js/);
  });
});
