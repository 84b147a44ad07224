/**
 * The capability registry (kernel/capabilities/registry.ts) is one
 * consistent list: every name is unique and says where it lives
 * (`<group>.<function>` for `fazt.*`, a bare name for the sandbox's own
 * plumbing), every argument is named, optional arguments come last, and the
 * names sent to sandboxes are exactly the groups' capabilities.
 */
import assert from "node:assert/strict";
import type { z } from "zod";
import { argName, PERMISSIONS } from "../../../kernel/capabilities/capability.ts";
import {
  CAPABILITIES,
  CAPABILITY_GROUPS,
  FAZT_CAPABILITY_NAMES,
  INTERNAL_CAPABILITIES,
} from "../../../kernel/capabilities/registry.ts";

/** The names the sandbox makes `fazt.<group>.<function>` of (runtime/child/main.ts). */
const FAZT_NAME = /^([a-z][A-Za-z0-9]*)\.([a-z][A-Za-z0-9]*)$/;

Deno.test("names are unique; group capabilities are <group>.<function>, internal ones bare", () => {
  const names = CAPABILITIES.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, "no name twice");
  const groups = CAPABILITY_GROUPS.map((g) => g.name);
  assert.equal(new Set(groups).size, groups.length);
  assert.ok(!groups.includes("app"), "fazt.app is the app's identity, not a group");
  for (const group of CAPABILITY_GROUPS) {
    assert.ok(group.capabilities.length > 0, group.name);
    for (const c of group.capabilities) {
      const parts = FAZT_NAME.exec(c.name);
      assert.ok(parts, `${c.name} is <group>.<function>`);
      assert.equal(parts[1], group.name, `${c.name} is in group ${group.name}`);
      assert.notEqual(c.internal, true, `${c.name} is offered as fazt.*`);
    }
  }
  for (const c of INTERNAL_CAPABILITIES) {
    assert.equal(c.internal, true, c.name);
    assert.match(c.name, /^[a-z]+$/);
  }
  assert.deepEqual(
    [...FAZT_CAPABILITY_NAMES],
    CAPABILITY_GROUPS.flatMap((g) => g.capabilities.map((c) => c.name)),
  );
});

Deno.test("every capability has a summary, a known permission, and named arguments, optional ones last", () => {
  for (const c of CAPABILITIES) {
    assert.match(c.summary, /^[A-Z`].*\.$/s, `${c.name}: a sentence`);
    assert.ok(c.permission in PERMISSIONS, `${c.name}: ${c.permission}`);
    assert.equal(typeof c.writes, "boolean");
    const items = (c.args as z.ZodTuple).def.items as readonly z.ZodType[];
    const names = items.map((item) => argName(item));
    assert.ok(names.every((n) => typeof n === "string"), `${c.name}: every argument is named`);
    assert.equal(new Set(names).size, names.length, `${c.name}: argument names are unique`);
    const optional = items.map((item) => item.safeParse(undefined).success);
    const firstOptional = optional.indexOf(true);
    if (firstOptional >= 0) {
      assert.ok(optional.slice(firstOptional).every(Boolean), `${c.name}: optional arguments last`);
    }
  }
});

Deno.test("writes and permissions are declared as the data they guard", () => {
  const writes = CAPABILITIES.filter((c) => c.writes).map((c) => c.name);
  for (const name of writes) {
    const c = CAPABILITIES.find((x) => x.name === name)!;
    assert.equal(c.permission, "data", `${name} writes app data`);
  }
  const byPermission = (p: string) =>
    CAPABILITIES.filter((c) => c.permission === p).map((c) => c.name).sort();
  assert.deepEqual(byPermission("secrets"), ["env.get"]);
  assert.deepEqual(byPermission("network"), ["fetch"]);
  assert.deepEqual(byPermission("stdlib"), ["stdlib"]);
});
