/**
 * How fazt starts a helper process of its own code, for each way fazt runs:
 *
 * - compiled (`deno compile`): the binary re-runs itself with a dispatch
 *   word that `main.ts` routes (`fazt __sql <appDir>`); the binary keeps the
 *   permissions it was compiled with, so the child drops what it does not
 *   need itself;
 * - from source: `deno run` on the helper's own module, with no config, no
 *   lock file and only the permissions given;
 * - from a bundle: `deno run` on the bundle (`Deno.mainModule`) with the
 *   dispatch word.
 *
 * The environment is cleared but for what Deno needs to find its cache, and
 * the V8 heap is capped both by flag and by `DENO_V8_FLAGS` (which a
 * compiled binary honours).
 *
 * @module
 */

/** How to start a child process. */
export interface SpawnSpec {
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Its whole environment. */
  env: Record<string, string>;
}

/** Which of fazt's own entry points a helper process runs. */
export interface SelfEntry {
  /** The helper's entry module, run directly when fazt runs from source. */
  script: URL;
  /** The first argument `main.ts` dispatches on in compiled and bundled modes (e.g. `__sql`). */
  dispatch: string;
  /** The child's V8 heap limit, in MiB. */
  heapMb: number;
}

/** What {@linkcode selfSpawnSpec} starts. */
export interface SelfSpawnOptions extends SelfEntry {
  /** Arguments after the entry (or the dispatch word). */
  args: readonly string[];
  /** `deno run` permission flags (e.g. `--allow-read=/dir`); compiled binaries keep their own. */
  permissions?: readonly string[];
}

/** Starts helper processes of one entry point: each launch may differ in arguments and permissions. */
export interface SelfLauncher {
  /** The executable. */
  command: string;
  /** The whole environment. */
  env: Record<string, string>;
  /**
   * The arguments of one launch: `args` after the entry (or the dispatch
   * word), `permissions` as `deno run` flags (a compiled binary keeps its own).
   */
  args(args: readonly string[], permissions?: readonly string[]): string[];
}

/** Variables passed on so the child finds Deno's module cache. */
const PASSED_ENV = ["HOME", "DENO_DIR", "XDG_CACHE_HOME"];

type Mode = "compiled" | "script" | "bundled";

const modes = new Map<string, Mode>();

async function modeFor(script: URL): Promise<Mode> {
  if ((Deno.build as { standalone?: boolean }).standalone) return "compiled";
  const known = modes.get(script.href);
  if (known) return known;
  let mode: Mode = "bundled";
  if (script.protocol === "file:") {
    try {
      await Deno.stat(script);
      mode = "script";
    } catch {
      // bundled: the module is not a file of its own
    }
  }
  modes.set(script.href, mode);
  return mode;
}

/** How to start helper processes running the entry point `entry` of fazt's own code. */
export async function selfLauncher(entry: SelfEntry): Promise<SelfLauncher> {
  const v8 = `--max-old-space-size=${entry.heapMb}`;
  const env: Record<string, string> = { NO_COLOR: "1", DENO_V8_FLAGS: v8 };
  for (const name of PASSED_ENV) {
    try {
      const value = Deno.env.get(name);
      if (value) env[name] = value;
    } catch {
      // not allowed to read it: the child uses Deno's default
    }
  }
  const mode = await modeFor(entry.script);
  const base = ["run", "--no-prompt", "--no-config", "--no-lock", "--quiet", `--v8-flags=${v8}`];
  return {
    command: Deno.execPath(),
    env,
    args(args, permissions = []) {
      if (mode === "compiled") return [entry.dispatch, ...args];
      if (mode === "script") return [...base, ...permissions, entry.script.href, ...args];
      return [...base, ...permissions, Deno.mainModule, entry.dispatch, ...args];
    },
  };
}

/** How to start one helper process running fazt's own code. */
export async function selfSpawnSpec(options: SelfSpawnOptions): Promise<SpawnSpec> {
  const launcher = await selfLauncher(options);
  return {
    command: launcher.command,
    args: launcher.args(options.args, options.permissions),
    env: launcher.env,
  };
}
