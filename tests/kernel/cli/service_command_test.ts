/**
 * `fazt service …` through the CLI: `install --print`, `install --root`
 * into a temporary folder (a real copy of a real executable, a real data
 * folder and unit file; no user, no systemctl), `uninstall --root`, and the
 * errors a user can act on. No test starts a service.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type CliIo, runCli } from "../../../kernel/cli/cli.ts";
import { memoryLimits } from "../../../kernel/cli/service_unit.ts";
import { systemdRunning } from "../../../kernel/cli/service_install.ts";
import { VERSION } from "../../../kernel/core/version.ts";

interface Captured extends CliIo {
  stdout: string[];
  stderr: string[];
}

function io(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    env: () => undefined,
  };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = io();
  const code = await runCli(argv, c);
  return { code, out: c.stdout.join("\n"), err: c.stderr.join("\n") };
}

/** A temporary folder with an executable that answers `--version` as fazt does. */
async function withBinary(fn: (dir: string, binary: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-service-" });
  try {
    const binary = `${dir}/fazt-build`;
    await Deno.writeTextFile(binary, `#!/bin/sh\necho "fazt ${VERSION}"\n`, { mode: 0o755 });
    await fn(dir, binary);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("`service install --print` writes the unit for this machine and changes nothing", async () => {
  const r = await cli(
    "service",
    "install",
    "--print",
    "--domain",
    "Example.COM.",
    "--data",
    "/srv/fazt",
    "--user",
    "web",
    "--",
    "--acme-email",
    "me@example.com",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^User=web$/m);
  assert.match(r.out, /^ReadWritePaths=\/srv\/fazt$/m);
  assert.match(
    r.out,
    /^ExecStart=\/usr\/local\/bin\/fazt serve --data \/srv\/fazt --domain example\.com --host 0\.0\.0\.0 --acme-email me@example\.com$/m,
  );
  const { highMb, maxMb } = memoryLimits(Deno.systemMemoryInfo().total);
  assert.match(r.out, new RegExp(`^MemoryHigh=${highMb}M$`, "m"));
  assert.match(r.out, new RegExp(`^MemoryMax=${maxMb}M$`, "m"));
  assert.match(r.out, new RegExp(`fazt ${VERSION.replaceAll(".", "\\.")}`));
});

Deno.test("`service install --root` installs the binary, the data folder and the unit under a folder", async () => {
  await withBinary(async (dir, binary) => {
    const root = `${dir}/root`;
    const r = await cli(
      "service",
      "install",
      "--binary",
      binary,
      "--root",
      root,
      "--data",
      "/var/lib/fazt-test",
      "--domain",
      "example.com",
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /copied from/);
    assert.match(r.out, /nothing was enabled or started/);
    const installed = `${root}/usr/local/bin/fazt`;
    assert.deepEqual(await Deno.readFile(installed), await Deno.readFile(binary));
    assert.equal((await Deno.stat(installed)).mode! & 0o777, 0o755);
    const data = await Deno.stat(`${root}/var/lib/fazt-test`);
    assert.ok(data.isDirectory);
    assert.equal(data.mode! & 0o777, 0o700);
    const unitFile = `${root}/etc/systemd/system/fazt.service`;
    assert.equal((await Deno.stat(unitFile)).mode! & 0o777, 0o644);
    const unit = await Deno.readTextFile(unitFile);
    assert.match(
      unit,
      /^ExecStart=\/usr\/local\/bin\/fazt serve --data \/var\/lib\/fazt-test --domain example\.com --host 0\.0\.0\.0$/m,
    );
    assert.match(unit, /^User=fazt$/m);
    // Installing the installed binary again keeps it where it is.
    const again = await cli("service", "install", "--binary", installed, "--root", root);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /already in place/);
    assert.match(await Deno.readTextFile(unitFile), /^ExecStart=.* --data \/var\/lib\/fazt$/m);

    const gone = await cli("service", "uninstall", "--root", root);
    assert.equal(gone.code, 0, gone.err);
    await assert.rejects(Deno.stat(unitFile), Deno.errors.NotFound);
    // The data and the binary stay.
    assert.ok((await Deno.stat(installed)).isFile);
    assert.ok((await Deno.stat(`${root}/var/lib/fazt-test`)).isDirectory);
    const twice = await cli("service", "uninstall", "--root", root);
    assert.equal(twice.code, 1);
    assert.match(twice.err, /No fazt service is installed/);
  });
});

Deno.test("`service install` refuses what would give a broken service, with what to do", async () => {
  await withBinary(async (dir, binary) => {
    const root = `${dir}/root`;
    const cases: [string[], RegExp][] = [
      // From source, no compiled binary to install.
      [[], /deno task compile/],
      [["--binary", `${dir}/missing`], /no file at/],
      [["--binary", "/bin/true"], /is not a fazt executable/],
      [["--binary", binary, "--data", "/home/me/fazt"], /ProtectHome/],
      [["--binary", binary, "--data", "/var/lib/my fazt"], /absolute path of letters/],
      [["--binary", binary, "--user", "Bad User"], /system user name/],
      [["--binary", binary, "--domain", "exa mple.com"], /host name/],
      [["--binary", binary, "--", "--port", "many"], /--port must be a whole number/],
      [["--binary", binary, "--", "--nope", "1"], /Unknown flag --nope for fazt serve/],
      [["--binary", binary, "--", "--data", "/x"], /before --/],
      [["--binary", binary, "--", "stray"], /takes no arguments/],
      [["--binary", binary, "--bogus", "1"], /Unknown flag --bogus/],
    ];
    for (const [args, message] of cases) {
      const r = await cli("service", "install", "--root", root, ...args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.err, message, args.join(" "));
    }
    // Nothing was written by any of them.
    await assert.rejects(Deno.stat(root), Deno.errors.NotFound);
  });
});

Deno.test({
  name: "`service status` and `service logs` say plainly when systemd is not running",
  ignore: Deno.build.os !== "linux" || await systemdRunning(),
  async fn() {
    for (const sub of ["status", "logs"]) {
      const r = await cli("service", sub);
      assert.equal(r.code, 1, sub);
      assert.match(r.err, /systemd is not running on this machine/, sub);
    }
  },
});

Deno.test("`fazt help` and `fazt service --help` list the service commands", async () => {
  const top = await cli("help");
  for (const sub of ["install", "status", "logs", "uninstall"]) {
    assert.match(top.out, new RegExp(`service ${sub}`));
  }
  const help = await cli("service", "--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /--print/);
  const unknown = await cli("service", "restart");
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Try: fazt service install/);
});
