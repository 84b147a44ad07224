import assert from "node:assert/strict";
import { compareVersions } from "../../../../kernel/services/upgrade/upgrader.ts";

Deno.test("versions compare part by part, a pre-release before its release", () => {
  assert.equal(compareVersions("0.10.0", "0.9.1"), 1);
  assert.equal(compareVersions("0.9.1", "0.10.0"), -1);
  assert.equal(compareVersions("1.0.0", "1.0"), 0);
  assert.equal(compareVersions("1.0.0-rc1", "1.0.0"), -1);
  assert.equal(compareVersions("1.0.0", "1.0.0-rc1"), 1);
  assert.equal(compareVersions("1.0.0-rc2", "1.0.0-rc1"), 1);
});
