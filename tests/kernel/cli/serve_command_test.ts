import assert from "node:assert/strict";
import { parseArgs } from "../../../kernel/cli/args.ts";
import {
  SERVE_BOOLEAN_FLAGS,
  SERVE_FLAGS,
  serveSettings,
} from "../../../kernel/cli/serve_command.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

function settings(argv: string[], env: Record<string, string> = {}) {
  return serveSettings(parseArgs(argv, SERVE_BOOLEAN_FLAGS), (name) => env[name]);
}

Deno.test("size flags are MiB: 10 means 10 × 1,048,576 bytes, from a flag or the environment", () => {
  const s = settings(["--max-upload", "10", "--cache", "10", "--disk-quota", "10"]);
  assert.deepEqual(
    [s.maxUploadBytes, s.cacheBytes, s.diskQuotaBytes],
    [10 * 1_048_576, 10 * 1_048_576, 10 * 1_048_576],
  );
  assert.equal(settings([], { FAZT_DISK_QUOTA: "3" }).diskQuotaBytes, 3 * 1_048_576);
  assert.equal(settings([]).maxUploadBytes, 200 * 1_048_576, "default 200 MiB");
  assert.equal(settings([]).diskQuotaBytes, null, "no quota by default");
});

Deno.test("size flags are described in MiB in the help text", () => {
  for (const f of SERVE_FLAGS) {
    assert.doesNotMatch(f.help, /\b[KMGT]B\b/, `--${f.flag} says ${f.help}`);
  }
  const sized = SERVE_FLAGS.filter((f) =>
    ["max-upload", "cache", "disk-quota", "sandbox-heap", "app-memory"].includes(f.flag)
  );
  assert.equal(sized.length, 5);
  for (const f of sized) assert.match(f.help, /\bMiB\b/, `--${f.flag}`);
});

Deno.test("per-app limits: default memory cap 128 MiB, CPU budget 100 ms/s, the strongest mechanism", () => {
  const s = settings([]);
  assert.deepEqual([s.appMemoryMb, s.cpuBudgetMs, s.resourceLimits], [128, 100, "auto"]);
});

Deno.test("per-app limits come from flags, else the environment", () => {
  const s = settings(["--app-memory", "256", "--resource-limits", "rlimit"], {
    FAZT_APP_MEMORY: "512",
    FAZT_CPU_BUDGET: "0",
  });
  assert.deepEqual([s.appMemoryMb, s.cpuBudgetMs, s.resourceLimits], [256, 0, "rlimit"]);
  assert.equal(settings([], { FAZT_RESOURCE_LIMITS: "WATCHDOG" }).resourceLimits, "watchdog");
});

Deno.test("bad per-app limits are refused with a message naming the flag", () => {
  for (
    const [argv, pattern] of [
      [["--app-memory", "32"], /--app-memory must be a whole number from 64/],
      [["--cpu-budget", "-1"], /--cpu-budget must be a whole number from 0 to 1000/],
      [["--resource-limits", "cgroup"], /--resource-limits must be auto, rlimit or watchdog/],
    ] as const
  ) {
    assert.throws(
      () => settings([...argv]),
      (e: unknown) =>
        e instanceof FaztError && e.code === "invalid_input" && pattern.test(e.message),
    );
  }
});

Deno.test("--https auto: on for a public domain, off for local names, IPs and behind a proxy", () => {
  const on = settings(["--domain", "example.com"]).https;
  assert.deepEqual(on, {
    port: 443,
    httpPort: 80,
    acmeDirectory: "https://acme-v02.api.letsencrypt.org/directory",
    acmeEmail: null,
    acmeCaFile: null,
  });
  for (const domain of ["localhost", "fazt.test", "box.local", "nas.lan", "10.0.0.5", "intranet"]) {
    assert.equal(settings(["--domain", domain]).https, null, domain);
  }
  assert.equal(settings(["--domain", "example.com", "--trust-proxy"]).https, null);
  assert.equal(settings(["--domain", "example.com", "--https", "off"]).https, null);
  assert.equal(settings([]).https, null);
});

Deno.test("--https on: ports, ACME directory, email and CA from flags or the environment", () => {
  const s = settings(
    ["--domain", "fazt.test", "--https", "on", "--https-port", "8443", "--acme-ca", "ca.pem"],
    {
      FAZT_HTTP_PORT: "8080",
      FAZT_ACME_DIRECTORY: "https://127.0.0.1:14000/dir",
      FAZT_ACME_EMAIL: "me@fazt.test",
    },
  ).https;
  assert.ok(s);
  assert.deepEqual([s.port, s.httpPort, s.acmeDirectory, s.acmeEmail], [
    8443,
    8080,
    "https://127.0.0.1:14000/dir",
    "me@fazt.test",
  ]);
  assert.ok(s.acmeCaFile?.endsWith("/ca.pem"));
  assert.ok(settings(["--https", "on"]).https, "localhost with the owner's own certificate");
});

Deno.test("bad HTTPS settings are refused with a message naming the flag", () => {
  for (
    const [argv, pattern] of [
      [["--https", "yes"], /--https must be on, off or auto/],
      [["--domain", "10.0.0.5", "--https", "on"], /IP address/],
      [["--domain", "example.com", "--acme-directory", "http://ca/dir"], /--acme-directory must/],
      [["--domain", "example.com", "--acme-email", "me"], /--acme-email must be an email/],
      [["--domain", "example.com", "--https-port", "80"], /must differ/],
      [["--domain", "example.com", "--http-port", "70000"], /--http-port must be a whole number/],
    ] as const
  ) {
    assert.throws(
      () => settings([...argv]),
      (e: unknown) =>
        e instanceof FaztError && e.code === "invalid_input" && pattern.test(e.message),
      argv.join(" "),
    );
  }
});

Deno.test("scheduled backups: --backup-every in d/h/m (1m at least), keep and folder", () => {
  assert.deepEqual(
    [settings([]).backupEveryMs, settings([]).backupKeep, settings([]).backupTo],
    [null, 7, null],
  );
  const s = settings(["--backup-every", "1h30m", "--backup-keep", "3", "--backup-to", "bk"]);
  assert.deepEqual([s.backupEveryMs, s.backupKeep], [90 * 60_000, 3]);
  assert.ok(s.backupTo!.startsWith("/") && s.backupTo!.endsWith("/bk"), "made absolute");
  const e = settings([], { FAZT_BACKUP_EVERY: "7d", FAZT_BACKUP_TO: "s3://b/p" });
  assert.deepEqual([e.backupEveryMs, e.backupTo], [7 * 86_400_000, "s3://b/p"]);
  assert.equal(settings(["--backup-every", "24h"]).backupEveryMs, 86_400_000);
  for (
    const [argv, pattern] of [
      [["--backup-every", "30s"], /--backup-every must be a duration from 1m/],
      [["--backup-every", "0m"], /--backup-every must be a duration/],
      [["--backup-every", "h"], /--backup-every must be a duration/],
      [["--backup-keep", "3"], /add --backup-every/],
      [["--backup-every", "1h", "--backup-keep", "0"], /--backup-keep must be a whole number/],
    ] as const
  ) {
    assert.throws(
      () => settings([...argv]),
      (e: unknown) =>
        e instanceof FaztError && e.code === "invalid_input" && pattern.test(e.message),
      argv.join(" "),
    );
  }
});
