/**
 * fazt's window on `/proc` and `/sys`. Deno 2.9 refuses every read of
 * `/proc` and `/sys` (even `/proc/self/statm`) unless the process runs with
 * `--allow-all`; `--allow-read`, even naming the exact file, is not enough.
 * fazt runs with narrower permissions, so it reads those files through a
 * helper process it starts (`--allow-run`):
 *
 * - reads go to one long-lived `awk` process that, for each path it is
 *   sent, prints the file's lines (buffered reads: about 30 µs of its CPU
 *   per `/proc/<pid>/statm`). mawk (Debian's awk) must be told `-W
 *   interactive` or it waits for a full buffer of input; the first command
 *   that answers a test round trip is used, `/bin/sh` (byte-by-byte reads,
 *   about 80 µs per file) last;
 * - writes, `mkdir`, `rmdir` and listings (cgroup setup: rare) run one
 *   short `/bin/sh -c` each, with the path and value as arguments (never
 *   part of the script).
 *
 * @module
 */
import { readLines } from "../../runtime/protocol.ts";

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
  /** The process ID of the long-lived reader (it must follow fazt into a cgroup v2 leaf). */
  readerPid(): number | null;
  /** Stops the helper. */
  close(): Promise<void>;
}

/** The awk program: for each input line (a path), its lines prefixed by ">", then "." or "!". */
const AWK_READER =
  '{ path = $0; ok = 0; while ((r = (getline line < path)) > 0) print ">" line; if (r == 0) ok = 1; close(path); print (ok ? "." : "!"); fflush() }';

/** The same in POSIX sh, for machines without a usable awk. */
const SH_READER = `while IFS= read -r p; do
  if { while IFS= read -r l || [ -n "$l" ]; do printf '>%s\\n' "$l"; done < "$p"; } 2>/dev/null; then echo .; else echo !; fi
done`;

/** One-shot operations; $1 is the operation, $2 the path, $3 the value. */
const SH_OPS = `case "$1" in
  write) printf '%s\\n' "$3" > "$2" ;;
  mkdir) [ -d "$2" ] || mkdir -- "$2" ;;
  rmdir) [ ! -e "$2" ] || rmdir -- "$2" ;;
  list) for e in "$2"/*; do [ -e "$e" ] && printf '%s\\n' "\${e##*/}"; done; true ;;
esac`;

/** Where the helpers' commands are looked up. */
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/** The reader commands tried, in order. */
const READERS: { command: string; args: string[] }[] = [
  { command: "awk", args: ["-W", "interactive", AWK_READER] },
  { command: "awk", args: [AWK_READER] },
  { command: "/bin/sh", args: ["-c", SH_READER] },
];

interface Waiter {
  count: number;
  out: (string | null)[];
  lines: string[];
  resolve(out: (string | null)[]): void;
  reject(err: Error): void;
}

/** A running reader process. */
class Reader {
  readonly #proc: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #queue: Waiter[] = [];
  readonly #encoder = new TextEncoder();
  #dead = false;
  readonly done: Promise<void>;

  constructor(command: string, args: string[]) {
    this.#proc = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      clearEnv: true,
      env: { LC_ALL: "C", PATH: SYSTEM_PATH },
    }).spawn();
    this.#writer = this.#proc.stdin.getWriter();
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
        const w = this.#queue[0];
        if (!w) continue;
        if (line.startsWith(">")) {
          w.lines.push(line.slice(1));
          continue;
        }
        w.out.push(line === "." ? w.lines.join("\n") + (w.lines.length ? "\n" : "") : null);
        w.lines = [];
        if (w.out.length === w.count) {
          this.#queue.shift();
          w.resolve(w.out);
        }
      }
    } catch {
      // the helper is gone
    }
    this.#dead = true;
    for (const w of this.#queue.splice(0)) w.reject(new Error("The /proc reader stopped."));
    await this.#proc.status;
  }

  read(paths: readonly string[]): Promise<(string | null)[]> {
    if (paths.length === 0) return Promise.resolve([]);
    if (this.#dead) return Promise.reject(new Error("The /proc reader stopped."));
    return new Promise((resolve, reject) => {
      this.#queue.push({ count: paths.length, out: [], lines: [], resolve, reject });
      this.#writer.write(this.#encoder.encode(paths.join("\n") + "\n")).catch(() => {});
    });
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.done;
  }
}

/** Starts the first reader that reads a known file within a second. */
async function startReader(): Promise<Reader | null> {
  for (const { command, args } of READERS) {
    let reader: Reader;
    try {
      reader = new Reader(command, args);
    } catch {
      continue;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 1000));
    const answer = await Promise.race([reader.read(["/proc/self/stat"]).catch(() => null), late]);
    clearTimeout(timer);
    if (answer && answer[0]?.includes(")")) return reader;
    await reader.close();
  }
  return null;
}

function checkPath(path: string): void {
  if (path.includes("\n") || path.includes("\0") || !path.startsWith("/")) {
    throw new RangeError(`Not an absolute path on one line: ${JSON.stringify(path)}`);
  }
}

async function op(name: string, path: string, value = ""): Promise<string> {
  checkPath(path);
  if (value.includes("\n")) throw new RangeError("A value must be one line.");
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", SH_OPS, "sh", name, path, value],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { LC_ALL: "C", PATH: SYSTEM_PATH },
  }).output();
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    throw new Error(why.replace(/^.*?: \d+: /, "") || `${name} ${path} failed`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Starts the helper; null when no reader works here (not Linux, or no awk
 * and no `/bin/sh`), in which case nothing under `/proc` can be read.
 */
export async function openSysFiles(): Promise<SysFiles | null> {
  let reader = await startReader();
  if (!reader) return null;
  let restarting: Promise<Reader | null> | null = null;
  const current = async (): Promise<Reader | null> => {
    if (reader && !reader.dead) return reader;
    restarting ??= startReader().finally(() => restarting = null);
    reader = await restarting;
    return reader;
  };
  return {
    async read(paths) {
      for (const p of paths) checkPath(p);
      const r = await current();
      if (!r) return paths.map(() => null);
      try {
        return await r.read(paths);
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
        return (await op("list", path)).split("\n").filter((name) => name !== "");
      } catch {
        return [];
      }
    },
    readerPid: () => reader && !reader.dead ? reader.pid : null,
    async close() {
      await reader?.close();
      reader = null;
    },
  };
}
