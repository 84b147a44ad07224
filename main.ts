/**
 * fazt's executable entry point. `fazt __runtime` turns the process into a
 * sandbox for app code (how the compiled binary and the bundle start their
 * sandboxes); anything else goes to the CLI. Both branches are dynamic
 * imports so a sandbox never loads the kernel.
 *
 * @module
 */

if (import.meta.main) {
  if (Deno.args[0] === "__runtime") {
    await import("./runtime/child/main.ts");
  } else {
    const { runCli } = await import("./kernel/cli/cli.ts");
    const code = await runCli(Deno.args, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      env: (name) => Deno.env.get(name),
    });
    Deno.exit(code);
  }
}
