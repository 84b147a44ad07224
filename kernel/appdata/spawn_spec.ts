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

/** What {@linkcode selfSpawnSpec} starts. */
export interface SelfSpawnOptions {
  /** The helper's entry module, run directly when fazt runs from source. */
  script: URL;
  /** The first argument `main.ts` dispatches on in compiled and bundled modes (e.g. `__sql`). */
  dispatch: string;
  /** Arguments after the entry (or the dispatch word). */
  args: readonly string[];
  /** The child's V8 heap limit, in MiB. */
  heapMb: number;
  /** `deno run` permission flags (e.g. `--allow-read=/dir`); compiled binaries keep their own. */
  permissions?: readonly string[];
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

/** How to start a helper process running fazt's own code. */
export async function selfSpawnSpec(options: SelfSpawnOptions): Promise<SpawnSpec> {
  const v8 = `--max-old-space-size=${options.heapMb}`;
  const env: Record<string, string> = { NO_COLOR: "1", DENO_V8_FLAGS: v8 };
  for (const name of PASSED_ENV) {
    try {
      const value = Deno.env.get(name);
      if (value) env[name] = value;
    } catch {
      // not allowed to read it: the child uses Deno's default
    }
  }
  const deno = Deno.execPath();
  const mode = await modeFor(options.script);
  if (mode === "compiled") {
    return { command: deno, args: [options.dispatch, ...options.args], env };
  }
  const base = [
    "run",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--quiet",
    `--v8-flags=${v8}`,
    ...(options.permissions ?? []),
  ];
  if (mode === "script") {
    return { command: deno, args: [...base, options.script.href, ...options.args], env };
  }
  return {
    command: deno,
    args: [...base, Deno.mainModule, options.dispatch, ...options.args],
    env,
  };
}
