/**
 * fazt's executable entry point. `fazt __runtime` turns the process into a
 * sandbox for app code (how the compiled binary and the bundle start their
 * sandboxes), `fazt __sql <appDir>` into an app's SQL process; anything
 * else goes to the CLI. Every branch is a dynamic import so a child never
 * loads the kernel.
 *
 * @module
 */

if (import.meta.main) {
  if (Deno.args[0] === "__runtime") {
    await import("./runtime/child/main.ts");
  } else if (Deno.args[0] === "__sql") {
    const { runSqlProcess } = await import("./kernel/services/appdata/sql/sql_process_main.ts");
    await runSqlProcess(Deno.args[1]);
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
