import assert from "node:assert/strict";
import { upgradeCommand } from "../../../kernel/cli/upgrade_command.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

function io() {
  const lines: string[] = [];
  return { lines, out: (l: string) => void lines.push(l), env: () => undefined };
}

const refused = (code: string, pattern: RegExp) => (err: unknown) =>
  err instanceof FaztError && err.code === code && pattern.test(err.message);

Deno.test("fazt upgrade --help lists its flags", async () => {
  const o = io();
  assert.equal(await upgradeCommand(["--help"], o), 0);
  const text = o.lines.join("\n");
  for (const f of ["--to", "--from", "--rollback", "--timeout", "--data", "--releases"]) {
    assert.ok(text.includes(f), f);
  }
});

Deno.test("fazt upgrade refuses unknown flags, arguments and two modes at once", async () => {
  await assert.rejects(
    upgradeCommand(["--force", "yes"], io()),
    refused("invalid_input", /Unknown flag --force/),
  );
  await assert.rejects(
    upgradeCommand(["0.2.0"], io()),
    refused("invalid_input", /use --to VERSION/),
  );
  await assert.rejects(
    upgradeCommand(["--to", "0.2.0", "--rollback"], io()),
    refused("invalid_input", /one of --to, --from or --rollback/),
  );
  await assert.rejects(
    upgradeCommand(["--to", "0.2.0", "--from", "m.json"], io()),
    refused("invalid_input", /one of --to, --from or --rollback/),
  );
});

Deno.test("fazt upgrade run from source says there is no executable to replace", async () => {
  for (const argv of [["--to", "0.2.0"], ["--rollback"]]) {
    await assert.rejects(upgradeCommand(argv, io()), refused("conflict", /runs from source/));
  }
});
