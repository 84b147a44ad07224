/**
 * Which executable file is this fazt: the compiled binary's path, or null
 * when fazt runs as `deno run main.ts` (then there is no binary of fazt's
 * own to replace, and `fazt upgrade` refuses). Tests run fazt through a
 * stand-in executable script and replace this module with an import map
 * (see docs/UPGRADES.md); nothing at run time changes the answer.
 *
 * @module
 */

/** The path of the running fazt executable, or null when not compiled. */
export function faztExecutable(): string | null {
  return Deno.build.standalone ? Deno.execPath() : null;
}
