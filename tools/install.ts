/**
 * `deno task install`: writes a `fazt` launcher into a folder on the PATH
 * (`~/.local/bin` by default, or `--dir DIR`). The launcher runs this
 * checkout's `main.ts` with exactly the environment, V8 and permission flags
 * of the `fazt` task in deno.json (read from it here, never copied by hand),
 * with the Deno that ran the install, else `deno` on the PATH, else
 * `npx -y deno@<that version>`, so it works for someone who got Deno only
 * through npx. Unlike `deno task fazt`, it prints no task banner.
 *
 * @module
 */
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };

/** The first line after the shebang of every launcher this installer writes. */
export const LAUNCHER_MARK = "# fazt launcher, written by `deno task install` (tools/install.ts).";

/** How the `fazt` task runs fazt: its environment and its `deno run` flags. */
export interface FaztTask {
  /** The `NAME=value` words in front of `deno run`. */
  env: Record<string, string>;
  /** The `deno run` flags (permissions, V8 flags, unstable opt-ins). */
  flags: string[];
  /** The script it runs, relative to the checkout. */
  script: string;
}

/** Reads the `fazt` task of deno.json: `NAME=value... deno run --flags... main.ts`. */
export function parseFaztTask(task: string): FaztTask {
  const words = task.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const word = words.shift()!;
    const at = word.indexOf("=");
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  if (words[0] !== "deno" || words[1] !== "run") {
    throw new Error(`the fazt task must be "[NAME=value...] deno run [flags...] main.ts": ${task}`);
  }
  const rest = words.slice(2);
  const script = rest.pop();
  if (!script || script.startsWith("-") || rest.some((w) => !w.startsWith("--"))) {
    throw new Error(`the fazt task must end with its script after its flags: ${task}`);
  }
  return { env, flags: rest, script };
}

/** What a launcher needs to know. */
export interface LauncherSpec {
  /** The checkout's root folder (absolute). */
  root: string;
  /** The Deno executable to try first (absolute). */
  deno: string;
  /** The Deno version for the `npx -y deno@<version>` fallback. */
  denoVersion: string;
  /** The `fazt` task. */
  task: FaztTask;
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The launcher: a POSIX shell script that execs Deno on this checkout's main.ts. */
export function launcherScript(spec: LauncherSpec): string {
  const q = shellQuote;
  const args = [
    "run",
    "--config",
    join(spec.root, "deno.json"),
    ...spec.task.flags,
    join(spec.root, spec.task.script),
  ].map(q).join(" ");
  return [
    "#!/bin/sh",
    LAUNCHER_MARK,
    `# It runs the checkout ${spec.root} with the permissions of its \`fazt\` task;`,
    "# run `deno task install` there again after moving it or changing that task.",
    ...Object.entries(spec.task.env).map(([k, v]) => `export ${k}=${q(v)}`),
    `set -- ${args} "$@"`,
    `if [ -x ${q(spec.deno)} ]; then exec ${q(spec.deno)} "$@"; fi`,
    `if command -v deno >/dev/null 2>&1; then exec deno "$@"; fi`,
    `exec npx -y ${q(`deno@${spec.denoVersion}`)} "$@"`,
    "",
  ].join("\n");
}

/** Whether `dir` is one of the folders of a PATH value. */
export function onPath(dir: string, path: string): boolean {
  const real = (p: string) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const target = real(dir);
  return path.split(delimiter).filter(Boolean).some((p) => real(p) === target);
}

/** `/home/me/x` → `~/x` for messages. */
function tilde(path: string, home: string | undefined): string {
  return home && (path === home || path.startsWith(home + "/"))
    ? "~" + path.slice(home.length)
    : path;
}

/** The result of {@linkcode install}. */
export interface InstallResult {
  /** The launcher's path. */
  file: string;
  /** Lines to print. */
  lines: string[];
}

/** Options of {@linkcode install}. */
export interface InstallOptions {
  /** The folder for the launcher. */
  dir: string;
  /** Replace a `fazt` there that this installer did not write. */
  force: boolean;
  /** The user's home folder (for messages). */
  home?: string;
  /** The PATH to check the folder against. */
  path: string;
  /** What the launcher runs. */
  spec: LauncherSpec;
}

/** Writes the launcher; throws an `Error` with a message for the user when it must not. */
export async function install(options: InstallOptions): Promise<InstallResult> {
  const file = join(options.dir, "fazt");
  const shown = tilde(options.dir, options.home);
  const existing = await Deno.readTextFile(file).catch(() => undefined);
  if (existing !== undefined && !existing.includes(LAUNCHER_MARK) && !options.force) {
    throw new Error(
      `${tilde(file, options.home)} exists and is not a launcher written by this installer ` +
        "(a compiled fazt?). Remove it, choose another folder with --dir, or replace it with --force.",
    );
  }
  await Deno.mkdir(options.dir, { recursive: true });
  const temp = `${file}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, launcherScript(options.spec), { mode: 0o755 });
  await Deno.chmod(temp, 0o755);
  await Deno.rename(temp, file);
  const lines = [
    `Installed fazt in ${shown}: it runs ${join(options.spec.root, options.spec.task.script)} ` +
    `with ${options.spec.deno}.`,
  ];
  if (!onPath(options.dir, options.path)) {
    const literal = shown.startsWith("~") ? `$HOME${shown.slice(1)}` : options.dir;
    lines.push(
      `${shown} is not on your PATH. Add it, then open a new terminal:`,
      `  echo 'export PATH="${literal}:$PATH"' >> ~/.profile`,
    );
  }
  return { file, lines };
}

const USAGE = "Usage: deno task install [--dir DIR] [--force]\n\n" +
  "Writes a `fazt` command into DIR (default ~/.local/bin) that runs this checkout.";

/** Parses `--dir DIR`, `--force` and `--help`. */
export function parseArgs(
  args: string[],
): { dir?: string; force: boolean; help: boolean } | string {
  let dir: string | undefined;
  let force = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--dir" && i + 1 < args.length) dir = args[++i];
    else if (arg.startsWith("--dir=")) dir = arg.slice("--dir=".length);
    else if (arg === "--force") force = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else return `Unknown argument ${arg}.`;
  }
  return { dir, force, help };
}

if (import.meta.main) {
  const parsed = parseArgs(Deno.args);
  if (typeof parsed === "string") {
    console.error(`${parsed}\n${USAGE}`);
    Deno.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const home = Deno.env.get("HOME");
  if (!parsed.dir && !home) {
    console.error("HOME is not set: name the folder with --dir DIR.");
    Deno.exit(2);
  }
  const dir = parsed.dir
    ? (isAbsolute(parsed.dir) ? parsed.dir : resolve(Deno.env.get("INIT_CWD") ?? ".", parsed.dir))
    : join(home!, ".local", "bin");
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  try {
    const result = await install({
      dir,
      force: parsed.force,
      home,
      path: Deno.env.get("PATH") ?? "",
      spec: {
        root,
        deno: Deno.execPath(),
        denoVersion: Deno.version.deno,
        task: parseFaztTask(denoJson.tasks.fazt),
      },
    });
    for (const line of result.lines) console.log(line);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
