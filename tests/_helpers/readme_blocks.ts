/**
 * The README walk's reading of README.md: its shell blocks (```sh fences),
 * the commands in each and the output the README shows for them (`#   `
 * comment lines right under a command), and the rule that compares that
 * output with what the command printed.
 *
 * A block the walk cannot run says so in its fence, with a reason a reviewer
 * can judge: ```sh {walk=skip: needs root and systemd}.
 *
 * @module
 */

/** One command of a shell block (continuation lines joined). */
export interface ReadmeCommand {
  /** Its first line in the file (1-based). */
  line: number;
  /** The command as the shell gets it. */
  text: string;
  /** The output lines the README shows under it (without the `#   ` prefix); may be empty. */
  expected: string[];
}

/** A ```sh block. */
export interface ShellBlock {
  /** The line of its opening fence (1-based). */
  line: number;
  /** Why the walk does not run it (from `{walk=skip: reason}`), if it does not. */
  skip?: string;
  /** Its commands, in order. */
  commands: ReadmeCommand[];
}

/** Fence languages that are shell but would escape the walk: use `sh`. */
const OTHER_SHELLS = new Set(["bash", "shell", "console", "zsh", "shell-session", "shellsession"]);

/** The prefix of a line showing output: `#` and three spaces. */
const OUTPUT_PREFIX = "#   ";

/** Reads a fence's info string: the language and, for `sh`, the skip reason. */
function fenceInfo(info: string, line: number): { lang: string; skip?: string } {
  const [lang = "", ...rest] = info.trim().split(/\s+/);
  const attrs = rest.join(" ");
  if (OTHER_SHELLS.has(lang)) {
    throw new Error(
      `README.md:${line}: a \`${lang}\` block; shell blocks are \`sh\` so the walk runs them`,
    );
  }
  if (lang !== "sh" || attrs === "") return { lang };
  const skip = /^\{walk=skip:\s*(\S.*?)\s*\}$/.exec(attrs);
  if (!skip) {
    throw new Error(
      `README.md:${line}: fence "${info.trim()}": the only attribute is {walk=skip: <reason>}, with a reason`,
    );
  }
  return { lang, skip: skip[1] };
}

/** The ```sh blocks of a Markdown text, in order; throws on a shell block the walk would miss. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const info = fenceInfo(open[2], i + 1);
    const body: { line: number; text: string }[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith(fence)) {
      body.push({ line: j + 1, text: lines[j++] });
    }
    if (j === lines.length) throw new Error(`README.md:${i + 1}: a code block that never closes`);
    if (info.lang === "sh") {
      blocks.push({ line: i + 1, skip: info.skip, commands: commandsOf(body) });
    }
    i = j;
  }
  return blocks;
}

/** Splits a block's lines into commands and the output shown under each. */
function commandsOf(body: { line: number; text: string }[]): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let current: ReadmeCommand | undefined;
  for (let k = 0; k < body.length; k++) {
    const { line, text } = body[k];
    if (current && text.startsWith(OUTPUT_PREFIX)) {
      current.expected.push(text.slice(OUTPUT_PREFIX.length));
      continue;
    }
    const trimmed = text.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      if (trimmed === "" || !text.startsWith(" ")) current = undefined;
      continue;
    }
    let command = text;
    while (command.endsWith("\\") && k + 1 < body.length) command += "\n" + body[++k].text;
    current = { line, text: command, expected: [] };
    commands.push(current);
  }
  return commands;
}

/**
 * Replaces what varies from run to run with fixed words: app and token IDs
 * (`app_<id>`, `tok_<id>`) and ISO times (`<time>`). Applied to both sides.
 */
export function normalise(text: string): string {
  return text
    .replace(/\b(app|tok)_[0-9a-z]{16}\b/g, "$1_<id>")
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b/g, "<time>");
}

/** One expected line as a pattern: `…` stands for any text. */
function linePattern(expected: string): RegExp {
  const parts = expected.split("…").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/**
 * Whether the output matches what the README shows: line by line after
 * {@linkcode normalise} (trailing spaces and trailing empty lines ignored),
 * where `…` in a line matches any text and a line that is only `…` matches
 * any number of lines.
 */
export function outputMatches(expected: readonly string[], output: string): boolean {
  const actual = normalise(output).split("\n").map((l) => l.trimEnd());
  while (actual.length > 0 && actual.at(-1) === "") actual.pop();
  const want = expected.map((l) => normalise(l).trimEnd());
  const match = (e: number, a: number): boolean => {
    if (e === want.length) return a === actual.length;
    if (want[e] === "…") {
      for (let skip = a; skip <= actual.length; skip++) if (match(e + 1, skip)) return true;
      return false;
    }
    return a < actual.length && linePattern(want[e]).test(actual[a]) && match(e + 1, a + 1);
  };
  return match(0, 0);
}
