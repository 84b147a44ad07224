/**
 * fazt's window on `/proc` and `/sys`. Deno 2.9 refuses every read of
 * `/proc` and `/sys` (even `/proc/self/statm`) unless the process runs with
 * `--allow-all`; `--allow-read`, even naming the exact file, is not enough.
 * fazt runs with narrower permissions, so it goes through two small helper
 * processes it starts (`--allow-run`), each speaking lines on its stdin and
 * stdout:
 *
 * - the **reader**, a long-lived `awk`, is sent a batch of paths and
 *   answers with the files' lines in one write (buffered reads: about 30 µs
 *   of its CPU per `/proc/<pid>/statm`). mawk (Debian's awk) must be told
 *   `-W interactive` or it waits for a full buffer of input; the first
 *   command that answers a test round trip is used, `/bin/sh` (byte-by-byte
 *   reads, about 80 µs per file) last;
 * - the **writer**, a long-lived `/bin/sh`, writes a value to a file with
 *   its `printf` builtin (no process per write), makes and removes folders
 *   and lists them (cgroup setup, and moving each app process into its
 *   group). Paths and values travel as lines of data, never as script.
 *
 * A helper that dies is started again on the next call.
 *
 * @module
 */
import { readLines } from "./lines.ts";

/** Reads and writes files of `/proc` and `/sys`. */
export interface SysFiles {
  /** The whole text of each file, or null for each that cannot be read. */
  read(paths: readonly string[]): Promise<(string | null)[]>;
  /** Writes `value` (and a newline) to `path`; throws with the system's message when that fails. */
  write(path: string, value: string): Promise<void>;
  /** Makes folder `path` (fine when it exists); throws when that fails. */
  mkdir(path: string): Promise<void>;
  /** Removes the empty folder `path`; false when it could not (true when it was not there). */
  rmdir(path: string): Promise<boolean>;
  /** The names in folder `path` (none when it cannot be listed). */
  list(path: string): Promise<string[]>;
  /** The helpers' process IDs (they must follow fazt into a cgroup v2 leaf). */
  pids(): number[];
  /** Stops the helpers. */
  close(): Promise<void>;
}

/**
 * The awk program: for each input line (a path), the file's lines
 * prefixed by ">", then "." (read) or "!" (not); an empty input line ends
 * a batch with "=". A batch's answer is written at once: one pipe write
 * per batch, not one per line.
 */
const AWK_READER = `$0 == "" { printf "%s=\\n", out; out = ""; fflush(); next }
{ r = 0; while ((r = (getline line < $0)) > 0) out = out ">" line "\\n"; close($0); out = out (r == 0 ? "." : "!") "\\n" }`;

/** The same in POSIX sh (written line by line), for machines without a usable awk. */
const SH_READER = `while IFS= read -r p; do
  if [ -z "$p" ]; then echo =; continue; fi
  if { while IFS= read -r l || [ -n "$l" ]; do printf '>%s\\n' "$l"; done < "$p"; } 2>/dev/null; then echo .; else echo !; fi
done`;

/**
 * The writer: reads an operation, a path and a value (three lines), answers
 * with lines of data (listings, or the system's error message) and then "."
 * (done) or "!" (failed). `printf` and `echo` are builtins; only `mkdir` and
 * `rmdir` start a process.
 */
const SH_WRITER = `while IFS= read -r op && IFS= read -r p && IFS= read -r v; do
  case "$op" in
  write) if { printf '%s\\n' "$v" > "$p"; } 2>&1; then echo .; else echo !; fi ;;
  mkdir) if [ -d "$p" ] || mkdir -- "$p" 2>&1; then echo .; else echo !; fi ;;
  rmdir) if [ ! -e "$p" ] || rmdir -- "$p" 2>&1; then echo .; else echo !; fi ;;
  list) for e in "$p"/*; do [ -e "$e" ] && printf '>%s\\n' "\${e##*/}"; done; echo . ;;
  *) echo ! ;;
  esac
done`;

/** Where the helpers' commands are looked up. */
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/** A command that reads files for {@linkcode SysFiles}. */
export interface ReaderCommand {
  /** The executable. */
  command: string;
  /** Its arguments (the program). */
  args: string[];
}

/** The reader commands tried, in order: awk (mawk, then any), then `/bin/sh`. */
export const SYS_READERS: readonly ReaderCommand[] = [
  { command: "awk", args: ["-W", "interactive", AWK_READER] },
  { command: "awk", args: [AWK_READER] },
  { command: "/bin/sh", args: ["-c", SH_READER] },
];

/** One request in flight: the lines of its answer until its last line. */
interface Pending {
  lines: string[];
  resolve(lines: string[]): void;
  reject(err: Error): void;
}

/**
 * A long-lived helper process answering requests in order; an answer is
 * every line up to and including one for which `last(line)` is true.
 */
class Helper {
  readonly #proc: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #queue: Pending[] = [];
  readonly #encoder = new TextEncoder();
  readonly #last: (line: string) => boolean;
  #dead = false;
  readonly done: Promise<void>;

  constructor(command: ReaderCommand, last: (line: string) => boolean) {
    this.#last = last;
    this.#proc = new Deno.Command(command.command, {
      args: command.args,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      clearEnv: true,
      env: { LC_ALL: "C", PATH: SYSTEM_PATH },
    }).spawn();
    this.#stdin = this.#proc.stdin.getWriter();
    this.done = this.#pump();
  }

  get dead(): boolean {
    return this.#dead;
  }

  get pid(): number {
    return this.#proc.pid;
  }

  async #pump(): Promise<void> {
    try {
      for await (const line of readLines(this.#proc.stdout)) {
        const p = this.#queue[0];
        if (!p) continue;
        p.lines.push(line);
        if (this.#last(line)) {
          this.#queue.shift();
          p.resolve(p.lines);
        }
      }
    } catch {
      // the helper is gone
    }
    this.#dead = true;
    for (const p of this.#queue.splice(0)) p.reject(new Error("A /proc helper stopped."));
    await this.#proc.status;
  }

  /** Sends `text` (whole lines) and resolves with the answer's lines. */
  ask(text: string): Promise<string[]> {
    if (this.#dead) return Promise.reject(new Error("A /proc helper stopped."));
    return new Promise((resolve, reject) => {
      this.#queue.push({ lines: [], resolve, reject });
      this.#stdin.write(this.#encoder.encode(text)).catch(() => {});
    });
  }

  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.done;
  }
}

/** Reads a batch of files through a reader helper. */
async function readBatch(reader: Helper, paths: readonly string[]): Promise<(string | null)[]> {
  const lines = await reader.ask(paths.join("\n") + "\n\n");
  const out: (string | null)[] = [];
  let content: string[] = [];
  for (const line of lines) {
    if (line.startsWith(">")) content.push(line.slice(1));
    else if (line === "." || line === "!") {
      out.push(line === "." ? content.map((l) => l + "\n").join("") : null);
      content = [];
    }
  }
  if (out.length !== paths.length) throw new Error("The /proc reader answered out of step.");
  return out;
}

/** Starts the first reader that reads a known file within a second. */
async function startReader(readers: readonly ReaderCommand[]): Promise<Helper | null> {
  for (const command of readers) {
    let reader: Helper;
    try {
      reader = new Helper(command, (line) => line === "=");
    } catch {
      continue;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 1000));
    const answer = await Promise.race([
      readBatch(reader, ["/proc/self/stat"]).catch(() => null),
      late,
    ]);
    clearTimeout(timer);
    if (answer && answer[0]?.includes(")")) return reader;
    await reader.close();
  }
  return null;
}

function startWriter(): Helper | null {
  try {
    return new Helper(
      { command: "/bin/sh", args: ["-c", SH_WRITER] },
      (l) => l === "." || l === "!",
    );
  } catch {
    return null;
  }
}

function checkLine(text: string, what: string): void {
  if (text.includes("\n") || text.includes("\0")) {
    throw new RangeError(`${what} must be one line: ${JSON.stringify(text)}`);
  }
}

function checkPath(path: string): void {
  checkLine(path, "A path");
  if (!path.startsWith("/")) throw new RangeError(`Not an absolute path: ${JSON.stringify(path)}`);
}

/**
 * Starts the helpers; null when no reader works here (not Linux, or no awk
 * and no `/bin/sh`), in which case nothing under `/proc` can be read.
 */
export async function openSysFiles(
  readers: readonly ReaderCommand[] = SYS_READERS,
): Promise<SysFiles | null> {
  let reader = await startReader(readers);
  if (!reader) return null;
  let writer: Helper | null = null;
  let restarting: Promise<Helper | null> | null = null;
  const currentReader = async (): Promise<Helper | null> => {
    if (reader && !reader.dead) return reader;
    restarting ??= startReader(readers).finally(() => restarting = null);
    reader = await restarting;
    return reader;
  };

  /** Runs one writer operation; the data lines it printed, or throws with its message. */
  async function op(name: string, path: string, value = ""): Promise<string[]> {
    checkPath(path);
    checkLine(value, "A value");
    if (!writer || writer.dead) writer = startWriter();
    if (!writer) throw new Error("Cannot start /bin/sh.");
    const lines = await writer.ask(`${name}\n${path}\n${value}\n`);
    const data = lines.slice(0, -1);
    if (lines.at(-1) === ".") return data;
    const why = data.join(" ").replace(/^.*?: \d+: /, "").trim();
    throw new Error(why || `${name} ${path} failed`);
  }

  return {
    async read(paths) {
      for (const p of paths) checkPath(p);
      if (paths.length === 0) return [];
      const r = await currentReader();
      if (!r) return paths.map(() => null);
      try {
        return await readBatch(r, paths);
      } catch {
        return paths.map(() => null);
      }
    },
    async write(path, value) {
      await op("write", path, value);
    },
    async mkdir(path) {
      await op("mkdir", path);
    },
    async rmdir(path) {
      try {
        await op("rmdir", path);
        return true;
      } catch {
        return false;
      }
    },
    async list(path) {
      try {
        return (await op("list", path)).filter((l) => l.startsWith(">")).map((l) => l.slice(1));
      } catch {
        return [];
      }
    },
    pids() {
      if (!writer || writer.dead) writer = startWriter();
      return [reader, writer].flatMap((h) => h && !h.dead ? [h.pid] : []);
    },
    async close() {
      await reader?.close();
      await writer?.close();
      reader = null;
      writer = null;
    },
  };
}
