import assert from "node:assert/strict";
import { z } from "zod";
import { OPERATIONS } from "../../../kernel/ops/registry.ts";
import { runCli, topHelp } from "../../../kernel/cli/cli.ts";
import { buildOpenApi } from "../../../kernel/http/rest/openapi.ts";
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

/** A size in decimal units (`MB`, `10 KB`): fazt writes sizes in binary units, `MiB`. */
const DECIMAL_UNIT = /\b[KMGTP]B\b/;

Deno.test("no operation, CLI help or app API text gives a size in decimal units (MB): MiB everywhere", async () => {
  const openapi = JSON.stringify(buildOpenApi(OPERATIONS, { version: "test" }));
  assert.doesNotMatch(openapi, DECIMAL_UNIT, `OpenAPI: ${openapi.match(/.{80}\b[KMGTP]B\b.{20}/)}`);
  const texts: [string, string][] = [["fazt --help", topHelp()]];
  const commands = [["serve"], ...OPERATIONS.map((op) => op.cli.words)];
  for (const words of commands) {
    const lines: string[] = [];
    const io = {
      out: (l: string) => lines.push(l),
      err: (l: string) => lines.push(l),
      env: () => undefined,
    };
    await runCli([...words, "--help"], io);
    texts.push([`fazt ${words.join(" ")} --help`, lines.join("\n")]);
  }
  texts.push([
    "docs/fazt.d.ts",
    await Deno.readTextFile(new URL("../../../docs/fazt.d.ts", import.meta.url)),
  ]);
  for (const [where, text] of texts) {
    assert.ok(text.length > 0, `${where} printed nothing`);
    const line = text.split("\n").find((l) => DECIMAL_UNIT.test(l));
    assert.equal(line, undefined, `${where} says: ${line}`);
  }
  const egress = texts.find(([where]) => where === "fazt app egress-limit --help")![1];
  assert.match(egress, /MiB/);
});
