/**
 * The README walk: every ```sh block of README.md runs, in order, as a new
 * user would run it, against a fresh data folder and a fresh server; a
 * command that exits non-zero, or prints other output than the `#   ` lines
 * the README shows under it, fails the test. Blocks carry state (the tour's
 * app, files, tokens) to the next ones.
 *
 * How the walk stands in for the user's machine:
 * - each command runs in its own `bash -e -o pipefail -c`, in a fresh work
 *   folder (so `./fazt-data` is fresh), with a fresh HOME (so `~/.local/bin`,
 *   where `deno task install` puts `fazt`, is a temp folder on the PATH);
 * - `npx -y deno@<v> task …` and `deno task …` run as this Deno with this
 *   checkout's deno.json (the README's version must be this Deno's);
 * - a `fazt serve` line starts the server in the background (stopping the one
 *   before) on a port the system picks (FAZT_PORT=0), read from its
 *   "listening on" line; the README's `:4698` in commands becomes that port,
 *   and that port in output becomes `4698` again;
 * - blocks fenced ```sh {walk=skip: reason} are not run; the reason must be
 *   there.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  normalise,
  outputMatches,
  type ReadmeCommand,
  shellBlocks,
} from "./_helpers/readme_blocks.ts";
import { ROOT } from "./_helpers/server.ts";

const README = await Deno.readTextFile(join(ROOT, "README.md"));
const dec = new TextDecoder();

/** The port the README shows. */
const README_PORT = 4698;

/** The Deno cache this process uses (the walk's HOME is fresh, its Deno cache is not). */
const DENO_DIR: string = JSON.parse(
  dec.decode(
    (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()).stdout,
  ),
).denoDir;

/** A server started by a `fazt serve` line. */
interface Background {
  process: Deno.ChildProcess;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  /** Resolves when stdout shows the listening line, rejects if the process exits first. */
  listening: Promise<void>;
  /** Both output streams read to the end. */
  drained: Promise<void>;
}

/** The walk's world: folders, environment, the running server. */
class Walk {
  /** The running server's port. */
  port?: number;
  server?: Background;
  ran = 0;

  constructor(readonly work: string, readonly home: string) {}

  /** The environment every command gets (nothing of the test runner's FAZT_* settings). */
  env(): Record<string, string> {
    return {
      HOME: this.home,
      PATH: `${join(this.home, ".local", "bin")}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      DENO_DIR,
      NO_COLOR: "1",
      FAZT_PORT: "0",
      TMPDIR: Deno.env.get("TMPDIR") ?? "/tmp",
    };
  }

  /** The command as this machine runs it (see the module doc). */
  rewrite(text: string): string {
    const deno = `'${Deno.execPath()}' task --config '${join(ROOT, "deno.json")}'`;
    return text
      .replace(/\bnpx -y deno@([\d.]+) task\b/g, (_, version: string) => {
        assert.equal(version, Deno.version.deno, "README's npx Deno version is the one CI runs");
        return deno;
      })
      .replace(/(^|[\s;&|(])deno task\b/g, `$1${deno}`)
      .replaceAll(`:${README_PORT}`, () => {
        assert.ok(this.port, `\`${text}\` needs a server: start one with \`fazt serve\` first`);
        return `:${this.port}`;
      });
  }

  /** The output as the README would show it: the README's port. */
  shown(output: string): string {
    return this.port ? output.replaceAll(`:${this.port}`, `:${README_PORT}`) : output;
  }

  spawn(text: string, background: boolean): Deno.ChildProcess {
    return new Deno.Command("bash", {
      args: ["-e", "-o", "pipefail", "-c", background ? `exec ${text}` : text],
      cwd: this.work,
      env: this.env(),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  /** Runs one command and checks its exit code and output. */
  async run(command: ReadmeCommand): Promise<void> {
    const text = this.rewrite(command.text);
    if (/^(sudo\s+)?fazt\s+serve\b/.test(command.text)) return await this.serve(command, text);
    const out = await this.spawn(text, false).output();
    const stdout = this.shown(dec.decode(out.stdout));
    const stderr = dec.decode(out.stderr);
    const where = `README.md:${command.line}: \`${command.text}\``;
    assert.equal(out.code, 0, `${where} exited with ${out.code}\n${stdout}\n${stderr}`);
    this.check(command, stdout, stderr);
    this.ran++;
  }

  check(command: ReadmeCommand, stdout: string, stderr = ""): void {
    if (command.expected.length === 0) return;
    assert.ok(
      outputMatches(command.expected, stdout),
      `README.md:${command.line}: \`${command.text}\` printed other output than the README shows.\n` +
        `README (normalised):\n${normalise(command.expected.join("\n"))}\n` +
        `printed (normalised):\n${normalise(stdout)}\nstderr:\n${stderr}`,
    );
  }

  /** Starts a `fazt serve` line in the background (stopping the server before it). */
  async serve(command: ReadmeCommand, text: string): Promise<void> {
    await this.stop();
    const process = this.spawn(text, true);
    let stdout = "";
    let stderr = "";
    let resolveListening!: () => void;
    const listening = new Promise<void>((resolve) => resolveListening = resolve);
    const read = async (stream: ReadableStream<Uint8Array>, sink: (s: string) => void) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        sink(chunk);
        if (/^listening on /m.test(stdout)) resolveListening();
      }
    };
    const drained = Promise.all([
      read(process.stdout, (s) => stdout += s),
      read(process.stderr, (s) => stderr += s),
    ]).then(() => {});
    const exited = process.status.then((status) => {
      throw new Error(
        `README.md:${command.line}: \`${command.text}\` exited with ${status.code} before listening\n` +
          `${stdout}\n${stderr}`,
      );
    });
    this.server = { process, stdout: () => stdout, listening, drained };
    // Not a timing check: only a guard so that a server that neither listens
    // nor exits fails the walk instead of hanging it.
    let guard: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(
        () =>
          reject(new Error(`README.md:${command.line}: no "listening on" within 120 s\n${stdout}`)),
        120_000,
      );
    });
    await Promise.race([listening, exited, hung]).finally(() => clearTimeout(guard));
    this.port = Number(/^listening on http:\/\/[^\s]+:(\d+)$/m.exec(stdout)![1]);
    exited.catch(() => {});
    const shown = this.shown(stdout).replace(/^listening on .*\n?/m, "");
    this.check(command, shown, stderr);
    this.ran++;
  }

  /** Stops the background server, if one runs, and waits until it is gone. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.port = undefined;
    server.process.kill("SIGTERM");
    await server.process.status;
    await server.drained;
  }
}

Deno.test("README walk: every sh block of README.md runs as written against a fresh server", async () => {
  const root = await Deno.makeTempDir({ prefix: "fazt-readme-walk-" });
  const walk = new Walk(join(root, "work"), join(root, "home"));
  await Deno.mkdir(walk.work);
  await Deno.mkdir(walk.home);
  const blocks = shellBlocks(README);
  try {
    for (const block of blocks) {
      if (block.skip !== undefined) continue;
      for (const command of block.commands) await walk.run(command);
    }
    // The README's `fazt` was the launcher its install step wrote.
    const launcher = await Deno.readTextFile(join(walk.home, ".local", "bin", "fazt"));
    assert.ok(launcher.includes(join(ROOT, "main.ts")));
  } finally {
    await walk.stop();
    await Deno.remove(root, { recursive: true });
  }
  // Skipping is for what truly cannot run here: most of the README's commands run.
  const skipped = blocks.filter((b) => b.skip !== undefined).flatMap((b) => b.commands).length;
  assert.ok(walk.ran >= 20, `the walk ran only ${walk.ran} commands`);
  assert.ok(walk.ran > 2 * skipped, `the walk ran ${walk.ran} commands and skipped ${skipped}`);
});

Deno.test("README walk reads blocks, commands and the output shown under them", () => {
  const md = [
    "text",
    "```sh",
    "# 1. a comment",
    "echo one   # says one",
    "#   one",
    "printf 'a\\nb\\n' \\",
    "  | cat",
    "#   a",
    "#   …",
    "",
    "#   not output: a blank line came first",
    "```",
    "```js",
    "console.log(1);",
    "```",
    "```sh {walk=skip: needs root and systemd}",
    "sudo fazt service install",
    "```",
  ].join("\n");
  const blocks = shellBlocks(md);
  assert.equal(blocks.length, 2);
  assert.deepEqual(blocks[0], {
    line: 2,
    skip: undefined,
    commands: [
      { line: 4, text: "echo one   # says one", expected: ["one"] },
      { line: 6, text: "printf 'a\\nb\\n' \\\n  | cat", expected: ["a", "…"] },
    ],
  });
  assert.equal(blocks[1].skip, "needs root and systemd");
});

Deno.test("README walk refuses a skip without a reason, and shell blocks it would not run", () => {
  assert.throws(() => shellBlocks("```sh {walk=skip}\nls\n```\n"), /with a reason/);
  assert.throws(() => shellBlocks("```sh {walk=skip: }\nls\n```\n"), /with a reason/);
  assert.throws(() => shellBlocks("```sh {walk=later}\nls\n```\n"), /with a reason/);
  assert.throws(() => shellBlocks("```bash\nls\n```\n"), /shell blocks are `sh`/);
  assert.throws(() => shellBlocks("```sh\nls\n"), /never closes/);
});

Deno.test("README walk compares output line by line, with IDs, times and … as the only slack", () => {
  const out = "Created blog: version 1 is live (1 files, 15 B)\n" +
    "  id    app_tcbpqsdlom5jj3v6\n  at    2026-12-07T22:51:47.305Z\n";
  const readme = [
    "Created blog: version 1 is live (1 files, 15 B)",
    "  id    app_k3j5x7q2m4n6p8r1",
    "  at    2020-01-01T00:00:00Z",
  ];
  assert.ok(outputMatches(readme, out));
  assert.ok(outputMatches(["Created blog: …", "…"], out));
  assert.ok(outputMatches(["…", "  at    …"], out));
  assert.ok(!outputMatches(readme.slice(0, 2), out), "a line the README leaves out");
  assert.ok(!outputMatches([...readme, "more"], out), "a line the command did not print");
  assert.ok(!outputMatches(["Created journal: …", "…"], out), "a different line");
  assert.ok(!outputMatches(["Created blog: version 1 is live (1 files, 16 B)", "…"], out));
  assert.ok(outputMatches([], ""));
});
