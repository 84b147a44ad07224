import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { FAZT_ENV, FAZT_FLAGS, ROOT } from "../_helpers/server.ts";
import {
  install,
  LAUNCHER_MARK,
  launcherScript,
  type LauncherSpec,
  parseArgs,
  parseFaztTask,
  shellQuote,
} from "../../tools/install.ts";

const dec = new TextDecoder();

/** The Deno cache this process uses, so that subprocesses with another HOME share it. */
const DENO_DIR: string = JSON.parse(
  dec.decode(
    (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()).stdout,
  ),
).denoDir;

/** Runs a command with a clean, explicit environment. */
async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    env: { DENO_DIR, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A launcher spec for this checkout. */
function spec(deno: string): LauncherSpec {
  return {
    root: ROOT.replace(/\/$/, ""),
    deno,
    denoVersion: "2.9.6",
    task: parseFaztTask(denoJson.tasks.fazt),
  };
}

Deno.test("parseFaztTask reads the fazt task's env, flags and script as the test servers do", () => {
  const task = parseFaztTask(denoJson.tasks.fazt);
  assert.deepEqual(task.env, FAZT_ENV);
  assert.deepEqual(task.flags, FAZT_FLAGS);
  assert.equal(task.script, "main.ts");
  assert.deepEqual(parseFaztTask("A=1 B=x=y deno run --allow-net main.ts"), {
    env: { A: "1", B: "x=y" },
    flags: ["--allow-net"],
    script: "main.ts",
  });
  assert.throws(() => parseFaztTask("deno compile --allow-net main.ts"), /deno run/);
  assert.throws(() => parseFaztTask("deno run --allow-net"), /script/);
  assert.throws(() => parseFaztTask("deno run -A main.ts"), /script/);
});

Deno.test("shellQuote leaves plain words alone and quotes the rest", async () => {
  assert.equal(shellQuote("--allow-env=A,B"), "--allow-env=A,B");
  for (const word of ["it's", "a b", "$HOME", "`x`", '"', ""]) {
    const out = await run("/bin/sh", ["-c", `printf %s ${shellQuote(word)}`], {});
    assert.equal(out.stdout, word);
  }
});

Deno.test("parseArgs takes --dir, --force and --help and refuses anything else", () => {
  assert.deepEqual(parseArgs([]), { dir: undefined, force: false, help: false });
  assert.deepEqual(parseArgs(["--dir", "b", "--force"]), { dir: "b", force: true, help: false });
  assert.deepEqual(parseArgs(["--dir=b"]), { dir: "b", force: false, help: false });
  assert.equal(parseArgs(["--dri", "b"]), "Unknown argument --dri.");
});

Deno.test("`deno task install` puts a working fazt command in ~/.local/bin, with no task banner", async () => {
  const home = await Deno.makeTempDir({ prefix: "fazt-install-" });
  const bin = join(home, ".local", "bin");
  const path = `${bin}:/usr/bin:/bin`;
  const first = await run(Deno.execPath(), ["task", "install"], { HOME: home, PATH: path });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Installed fazt in ~\/\.local\/bin: it runs .*main\.ts with /);
  assert.doesNotMatch(first.stdout, /not on your PATH/);
  const script = await Deno.readTextFile(join(bin, "fazt"));
  for (const flag of FAZT_FLAGS) assert.ok(script.includes(` ${flag} `), flag);
  for (const [k, v] of Object.entries(FAZT_ENV)) assert.ok(script.includes(`export ${k}=${v}`));
  assert.ok(script.includes(Deno.execPath()));
  assert.equal((await Deno.stat(join(bin, "fazt"))).mode! & 0o777, 0o755);

  // From another folder, found on the PATH; output is fazt's alone.
  const elsewhere = await Deno.makeTempDir();
  const version = await run("fazt", ["version"], { HOME: home, PATH: path }, elsewhere);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `fazt ${denoJson.version}\n`);
  assert.equal(version.stderr, "");
  await Deno.remove(home, { recursive: true });
  await Deno.remove(elsewhere, { recursive: true });
});

Deno.test("install says when the folder is not on the PATH and how to add it", async () => {
  const home = await Deno.makeTempDir({ prefix: "fazt-install-" });
  const out = await run(Deno.execPath(), ["task", "install"], {
    HOME: home,
    PATH: "/usr/bin:/bin",
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /~\/\.local\/bin is not on your PATH\. Add it/);
  assert.match(out.stdout, /echo 'export PATH="\$HOME\/\.local\/bin:\$PATH"' >> ~\/\.profile/);
  const other = join(home, "tools");
  const dir = await run(Deno.execPath(), ["task", "install", "--dir", other], {
    HOME: home,
    PATH: `/usr/bin:/bin:${other}`,
  });
  assert.equal(dir.code, 0, dir.stderr);
  assert.match(dir.stdout, /^Installed fazt in ~\/tools:/);
  assert.doesNotMatch(dir.stdout, /not on your PATH/);
  await Deno.remove(home, { recursive: true });
});

Deno.test("install never overwrites a fazt it did not write, unless told to", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-install-" });
  const file = join(dir, "fazt");
  await Deno.writeTextFile(file, "a compiled binary\n");
  const options = { dir, force: false, path: "", spec: spec(Deno.execPath()) };
  await assert.rejects(install(options), /is not a launcher written by this installer.*--force/);
  assert.equal(await Deno.readTextFile(file), "a compiled binary\n");
  await install({ ...options, force: true });
  assert.ok((await Deno.readTextFile(file)).includes(LAUNCHER_MARK));
  // Its own launcher it replaces without asking.
  await install({ ...options, spec: spec("/elsewhere/deno") });
  assert.ok((await Deno.readTextFile(file)).includes("/elsewhere/deno"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the launcher falls back to deno on the PATH, then to npx", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-install-" });
  const launcher = join(dir, "fazt");
  await Deno.writeTextFile(launcher, launcherScript(spec(join(dir, "gone", "deno"))), {
    mode: 0o755,
  });
  // The recorded Deno is gone (an npx cache cleaned): `deno` on the PATH runs it.
  const withDeno = join(dir, "with-deno");
  await Deno.mkdir(withDeno);
  await Deno.symlink(Deno.execPath(), join(withDeno, "deno"));
  const viaPath = await run(launcher, ["version"], { PATH: withDeno });
  assert.equal(viaPath.code, 0, viaPath.stderr);
  assert.equal(viaPath.stdout, `fazt ${denoJson.version}\n`);
  // No deno anywhere: `npx -y deno@<version>` gets the launcher's arguments and
  // environment (an npx stand-in prints them; the real one would download Deno).
  const withNpx = join(dir, "with-npx");
  await Deno.mkdir(withNpx);
  await Deno.writeTextFile(
    join(withNpx, "npx"),
    '#!/bin/sh\necho "$MALLOC_MMAP_THRESHOLD_"\nprintf "%s\\n" "$@"\n',
    {
      mode: 0o755,
    },
  );
  const viaNpx = await run(launcher, ["app", "list"], { PATH: withNpx });
  assert.equal(viaNpx.code, 0, viaNpx.stderr);
  const [malloc, ...args] = viaNpx.stdout.trim().split("\n");
  assert.equal(malloc, FAZT_ENV.MALLOC_MMAP_THRESHOLD_);
  assert.deepEqual(args.slice(0, 5), [
    "-y",
    "deno@2.9.6",
    "run",
    "--config",
    join(ROOT, "deno.json"),
  ]);
  assert.deepEqual(args.slice(5, 5 + FAZT_FLAGS.length), FAZT_FLAGS);
  assert.deepEqual(args.slice(5 + FAZT_FLAGS.length), [join(ROOT, "main.ts"), "app", "list"]);
  await Deno.remove(dir, { recursive: true });
});
