import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { ROOT } from "../_helpers/server.ts";
import { failMessage, hasTool, packagesOf, plan, REQUIREMENTS } from "../../tools/test_setup.ts";

/** The setup step of `deno task test`: `deno run <flags> tools/test_setup.ts`. */
const SETUP_RUN = denoJson.tasks.test.split(" && ")[0].split(/\s+/);

const onlyThese = (tools: string[]) => (tool: string) => tools.includes(tool);
const everything = REQUIREMENTS.map((r) => r.tool);

Deno.test("`deno task test` runs the setup before the suite", () => {
  assert.deepEqual(SETUP_RUN.slice(0, 2), ["deno", "run"]);
  assert.equal(SETUP_RUN.at(-1), "tools/test_setup.ts");
  assert.match(denoJson.tasks.test, / && deno test --allow-all --parallel tests\/$/);
});

Deno.test("nothing to do when every program is there", () => {
  assert.deepEqual(plan({ has: onlyThese(everything), root: false }), { action: "none" });
});

Deno.test("root with apt-get installs what is missing, each package once", () => {
  const has = onlyThese(["apt-get", ...everything.filter((t) => !t.startsWith("pebble"))]);
  assert.deepEqual(plan({ has, root: true }), { action: "install", packages: ["pebble"] });
  const bare = plan({ has: onlyThese(["apt-get"]), root: true });
  assert.equal(bare.action, "install");
  assert.ok(bare.action === "install" && bare.packages.includes("chromium"));
});

Deno.test("without root it fails naming the one command that fixes it", () => {
  const has = onlyThese(["apt-get", ...everything.filter((t) => t !== "/usr/bin/chromium")]);
  const result = plan({ has, root: false });
  assert.equal(result.action, "fail");
  assert.ok(result.action === "fail");
  assert.match(result.message, /\/usr\/bin\/chromium \(chromium\): the dashboard tests drive it/);
  assert.match(result.message, /\n {2}sudo apt-get install -y chromium\n/);
});

Deno.test("without apt-get it names the packages to install", () => {
  const lacking = REQUIREMENTS.filter((r) => r.pkg === "wrk" || r.pkg === "zip");
  const message = failMessage(lacking, { has: () => false, root: true });
  assert.match(message, /your system's package manager: zip wrk\n/);
  assert.doesNotMatch(message, /apt-get/);
  assert.deepEqual(packagesOf(REQUIREMENTS.filter((r) => r.pkg === "pebble")), ["pebble"]);
});

Deno.test("hasTool looks on the PATH, or at an absolute path, for an executable file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "tool"), "#!/bin/sh\n", { mode: 0o755 });
  await Deno.writeTextFile(join(dir, "plain"), "not executable\n", { mode: 0o644 });
  assert.ok(hasTool("tool", `/nonexistent:${dir}`));
  assert.ok(!hasTool("plain", dir));
  assert.ok(!hasTool("tool", "/nonexistent"));
  assert.ok(hasTool(join(dir, "tool"), ""));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the setup step fails at once, with its message, when programs are missing", async () => {
  const empty = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: SETUP_RUN.slice(1),
    cwd: ROOT,
    env: { PATH: empty, NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(stderr, /The test suite needs programs this machine lacks:\n {2}zip \(zip\)/);
  assert.match(stderr, /then run `deno task test` again\.\n$/);
  await Deno.remove(empty);
});

Deno.test("the setup step passes quietly on this machine, which has everything", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: SETUP_RUN.slice(1),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(out.stderr.length + out.stdout.length, 0);
});
