import assert from "node:assert/strict";
import { GROUP_HEADINGS, runCli, topHelp } from "../../../kernel/cli/cli.ts";
import { OPERATIONS } from "../../../kernel/ops/registry.ts";
import { inputFields } from "../../../kernel/cli/fields.ts";

/** What `fazt <argv>` prints, in process (help needs no server). */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    env: () => undefined,
  });
  return { code, out: lines.join("\n") };
}

Deno.test("fazt help: one heading per command group, each written out, none repeated", () => {
  const headings = topHelp().split("\n").filter((l) => /^\S.*:$/.test(l));
  assert.deepEqual(headings, [...new Set(headings)], "a heading repeats");
  for (const h of headings) assert.doesNotMatch(h, /ss:$|^[a-z]/, h);
  for (const op of OPERATIONS) {
    assert.ok(GROUP_HEADINGS[op.cli.words[0]], `no heading for "${op.cli.words[0]}" commands`);
  }
  assert.ok(
    headings.includes("Apps:") && headings.includes("Logs:") && headings.includes("System:"),
  );
  assert.match(topHelp(), /app add\s+Deploy a folder or a \.zip/);
});

/** Words of the HTTP API that mean nothing on a command line. */
const REST_WORDS =
  /request body|raw request|query string|server-sent|JSON body|Authorization header|multipart/i;

Deno.test("every command's --help speaks of arguments and flags, not of the HTTP API", async () => {
  const opNames = new Set(OPERATIONS.map((o) => o.name));
  for (const op of OPERATIONS) {
    const { code, out } = await run([...op.cli.words, "--help"]);
    const where = `fazt ${op.cli.words.join(" ")} --help`;
    assert.equal(code, 0, where);
    assert.doesNotMatch(out, REST_WORDS, where);
    // Commands are named by their words, not by operation names like apps.import.
    for (const word of out.match(/\b[a-z]+\.[a-z_]+\b/g) ?? []) {
      assert.ok(!opNames.has(word), `${where} names the operation ${word}`);
    }
    // A field the command line sets with a differently spelled flag is called by that flag.
    for (const [flag, field] of Object.entries(op.cli.flagAliases ?? {})) {
      if (flag === field || !/[A-Z]/.test(field)) continue;
      assert.doesNotMatch(
        out,
        new RegExp(`\\b${field}\\b`),
        `${where} says ${field}, not --${flag}`,
      );
    }
    // A boolean flag takes no value.
    for (const f of inputFields(op).filter((f) => f.kind === "boolean")) {
      const name = Object.entries(op.cli.flagAliases ?? {}).find(([, t]) => t === f.name)?.[0] ??
        f.name;
      assert.doesNotMatch(out.split("\n")[0], new RegExp(`--${name} [A-Z]`), where);
    }
  }
});

Deno.test("app add --help describes the folder or .zip it takes", async () => {
  const { out } = await run(["app", "add", "--help"]);
  assert.match(out, /^Usage: fazt app add <dir\|zip> \[--name NAME\]/);
  assert.match(out, /dir\|zip\s+The app's folder, or a \.zip of it\./);
});

Deno.test("secret set --help: the value comes from standard input; --value is for scripts", async () => {
  const { out } = await run(["secret", "set", "--help"]);
  assert.match(out, /^Usage: fazt secret set <app> <name> \[--value VALUE\]/);
  assert.match(out, /--value\s+The secret value\. \(default: standard input/);
});

Deno.test("a secret value given as an argument is refused before anything is sent", async () => {
  const { code, out } = await run([
    "secret",
    "set",
    "blog",
    "KEY",
    "sk_live_x",
    "--url",
    "http://127.0.0.1:9",
  ]);
  assert.equal(code, 2);
  assert.match(out, /The value is not an argument/);
  assert.doesNotMatch(out, /sk_live_x/);
});
