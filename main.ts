/**
 * fazt's executable entry point: hands the command line to the CLI.
 *
 * @module
 */
import { runCli } from "./kernel/cli/cli.ts";

if (import.meta.main) {
  const code = await runCli(Deno.args, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: (name) => Deno.env.get(name),
  });
  Deno.exit(code);
}
