/**
 * The systemd unit of `fazt service install`: its hardening, its memory
 * sizing, what it passes to `fazt serve`, and `systemd-analyze verify`
 * (Debian's `systemd`) on the real text with a real executable.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  checkDataDir,
  memoryLimits,
  SERVICE_NAME,
  serviceCommand,
  systemdUnit,
  unitArg,
  type UnitOptions,
} from "../../../kernel/cli/service_unit.ts";
import { FaztError } from "../../../kernel/core/errors.ts";
import { FAZT_ENV } from "../../_helpers/server.ts";

const GIB = 1024 ** 3;

const BASE: UnitOptions = {
  binary: "/usr/local/bin/fazt",
  dataDir: "/var/lib/fazt",
  user: "fazt",
  memoryBytes: GIB,
  version: "9.9.9",
};

/** The unit's `Key=value` lines by section, comments left out. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `not a unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

function service(options: Partial<UnitOptions> = {}): Map<string, string[]> {
  const unit = parseUnit(systemdUnit({ ...BASE, ...options }));
  assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"]);
  return unit.get("Service")!;
}

Deno.test("the unit runs fazt as its own user in a read-only system with only its data folder writable", () => {
  const s = service();
  const expected: Record<string, string> = {
    User: "fazt",
    ProtectSystem: "strict",
    ReadWritePaths: "/var/lib/fazt",
    NoNewPrivileges: "yes",
    AmbientCapabilities: "CAP_NET_BIND_SERVICE",
    CapabilityBoundingSet: "CAP_NET_BIND_SERVICE",
    Restart: "on-failure",
    Delegate: "yes",
    OOMPolicy: "continue",
    PrivateTmp: "yes",
    ProtectHome: "yes",
    PrivateDevices: "yes",
    ProtectKernelTunables: "yes",
    ProtectKernelModules: "yes",
    ProtectProc: "invisible",
    KillMode: "mixed",
  };
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(s.get(key), [value], key);
  }
  // Each of these would break fazt: a read-only delegated cgroup subtree, no JIT.
  for (const key of ["ProtectControlGroups", "MemoryDenyWriteExecute", "ProcSubset", "Group"]) {
    assert.equal(s.get(key), undefined, key);
  }
});

Deno.test("the unit gives fazt the same environment as the `fazt` task: its cache, and glibc's mmap threshold", () => {
  const env = service().get("Environment")!.flatMap((line) => line.split(" "));
  assert.ok(env.includes("DENO_DIR=/var/cache/fazt"), env.join(" "));
  for (const [name, value] of Object.entries(FAZT_ENV)) {
    assert.ok(env.includes(`${name}=${value}`), `${name}=${value} in ${env.join(" ")}`);
  }
  assert.deepEqual(FAZT_ENV, { MALLOC_MMAP_THRESHOLD_: "32768" });
});

Deno.test("memory limits are 75 % and 90 % of the machine, in MiB", () => {
  assert.deepEqual(memoryLimits(GIB), { highMb: 768, maxMb: 921 });
  assert.deepEqual(memoryLimits(2 * GIB), { highMb: 1536, maxMb: 1843 });
  assert.deepEqual(memoryLimits(24 * GIB), { highMb: 18432, maxMb: 22118 });
  const s = service({ memoryBytes: 512 * 1024 * 1024 });
  assert.deepEqual(s.get("MemoryHigh"), ["384M"]);
  assert.deepEqual(s.get("MemoryMax"), ["460M"]);
  assert.throws(() => memoryLimits(1024), FaztError);
  assert.throws(() => memoryLimits(Number.NaN), FaztError);
});

Deno.test("the unit passes the domain, data folder, user and extra serve flags through", () => {
  const s = service({
    dataDir: "/srv/fazt-data",
    user: "web",
    domain: "example.com",
    serveArgs: ["--acme-email", "me@example.com"],
  });
  assert.deepEqual(s.get("ExecStart"), [
    "/usr/local/bin/fazt serve --data /srv/fazt-data --domain example.com --host 0.0.0.0 --acme-email me@example.com",
  ]);
  assert.deepEqual(s.get("User"), ["web"]);
  assert.deepEqual(s.get("ReadWritePaths"), ["/srv/fazt-data"]);
  // Without a domain fazt keeps its loopback default (a proxy of the owner's in front).
  assert.deepEqual(serviceCommand(BASE), [
    "/usr/local/bin/fazt",
    "serve",
    "--data",
    "/var/lib/fazt",
  ]);
});

Deno.test("ExecStart arguments are quoted and escaped for systemd", () => {
  assert.equal(unitArg("me@example.com"), "me@example.com");
  assert.equal(unitArg("a b"), '"a b"');
  assert.equal(unitArg('say "hi"'), '"say \\"hi\\""');
  assert.equal(unitArg("50%"), '"50%%"');
  assert.equal(unitArg("$HOME"), '"$$HOME"');
  assert.equal(unitArg("a\\b"), '"a\\\\b"');
  assert.throws(() => unitArg("a\nExecStartPre=/bin/rm"), FaztError);
});

Deno.test("data folders the unit cannot hold or the service cannot reach are refused", () => {
  for (const bad of ["relative/dir", "/var/lib/my data", "/var/lib/../etc", "/", "/home/me/fazt"]) {
    assert.throws(() => checkDataDir(bad), FaztError, bad);
    assert.throws(() => systemdUnit({ ...BASE, dataDir: bad }), FaztError, bad);
  }
  assert.throws(() => systemdUnit({ ...BASE, user: "Root; rm" }), FaztError);
  checkDataDir("/var/lib/fazt");
  checkDataDir("/srv/fazt-data_2");
});

async function verify(unitText: string): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-unit-" });
  try {
    const path = `${dir}/${SERVICE_NAME}`;
    await Deno.writeTextFile(path, unitText);
    const out = await new Deno.Command("systemd-analyze", {
      args: ["verify", "--man=no", path],
      stdout: "piped",
      stderr: "piped",
      env: { SYSTEMD_LOG_COLOR: "0" },
    }).output().catch((err) => {
      throw new Error(`systemd-analyze is needed (Debian: apt-get install systemd): ${err}`);
    });
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("systemd-analyze verify accepts the unit without a warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-bin-" });
  try {
    // ExecStart must name a real executable file.
    const binary = `${dir}/fazt`;
    await Deno.writeTextFile(binary, "#!/bin/sh\necho fazt 9.9.9\n", { mode: 0o755 });
    for (
      const options of [
        { binary },
        { binary, domain: "example.com", serveArgs: ["--acme-email", "a b@example.com"] },
      ]
    ) {
      const result = await verify(systemdUnit({ ...BASE, ...options }));
      assert.deepEqual(result, { code: 0, stderr: "" });
    }
    // The check is real: a missing binary and an unknown directive are reported.
    const missing = await verify(systemdUnit({ ...BASE, binary: `${dir}/nothing` }));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nothing/);
    const unknown = await verify(
      systemdUnit({ ...BASE, binary }).replace(/^Delegate=yes$/m, "Delegat=yes"),
    );
    assert.match(unknown.stderr, /Unknown key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
