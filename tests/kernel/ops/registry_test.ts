import assert from "node:assert/strict";
import { z } from "zod";
import { OPERATIONS } from "../../../kernel/ops/registry.ts";
import { topHelp } from "../../../kernel/cli/cli.ts";
import { inputFields } from "../../../kernel/cli/fields.ts";
import { withKernel } from "../../_helpers/kernel.ts";

Deno.test("every operation has a unique name, REST route and CLI command", () => {
  const names = new Set<string>();
  const routes = new Set<string>();
  const commands = new Set<string>();
  for (const op of OPERATIONS) {
    assert.match(op.name, /^[a-z]+\.[a-z_]+$/, op.name);
    assert.ok(!names.has(op.name), `duplicate operation ${op.name}`);
    names.add(op.name);
    const route = `${op.http.method} ${op.http.path}`;
    assert.ok(!routes.has(route), `duplicate route ${route}`);
    routes.add(route);
    const words = op.cli.words.join(" ");
    assert.ok(!commands.has(words), `duplicate command ${words}`);
    commands.add(words);
    assert.ok(op.summary.length > 0 && op.description.length > 0, `${op.name} needs help text`);
    assert.ok(op.input instanceof z.ZodObject, `${op.name} input must be an object schema`);
  }
});

Deno.test("every path parameter and CLI positional names an input field", () => {
  for (const op of OPERATIONS) {
    const fields = new Set(inputFields(op).map((f) => f.name));
    for (const [, param] of op.http.path.matchAll(/\{(\w+)\}/g)) {
      assert.ok(fields.has(param), `${op.name}: path parameter {${param}} is not an input field`);
    }
    for (const p of op.cli.positionals ?? []) {
      assert.ok(fields.has(p), `${op.name}: positional ${p} is not an input field`);
    }
    if (op.appField) assert.ok(fields.has(op.appField), `${op.name}: appField ${op.appField}`);
  }
});

Deno.test("every operation is listed in the CLI help", () => {
  const help = topHelp();
  for (const op of OPERATIONS) assert.ok(help.includes(op.cli.words.join(" ")), op.name);
});

Deno.test("every operation answers on its REST route (401 without credentials unless public)", async () => {
  await withKernel(async (t) => {
    for (const op of OPERATIONS) {
      const path = op.http.path.replace(/\{\w+\}/g, "x");
      const res = await t.api(op.http.method, path, { token: null });
      await res.body?.cancel();
      if (op.access === "public") {
        assert.ok([200, 201, 400].includes(res.status), `${op.name} answered ${res.status}`);
      } else assert.equal(res.status, 401, `${op.name} answered ${res.status} without a token`);
    }
  });
});
