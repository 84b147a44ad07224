/**
 * Formats generated TypeScript the way `deno fmt` does with the project's
 * settings (`deno.json`), so generated files pass `deno fmt --check` and
 * their committed copies can be compared with a fresh generation. Runs the
 * `deno` that runs this code.
 *
 * @module
 */

const CONFIG = decodeURIComponent(new URL("../../deno.json", import.meta.url).pathname);

/**
 * `text` formatted by `deno fmt`, again until it no longer changes (one
 * pass does not always settle nested unions). `what` names the generator in
 * errors.
 */
export async function formatTs(text: string, what: string): Promise<string> {
  let out = text;
  for (let pass = 0; pass < 4; pass++) {
    const next = await formatOnce(out, what);
    if (next === out) return out;
    out = next;
  }
  throw new Error(`${what}: deno fmt does not settle on the generated text`);
}

async function formatOnce(text: string, what: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--config", CONFIG, "--ext=ts", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${what}: deno fmt failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}
