/**
 * The sections of docs/BENCHMARKS.md that one benchmark owns: the text
 * between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`. A run replaces
 * its own section (or appends it when missing) and keeps the rest.
 *
 * @module
 */
import { dirname } from "node:path";

/** `doc` with `section` between the markers of `name`, or appended with them. */
export function withSection(doc: string, name: string, section: string): string {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${begin}\n\n${section.trim()}\n\n${end}`;
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from !== -1 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

/** Writes `section` as the section `name` of the report at `path`, then formats the file. */
export async function writeSection(path: string, name: string, section: string): Promise<void> {
  const previous = await Deno.readTextFile(path).catch(() => "# Benchmarks\n");
  await Deno.writeTextFile(path, withSection(previous, name, section));
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
    cwd: dirname(path),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!fmt.success) throw new Error(`deno fmt ${path}: ${new TextDecoder().decode(fmt.stderr)}`);
}
