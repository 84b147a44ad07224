/**
 * Every way `fazt serve` can fail to start, through the real process: each
 * ends with exit code 1 (2 for a usage error) and one line that names the
 * flag, port or folder and says what to do; never a stack trace or
 * "Something went wrong inside fazt".
 *
 * The cases that need a privilege taken away (a folder fazt may not write,
 * a port below 1024) or a file system of their own (a full disk, a
 * read-only one) run as root only: `setpriv` drops the capabilities, and
 * `unshare -m` mounts a tiny tmpfs that no other process sees.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, FAZT_ENV, FAZT_FLAGS, ROOT } from "../_helpers/server.ts";

const IS_ROOT = Deno.uid() === 0;

/** Asserts a failed start: `code`, and exactly one `error:` line matching `pattern`. */
function assertOneLine(res: { code: number; stderr: string }, code: number, pattern: RegExp) {
  const lines = res.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(res.code, code, res.stderr);
  assert.equal(lines.length, 1, `one line expected:\n${res.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(res.stderr, /Something went wrong|^\s+at /m);
}

/** Runs `fazt <args>` through `wrapper` (e.g. setpriv) and returns its exit code and stderr. */
async function wrapped(wrapper: string[], args: string[]) {
  const [command, ...pre] = wrapper;
  const out = await new Deno.Command(command, {
    args: [...pre, Deno.execPath(), "run", ...FAZT_FLAGS, join(ROOT, "main.ts"), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...FAZT_ENV },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Capabilities that let root ignore file modes and bind low ports, dropped. */
const UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-net_bind_service"];

Deno.test("a busy port is named, with its address and the flag that moves it", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-start-" });
  try {
    const res = await cli(["serve", "--port", String(taken.addr.port), "--data", dataDir]);
    assertOneLine(
      res,
      1,
      new RegExp(`Port ${taken.addr.port} is already in use on 127\\.0\\.0\\.1.*--port`),
    );
  } finally {
    taken.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("bad flag values and unknown flags are usage errors (exit 2) naming the flag", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-start-" });
  try {
    for (
      const [argv, pattern] of [
        [["--port", "abc"], /--port must be a whole number from 0 to 65535 \(got "abc"\)/],
        [["--port", "70000"], /--port must be a whole number from 0 to 65535 \(got "70000"\)/],
        [["--cache", "-1"], /--cache must be a whole number/],
        [["--bogus", "--port", "0"], /Unknown flag --bogus for fazt serve/],
        [["--trust-proxy=maybe"], /--trust-proxy must be true or false/],
        [["--host", ""], /--host must be an address of this machine/],
        [["--port"], /The flag --port needs a value/],
        [["extra"], /fazt serve takes no arguments \(got "extra"\)/],
      ] as const
    ) {
      assertOneLine(await cli(["serve", "--data", dataDir, ...argv]), 2, pattern);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an address that is not this machine's is refused with what to give --host", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-start-" });
  try {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to an interface.
    const res = await cli(["serve", "--port", "0", "--host", "192.0.2.1", "--data", dataDir]);
    assertOneLine(res, 2, /cannot listen on 192\.0\.2\.1: no network interface.*--host/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a data folder that is a file, or cannot be created, is named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-start-" });
  const file = join(dir, "a-file");
  await Deno.writeTextFile(file, "not a folder");
  try {
    for (const data of [file, join(file, "below")]) {
      assertOneLine(
        await cli(["serve", "--port", "0", "--data", data]),
        2,
        new RegExp(`The data folder ${data} is not a folder.*--data`),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing or invalid --acme-ca file is named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-start-" });
  const notPem = join(dir, "ca.pem");
  await Deno.writeTextFile(notPem, "hello");
  const https = ["--https", "on", "--domain", "fazt.test", "--https-port", "0", "--http-port", "0"];
  try {
    for (
      const [ca, pattern] of [
        [join(dir, "missing.pem"), /--acme-ca .*missing\.pem: no such file/],
        [dir, /--acme-ca .*: a folder, not a file/],
        [notPem, /--acme-ca .*ca\.pem holds no PEM certificate/],
      ] as const
    ) {
      const res = await cli([
        "serve",
        "--port",
        "0",
        "--data",
        join(dir, "data"),
        ...https,
        "--acme-ca",
        ca,
      ]);
      assertOneLine(res, 2, pattern);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a data folder fazt may not write is named, with the owner fix and --data",
  ignore: !IS_ROOT,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fazt-start-" });
    await Deno.chmod(dir, 0o555);
    try {
      const res = await wrapped(UNPRIVILEGED, ["serve", "--port", "0", "--data", dir]);
      assertOneLine(
        res,
        1,
        new RegExp(
          `may not write to the data folder ${dir} \\(permission denied\\).*chown.*--data`,
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a port below 1024 without the capability names setcap and a higher port",
  ignore: !IS_ROOT,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "fazt-start-" });
    try {
      const res = await wrapped(UNPRIVILEGED, ["serve", "--port", "80", "--data", dataDir]);
      assertOneLine(
        res,
        1,
        /may not listen on port 80 on 127\.0\.0\.1.*cap_net_bind_service.*1024 up with --port/,
      );
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

for (
  const [what, options, pattern, code] of [
    ["a full disk", "size=64k", /The disk that holds the data folder .* is full.*--data/, 1],
    ["a read-only file system", "size=64k,ro", /is on a read-only file system.*--data/, 1],
  ] as const
) {
  Deno.test({
    name: `${what} at startup is named (a private tmpfs)`,
    ignore: !IS_ROOT,
    fn: async () => {
      const mount = await Deno.makeTempDir({ prefix: "fazt-start-mnt-" });
      try {
        const res = await wrapped(
          [
            "unshare",
            "-m",
            "sh",
            "-c",
            `mount -t tmpfs -o ${options} tmpfs "$0" && exec "$@"`,
            mount,
          ],
          ["serve", "--port", "0", "--data", join(mount, "data")],
        );
        assertOneLine(res, code, pattern);
      } finally {
        await Deno.remove(mount, { recursive: true });
      }
    },
  });
}
