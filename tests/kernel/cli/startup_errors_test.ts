import assert from "node:assert/strict";
import { explainDataFolderError, explainListenError } from "../../../kernel/cli/startup_errors.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

const where = { flagName: "--https-port", host: "0.0.0.0", port: 443 };

Deno.test("listen errors: taken, privileged, foreign address, unknown host; others pass through", () => {
  const cases: [unknown, string, RegExp][] = [
    [
      new Deno.errors.AddrInUse("Address in use"),
      "conflict",
      /Port 443 is already in use on 0\.0\.0\.0.*--https-port/,
    ],
    [
      new Deno.errors.PermissionDenied("Permission denied"),
      "forbidden",
      /port 443 on 0\.0\.0\.0.*cap_net_bind_service.*--https-port/,
    ],
    [
      new Deno.errors.AddrNotAvailable("Cannot assign requested address (os error 99)"),
      "invalid_input",
      /no network interface/,
    ],
    [
      new Error("failed to lookup address information: Name or service not known"),
      "invalid_input",
      /no such host name/,
    ],
  ];
  for (const [err, code, pattern] of cases) {
    const e = explainListenError(err, where);
    assert.ok(e instanceof FaztError, String(err));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
  }
  const other = new Error("something else");
  assert.equal(explainListenError(other, where), other);
});

Deno.test("data folder errors: full (errno or SQLite), read-only, denied, not a folder; others pass through", () => {
  const cases: [unknown, string, RegExp][] = [
    [
      new Error("No space left on device (os error 28)"),
      "insufficient_storage",
      /disk that holds the data folder \/d is full/,
    ],
    [
      Object.assign(new Error("database or disk is full"), { errcode: 13 }),
      "insufficient_storage",
      /is full/,
    ],
    [new Error("Read-only file system (os error 30)"), "forbidden", /read-only file system/],
    [
      new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
      "forbidden",
      /may not write to the data folder \/d/,
    ],
    [
      new Deno.errors.NotADirectory("Not a directory (os error 20)"),
      "invalid_input",
      /\/d is not a folder/,
    ],
  ];
  for (const [err, code, pattern] of cases) {
    const e = explainDataFolderError(err, "/d");
    assert.ok(e instanceof FaztError, String(err));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
  }
  const other = new Error("a bug");
  assert.equal(explainDataFolderError(other, "/d"), other);
  const typed = new FaztError("conflict", "newer schema");
  assert.equal(explainDataFolderError(typed, "/d"), typed);
});
